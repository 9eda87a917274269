// `otwatch run` as the service runs it (issue 5 §3, §4, §5): the real CLI (bin/otwatch.js) with a generated config,
// tcpdump on `lo` filtered to 127.205.2.x, modbus-serial PLC and client, real Mosquitto with a password file and real
// influxd. /status shows packets, /assets the hosts, MQTT and InfluxDB receive data, SIGTERM → exit 0 with the baseline
// saved, the passwords never appear in the log. Then kill -9 while the broker is down: baseline and spool survive and
// the next start delivers what was spooled.
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { parseBaseline } from "../../src/detect/baseline-store.ts";
import { Spool } from "../../src/sinks/spool.ts";
import { writeMosquittoPasswordFile } from "../../src/services/mosquitto.ts";
import { influxQuery, removeTempDirs, repoRootDir, tempDir, withInfluxd, withMosquitto } from "../helpers/servers.ts";
import { closeModbus, connectModbus, startPlc } from "../peers/modbus-peers.ts";
import { API_TOKEN, makeSetup, waitFor } from "./service-helpers.ts";

const PLC = "127.205.2.10";
const HMI = "127.205.2.20";
const PORT = 15503;
const MQTT_PASSWORD = "mq-s3cret-Pa55-7731";
const INFLUX_PASSWORD = "infl-s3cret-Pa55-9920";
const auth = { Authorization: `Bearer ${API_TOKEN}` };

interface Proc {
  child: ChildProcess;
  out: () => string;
  port: Promise<number>;
  exit: Promise<number | null>;
}

