// The live sensor service in process (issue 5 §1, §5): real tcpdump on `lo` (filtered to 127.205.x.y), traffic from raw
// Modbus sockets, the API over a real socket. Learning → detection by command, a new function code reported, state
// saved at stop; sensor.no-traffic on a silent interface; a corrupt baseline → learning again with a warning; learning
// resumed after a restart; SIGHUP-style reload of zones and log level.
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { startService, type RunningService } from "../../appliance/commands/run.ts";
import { loadServiceConfig } from "../../appliance/config/service-config.ts";
import { parseBaseline } from "../../src/detect/baseline-store.ts";
import { API_TOKEN, makeSetup, memoryLogger, waitFor, type TestSetup } from "./service-helpers.ts";
import { ModbusWireClient, startModbusServer } from "./modbus-wire.ts";

const auth = { Authorization: `Bearer ${API_TOKEN}` };
let running: RunningService | undefined;
let setup: TestSetup | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  setup?.cleanup();
  setup = undefined;
});

async function api<T>(path: string, init?: RequestInit): Promise<T> {
  const r = await fetch(`http://127.0.0.1:${running?.api?.port}${path}`, { ...init, headers: { ...auth, ...(init?.headers ?? {}) } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return (await r.json()) as T;
}

describe("otwatch run (in process)", () => {
  it("captures Modbus on lo, learns, detects a new function code after the mode switch, saves state at stop", async () => {
    const PLC = "127.205.1.10";
    const HMI = "127.205.1.20";
    const PORT = 15502;
    setup = makeSetup(`net 127.205.1.0/24 and tcp port ${PORT}`);
    const mem = memoryLogger();
    running = await startService(loadServiceConfig(setup.configPath), mem.log);
    const server = await startModbusServer(PLC, PORT);
    const client = await ModbusWireClient.connect(PLC, PORT, HMI);
    for (let i = 0; i < 5; i++) await client.readHolding(100, 2);

    const status = await waitFor("packets and modbus in /status", async () => {
      const s = await api<{ mode: string; capture: { packets: number; interfaces: { name: string; frames: number }[] }; assets: number }>("/status");
      return s.capture.packets >= 10 && s.assets >= 2 ? s : undefined;
    });
    expect(status.mode).toBe("learning");
    expect(status.capture.interfaces[0]).toMatchObject({ name: "lo" });
    const assets = await api<{ items: { ip: string; roles: string[] }[] }>("/assets");
    expect(assets.items.map((a) => a.ip).sort()).toEqual([PLC, HMI]);

    expect(await api("/mode", { method: "POST", body: JSON.stringify({ mode: "detecting" }) })).toEqual({ mode: "detecting" });
    await client.writeRegister(100, 42);
    const found = await waitFor("new function code anomaly", async () => {
      const r = await api<{ items: { id: string; kind: string; src: string; dst: string; severity: string }[] }>("/anomalies?kind=modbus.new-function-code");
      return r.items[0];
    });
    expect(found).toMatchObject({ src: HMI, dst: PLC, severity: "high" });
    // "Learn this": folded into the baseline, the anomaly's fact is part of the exported model.
    expect(await api("/baseline/accept", { method: "POST", body: JSON.stringify({ anomalyId: found.id }) })).toEqual({ accepted: found.id });
    expect(await api("/anomalies/" + found.id + "/ack", { method: "POST" })).toMatchObject({ acknowledged: true });

    const metrics = await (await fetch(`http://127.0.0.1:${running.api?.port}/metrics`, { headers: auth })).text();
    expect(metrics).toMatch(/^otwatch_packets_total \d+$/m);
    expect(metrics).toContain('otwatch_capture_running{interface="lo"} 1');
    expect(metrics).toMatch(/^otwatch_detecting 1$/m);

    await client.close();
    await new Promise<void>((r) => server.close(() => r()));
    await running.stop();
    running = undefined;
    const baseline = parseBaseline(readFileSync(join(setup.stateDir, "baseline.json"), "utf8"), "baseline.json");
    expect(JSON.stringify(baseline.models)).toContain(PLC);
    expect(JSON.parse(readFileSync(join(setup.stateDir, "state.json"), "utf8"))).toMatchObject({ mode: "detecting" });
    expect(JSON.parse(readFileSync(join(setup.stateDir, "inventory.json"), "utf8")).map((a: { ip: string }) => a.ip).sort()).toEqual([PLC, HMI]);
    expect(readFileSync(join(setup.stateDir, "anomalies.jsonl"), "utf8")).toContain(found.id);
    expect(mem.lines().some((l) => l.msg === "stopped")).toBe(true);

    // Restart on the same state: detecting at once, the acknowledged anomaly still acknowledged.
    const mem2 = memoryLogger();
    running = await startService(loadServiceConfig(setup.configPath), mem2.log);
    const s2 = await api<{ mode: string; learning: { progress: number } }>("/status");
    expect(s2).toMatchObject({ mode: "detecting", learning: { progress: 1 } });
    expect((await api<{ items: { id: string; acknowledged: boolean }[] }>(`/anomalies?kind=modbus.new-function-code`)).items[0]).toMatchObject({ id: found.id, acknowledged: true });
    expect(mem2.text()).toContain("baseline loaded: detecting");
  });

  it("reports sensor.no-traffic when the interface stays silent, and /health degrades", async () => {
    setup = makeSetup("host 127.205.9.9 and tcp port 9", { health: { no_traffic: "2s" } });
    const mem = memoryLogger();
    running = await startService(loadServiceConfig(setup.configPath), mem.log);
    const a = await waitFor("sensor.no-traffic", async () => (await api<{ items: { kind: string; evidence: string; severity: string }[] }>("/anomalies?kind=sensor.no-traffic")).items[0]);
    expect(a.severity).toBe("high");
    expect(JSON.parse(a.evidence)).toMatchObject({ interface: "lo", threshold_seconds: 2 });
    const h = await fetch(`http://127.0.0.1:${running.api?.port}/health`);
    expect(h.status).toBe(503);
    expect(await h.json()).toMatchObject({ status: "degraded", problems: ["no traffic on lo"] });
    expect(mem.lines().some((l) => l.msg === "anomaly" && l.kind === "sensor.no-traffic")).toBe(true);
  });

  it("restarts a tcpdump that died, and /health says so meanwhile", async () => {
    setup = makeSetup("host 127.205.9.6 and tcp port 9");
    running = await startService(loadServiceConfig(setup.configPath), memoryLogger().log);
    const pid = () => execFileSync("pgrep", ["-P", String(process.pid), "-x", "tcpdump"]).toString().trim().split("\n").map(Number);
    const [first] = pid();
    process.kill(first as number, "SIGKILL");
    const h = await waitFor("health degraded", async () => {
      const r = await fetch(`http://127.0.0.1:${running?.api?.port}/health`);
      return r.status === 503 ? ((await r.json()) as { problems: string[] }) : undefined;
    });
    expect(h.problems).toEqual(["capture on lo is not running"]);
    await waitFor("capture restarted", async () => (await api<{ capture: { interfaces: { capturing: boolean }[] } }>("/status")).capture.interfaces[0]?.capturing, 15_000);
    expect(pid()).not.toContain(first);
    expect((await fetch(`http://127.0.0.1:${running.api?.port}/health`)).status).toBe(200);
  });

  it("starts learning again with a clear warning when the saved baseline is corrupt", async () => {
    setup = makeSetup("host 127.205.9.8 and tcp port 9");
    const mem = memoryLogger();
    const cfg = loadServiceConfig(setup.configPath);
    running = await startService(cfg, mem.log);
    await running.stop();
    writeFileSync(join(setup.stateDir, "baseline.json"), '{"version": 1, "site": "testplant", "lea');
    running = await startService(cfg, mem.log);
    const warn = mem.lines().find((l) => l.level === "warn" && String(l.msg).includes("LEARNING STARTS AGAIN"));
    expect(warn?.msg).toContain("baseline.json.corrupt");
    expect(existsSync(join(setup.stateDir, "baseline.json.corrupt"))).toBe(true);
    expect(await api("/status")).toMatchObject({ mode: "learning" });
  });

  it("resumes learning after a restart with what was learned before, and reloads zones and log level", async () => {
    setup = makeSetup("host 127.205.9.7 and tcp port 9");
    const cfg = loadServiceConfig(setup.configPath);
    const mem = memoryLogger();
    running = await startService(cfg, mem.log);
    await waitFor("packet time moving", async () => (await api<{ packet_time: string | null }>("/status")).packet_time ?? undefined);
    await running.stop();
    // Pretend 30 min of the 1 h were learned before the restart.
    const b = JSON.parse(readFileSync(join(setup.stateDir, "baseline.json"), "utf8"));
    b.learn.learnedSeconds = 1800;
    writeFileSync(join(setup.stateDir, "baseline.json"), JSON.stringify(b));
    expect(JSON.parse(readFileSync(join(setup.stateDir, "state.json"), "utf8"))).toMatchObject({ mode: "learning" });
    running = await startService(cfg, mem.log);
    const s = await waitFor("resumed learning", async () => {
      const st = await api<{ mode: string; learning: { progress: number } }>("/status");
      return st.learning.progress >= 0.5 && st.mode === "learning" ? st : undefined;
    });
    expect(s.learning.progress).toBeLessThan(0.6);
    expect(mem.text()).toContain("baseline saved while learning: learning resumes");

    // Reload: a zone appears and the log level goes to warn; the interface list change needs a restart.
    const doc = parse(readFileSync(setup.configPath, "utf8")) as { log: { level: string }; zones?: unknown[]; capture: { interfaces: { name: string }[] } };
    doc.log.level = "warn";
    doc.zones = [{ name: "cell1", level: 1, cidrs: ["127.205.1.0/24"] }];
    doc.capture.interfaces.push({ name: "lo2" });
    writeFileSync(setup.configPath, stringify(doc));
    running.reload();
    const reload = mem.lines().find((l) => l.msg === "configuration reloaded");
    expect(reload).toMatchObject({ applied: ["log.level", "health", "zones", "conduits"], needs_restart: ["capture"] });
    expect(running.service.sensor.detection.zones.zoneOf("127.205.1.5").name).toBe("cell1");
    expect(running.service.sensor.mode).toBe("learning");
    const before = mem.lines().length;
    running.service.log.info("hidden at warn level");
    expect(mem.lines().length).toBe(before);
  });
});
