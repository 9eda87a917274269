// MQTT sink against a real mosquitto: anomaly topics and flat payloads at a real subscriber, retained status and assets,
// last will "offline" when the sensor process is killed, spool kept across a kill -9, password file, TLS, spool full.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0, anomaly } from "../../test/helpers/metric-fixtures.ts";
import { removeTempDirs, repoRootDir, tempDir, withMosquitto } from "../../test/helpers/servers.ts";
import { writeMosquittoPasswordFile, type MosquittoHandle } from "../services/mosquitto.ts";
import { MqttSink, anomalyTopic, flatten } from "./mqtt-sink.ts";

interface Received {
  topic: string;
  payload: Record<string, unknown>;
  retain: boolean;
}

async function subscriber(url: string, filter: string, opts: Record<string, unknown> = {}): Promise<{ client: MqttClient; got: Received[] }> {
  const client = await connectAsync(url, { reconnectPeriod: 100, ...opts });
  const got: Received[] = [];
  client.on("message", (topic, payload, packet) => got.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown>, retain: packet.retain }));
  await client.subscribeAsync(filter, { qos: 1 });
  return { client, got };
}

async function waitFor(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function startChild(url: string, site: string, spoolDir: string, count: number): { child: ChildProcess; out: string[] } {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRootDir, "src/sinks/mqtt-child.fixture.ts"), url, site, spoolDir, String(count)], {
    cwd: repoRootDir,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const out: string[] = [];
  child.stdout?.on("data", (d: Buffer) => out.push(...d.toString().trim().split("\n")));
  return { child, out };
}

let broker: MosquittoHandle;
const logs: string[] = [];
const log = (m: string): void => void logs.push(m);

beforeAll(async () => {
  broker = await withMosquitto();
});
afterAll(async () => {
  await broker?.stop();
  removeTempDirs();
});