function startRun(configPath: string): Proc {
  const child = spawn(process.execPath, [join(repoRootDir, "bin", "otwatch.js"), "run", "--config", configPath], { cwd: repoRootDir, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let resolvePort!: (p: number) => void;
  const port = new Promise<number>((r) => (resolvePort = r));
  child.stdout?.setEncoding("utf8").on("data", (t: string) => {
    out += t;
    const m = /"msg":"API listening".*"port":(\d+)/.exec(out);
    if (m) resolvePort(Number(m[1]));
  });
  child.stderr?.setEncoding("utf8").on("data", (t: string) => (out += t));
  const exit = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, out: () => out, port: Promise.race([port, exit.then(() => Promise.reject(new Error(`otwatch run exited:\n${out}`)))]), exit };
}

afterAll(() => removeTempDirs());

describe("otwatch run (CLI, real peers and servers)", () => {
  it("captures, serves the API, feeds MQTT and InfluxDB, stops cleanly; survives kill -9", async () => {
    const dir = tempDir("otwatch-run-cli-");
    const mqPwFile = join(dir, "mosquitto.passwd");
    await writeMosquittoPasswordFile(mqPwFile, "otwatch", MQTT_PASSWORD);
    const broker = await withMosquitto({ passwordFile: mqPwFile });
    const influx = await withInfluxd();
    writeFileSync(join(dir, "mqtt-password"), `${MQTT_PASSWORD}\n`, { mode: 0o600 });
    writeFileSync(join(dir, "influx-password"), `${INFLUX_PASSWORD}\n`, { mode: 0o600 });
    const setup = makeSetup(`net 127.205.2.0/24 and tcp port ${PORT}`, {
      site: "testcli",
      sinks: {
        influx: { url: `${influx.url}/otwatch`, username: "otwatch", password_file: join(dir, "influx-password") },
        mqtt: { url: broker.url, username: "otwatch", password_file: join(dir, "mqtt-password") },
      },
      state: { save_interval: "1s" },
    });
    const sub: MqttClient = await connectAsync(broker.url, { username: "otwatch", password: MQTT_PASSWORD });
    const received = new Map<string, string>();
    sub.on("message", (topic, payload) => received.set(topic, payload.toString()));
    await sub.subscribeAsync("otwatch/testcli/#", { qos: 1 });

    const plc = await startPlc({ host: PLC, port: PORT, unit: 1 });
    let run = startRun(setup.configPath);
    try {
      const port = await run.port;
      const api = async <T>(path: string): Promise<T> => (await (await fetch(`http://127.0.0.1:${port}${path}`, { headers: auth })).json()) as T;
      const client = await connectModbus(PLC, PORT, HMI, 1);
      for (let i = 0; i < 10; i++) await client.readHoldingRegisters(10, 4);
      await closeModbus(client);
      const st = await waitFor("packets in /status", async () => {
        const s = await api<{ capture: { packets: number }; assets: number; mode: string }>("/status");
        return s.capture.packets >= 20 && s.assets >= 2 ? s : undefined;
      });
      expect(st.mode).toBe("learning");
      const assets = await api<{ items: { ip: string; roles: string[] }[] }>("/assets");
      expect(assets.items.map((a) => a.ip).sort()).toEqual([PLC, HMI]);
      expect((await fetch(`http://127.0.0.1:${port}/status`)).status).toBe(401);
      await waitFor("retained status and asset topics over authenticated MQTT", () => received.has(`otwatch/testcli/assets/${PLC}`) && received.get("otwatch/testcli/status"));
      expect(JSON.parse(received.get("otwatch/testcli/status") as string)).toMatchObject({ state: "online", site: "testcli", mode: "learning" });

      // SIGHUP: a new zone applies live; a bad file is refused and the running configuration stays.
      const good = readFileSync(setup.configPath, "utf8");
      writeFileSync(setup.configPath, `${good}zones:\n  - {name: cell9, level: 1, cidrs: [127.205.2.0/24]}\n`);
      run.child.kill("SIGHUP");
      await waitFor("reload logged", () => run.out().includes('"msg":"configuration reloaded"'));
      expect(run.out()).toMatch(/"msg":"configuration reloaded","applied":\["log.level","health","zones","conduits"\]/);
      writeFileSync(setup.configPath, `${good}zones: nonsense\n`);
      run.child.kill("SIGHUP");
      await waitFor("bad reload refused", () => run.out().includes("reload refused, the running configuration stays"));
      writeFileSync(setup.configPath, good);

      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      const log = run.out();
      expect(log).toContain('"msg":"stopped"');
      expect(log).not.toContain(MQTT_PASSWORD);
      expect(log).not.toContain(INFLUX_PASSWORD);
      expect(log).not.toContain(API_TOKEN);
      for (const line of log.trim().split("\n")) expect(JSON.parse(line)).toHaveProperty("level"); // JSON lines only
      const baseline = parseBaseline(readFileSync(join(setup.stateDir, "baseline.json"), "utf8"), "baseline.json");
      expect(JSON.stringify(baseline.models)).toContain(PLC);
      const sensorRows = await influxQuery(influx.url, "otwatch", 'SELECT * FROM "sensor"');
      expect(sensorRows.length).toBeGreaterThan(0);
      expect(received.get("otwatch/testcli/status")).toContain('"offline"');

      // kill -9 with the broker down: messages wait in the spool; the baseline is saved every second.
      await broker.stop();
      run = startRun(setup.configPath);
      const port2 = await run.port;
      const client2 = await connectModbus(PLC, PORT, "127.205.2.21", 1);
      for (let i = 0; i < 5; i++) await client2.readHoldingRegisters(10, 4);
      await closeModbus(client2);
      const depth = await waitFor("MQTT messages spooled while the broker is down", async () => {
        const s = (await (await fetch(`http://127.0.0.1:${port2}/status`, { headers: auth })).json()) as { sinks: { name: string; depth: number }[]; state: { last_save: string | null } };
        const d = s.sinks.find((k) => k.name === "mqtt")?.depth ?? 0;
        return d > 0 && s.state.last_save !== null ? d : undefined;
      });
      run.child.kill("SIGKILL");
      await run.exit;
      parseBaseline(readFileSync(join(setup.stateDir, "baseline.json"), "utf8"), "baseline.json");
      const spool = new Spool(join(setup.stateDir, "spool", "mqtt"), { log: () => undefined });
      expect(spool.depth).toBeGreaterThanOrEqual(depth);
      spool.close();

      await broker.restart();
      received.clear();
      const sub2 = await connectAsync(broker.url, { username: "otwatch", password: MQTT_PASSWORD });
      sub2.on("message", (topic, payload) => received.set(topic, payload.toString()));
      await sub2.subscribeAsync("otwatch/testcli/#", { qos: 1 });
      run = startRun(setup.configPath);
      await run.port;
      await waitFor("the spooled asset of the killed run delivered", () => received.has("otwatch/testcli/assets/127.205.2.21"), 15_000);
      expect(run.out()).toContain("learning resumes");
      run.child.kill("SIGTERM");
      expect(await run.exit).toBe(0);
      await sub2.endAsync();
    } finally {
      if (run.child.exitCode === null) run.child.kill("SIGKILL");
      await plc.close();
      await sub.endAsync();
      await broker.stop();
      await influx.stop();
      setup.cleanup();
    }
  });
});