describe("MqttSink (real mosquitto)", () => {
  it("publishes each anomaly as flat JSON, QoS 1, on otwatch/<site>/anomalies/<severity>/<kind>, in order", async () => {
    const sub = await subscriber(broker.url, "otwatch/plant1/anomalies/#");
    const sink = new MqttSink({ url: broker.url, site: "plant1", spoolDir: tempDir(), log });
    const sent = [...Array(50).keys()].map((i) => anomaly(i, T0 + i, i % 3 === 0 ? "critical" : "medium", i % 2 ? "zone.it-to-ot" : "modbus.new-function-code"));
    for (const a of sent) sink.publishAnomaly(a);
    expect(await sink.flush(10_000)).toBe(true);
    await waitFor(() => sub.got.length === 50);
    expect(sub.got.map((m) => m.topic)).toEqual(sent.map((a) => `otwatch/plant1/anomalies/${a.severity}/${a.kind}`));
    expect(sub.got[3]?.topic).toBe("otwatch/plant1/anomalies/critical/zone.it-to-ot");
    expect(sub.got.map((m) => m.payload)).toEqual(sent.map((a) => ({ ...a })));
    for (const m of sub.got) for (const v of Object.values(m.payload)) expect(typeof v).not.toBe("object");
    expect(sink.counters()).toMatchObject({ written: 50, dropped: 0, depth: 0 });
    await sink.close();
    await sub.client.endAsync();
  });

  it("keeps a retained status (online with mode and learning progress; offline on close) and retained asset summaries", async () => {
    const sink = new MqttSink({ url: broker.url, site: "plant2", spoolDir: tempDir(), log });
    sink.setStatus({ mode: "learning", learningProgress: 0.4 });
    sink.publishAsset({ ip: "10.0.2.10", zone: "control", role: "plc", vendor: "Schneider", first_seen: "2024-01-01T00:00:00.000Z", modbus: true });
    expect(await sink.flush(10_000)).toBe(true);
    await waitFor(() => sink.connected);
    await new Promise((r) => setTimeout(r, 100));
    const late = await subscriber(broker.url, "otwatch/plant2/#");
    await waitFor(() => late.got.length >= 2);
    const status = late.got.find((m) => m.topic === "otwatch/plant2/status");
    expect(status).toMatchObject({ retain: true, payload: { state: "online", site: "plant2", mode: "learning", learning_progress: 0.4 } });
    const asset = late.got.find((m) => m.topic === "otwatch/plant2/assets/10.0.2.10");
    expect(asset).toMatchObject({ retain: true, payload: { ip: "10.0.2.10", zone: "control", role: "plc", vendor: "Schneider", modbus: true } });
    sink.setStatus({ mode: "detecting", learningProgress: 1 });
    await waitFor(() => late.got.some((m) => m.payload.mode === "detecting"));
    await sink.close();
    await waitFor(() => late.got.some((m) => m.topic === "otwatch/plant2/status" && m.payload.state === "offline"));
    await late.client.endAsync();
  });

  it("the broker publishes the last will (status offline, retained) when the sensor process is killed", async () => {
    const sub = await subscriber(broker.url, "otwatch/plant3/status");
    const { child, out } = startChild(broker.url, "plant3", tempDir(), 3);
    await waitFor(() => sub.got.some((m) => m.payload.state === "online"), 20_000);
    expect(sub.got.at(-1)?.payload).toMatchObject({ state: "online", mode: "detecting", learning_progress: 1 });
    await waitFor(() => out.includes("connected"));
    child.kill("SIGKILL");
    await waitFor(() => sub.got.at(-1)?.payload.state === "offline");
    expect(sub.got.at(-1)?.payload).toEqual({ state: "offline", site: "plant3" });
    const late = await subscriber(broker.url, "otwatch/plant3/status");
    await waitFor(() => late.got.length === 1);
    expect(late.got[0]).toMatchObject({ retain: true, payload: { state: "offline" } });
    await Promise.all([sub.client.endAsync(), late.client.endAsync()]);
  });

  it("anomalies queued while the broker is down survive a kill -9 of the sensor and arrive in order from a new sink", async () => {
    const b = await withMosquitto();
    const url = b.url;
    await b.stop();
    const spoolDir = tempDir();
    const { child, out } = startChild(url, "plant4", spoolDir, 100);
    await waitFor(() => out.includes("queued"), 20_000);
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    await b.restart();
    const sub = await subscriber(url, "otwatch/plant4/anomalies/#");
    const sink = new MqttSink({ url, site: "plant4", spoolDir, log });
    expect(await sink.flush(10_000)).toBe(true);
    await waitFor(() => sub.got.length === 100);
    expect(sub.got.map((m) => m.payload.id)).toEqual([...Array(100).keys()].map((i) => anomaly(i, 0).id));
    expect(sink.counters()).toMatchObject({ written: 100, depth: 0 });
    await sink.close();
    await sub.client.endAsync();
    await b.stop();
  });

  it("close() returns promptly when the broker died with a publish in flight; a new sink delivers what was left", async () => {
    const b = await withMosquitto();
    const spoolDir = tempDir();
    const sink = new MqttSink({ url: b.url, site: "p8", spoolDir, log });
    await waitFor(() => sink.connected);
    await b.stop();
    for (let i = 0; i < 20; i++) sink.publishAnomaly(anomaly(i, T0 + i));
    const t = Date.now();
    await sink.close();
    expect(Date.now() - t).toBeLessThan(5000);
    await b.restart();
    const sub = await subscriber(b.url, "otwatch/p8/anomalies/#");
    const again = new MqttSink({ url: b.url, site: "p8", spoolDir, log });
    expect(await again.flush(10_000)).toBe(true);
    await waitFor(() => new Set(sub.got.map((m) => m.payload.id)).size === 20);
    const ids = sub.got.map((m) => m.payload.id);
    expect(ids.filter((id, i) => ids.indexOf(id) === i)).toEqual([...Array(20).keys()].map((i) => anomaly(i, 0).id));
    await again.close();
    await sub.client.endAsync();
    await b.stop();
  });

  it("authenticates with a password file on the broker and credentials read from files, never logged", async () => {
    const dir = tempDir();
    const pw = join(dir, "passwd");
    await writeMosquittoPasswordFile(pw, "otwatch", "s3cret-Pa55");
    const b = await withMosquitto({ passwordFile: pw });
    writeFileSync(join(dir, "user"), "otwatch\n");
    writeFileSync(join(dir, "pass"), "s3cret-Pa55\n");
    const wrongLogs: string[] = [];
    const wrong = new MqttSink({ url: b.url, site: "p5", spoolDir: tempDir(), username: "otwatch", password: "nope", log: (m) => wrongLogs.push(m), backoffMinMs: 20 });
    wrong.publishAnomaly(anomaly(1, T0));
    expect(await wrong.flush(500)).toBe(false);
    expect(wrong.connected).toBe(false);
    await wrong.close();
    const sub = await subscriber(b.url, "otwatch/p5/anomalies/#", { username: "otwatch", password: "s3cret-Pa55" });
    const own: string[] = [];
    const sink = new MqttSink({ url: b.url, site: "p5", spoolDir: tempDir(), usernameFile: join(dir, "user"), passwordFile: join(dir, "pass"), log: (m) => own.push(m) });
    sink.publishAnomaly(anomaly(2, T0));
    expect(await sink.flush(10_000)).toBe(true);
    await waitFor(() => sub.got.length === 1);
    expect(sub.got[0]?.payload.id).toBe("A000002");
    await sink.close();
    await sub.client.endAsync();
    for (const l of [...wrongLogs, ...own, ...logs]) expect(l).not.toContain("s3cret");
    await b.stop();
  });

  it("connects over TLS with a CA file (server cert for IP 127.0.0.1)", async () => {
    const dir = tempDir();
    const ssl = (...args: string[]): void => void execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=otwatch test CA");
    ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
    writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1\n");
    ssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
    const b = await withMosquitto({ tls: { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") } });
    const sub = await subscriber(b.url, "otwatch/p6/anomalies/#");
    const sink = new MqttSink({ url: b.tlsUrl as string, site: "p6", spoolDir: tempDir(), ca: join(dir, "ca.pem"), log });
    sink.publishAnomaly(anomaly(3, T0));
    expect(await sink.flush(10_000)).toBe(true);
    await waitFor(() => sub.got.length === 1);
    expect(sub.got[0]?.topic).toBe(anomalyTopic("p6", anomaly(3, T0)));
    // Without the CA the server certificate is refused: nothing is delivered.
    const untrusted = new MqttSink({ url: b.tlsUrl as string, site: "p6", spoolDir: tempDir(), log });
    untrusted.publishAnomaly(anomaly(4, T0));
    expect(await untrusted.flush(500)).toBe(false);
    await untrusted.close();
    await sink.close();
    await sub.client.endAsync();
    await b.stop();
  });

  it("counts and logs what a full spool drops while the broker is down", async () => {
    const b = await withMosquitto();
    await b.stop();
    const dropLogs: string[] = [];
    const sink = new MqttSink({ url: b.url, site: "p7", spoolDir: tempDir(), spoolMaxBytes: 16 * 1024, log: (m) => dropLogs.push(m) });
    for (let i = 0; i < 300; i++) sink.publishAnomaly(anomaly(i, T0 + i));
    const c = sink.counters();
    expect(c.dropped).toBeGreaterThan(0);
    expect(c.dropped + c.depth).toBe(300);
    expect(dropLogs.some((l) => l.includes("spool full"))).toBe(true);
    expect(flatten({ a: 1, b: { c: 2 }, d: undefined })).toEqual({ a: 1, b: '{"c":2}' });
    await sink.close();
  });
});
