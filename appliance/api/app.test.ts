// The HTTP API against a scripted SensorHandle: in process (app.request) and over a real socket on 127.0.0.1 —
// 401 without/with a wrong token, 400 with field paths on bad input, filters and pagination, commands reaching the
// handle, Prometheus text format.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AssetRecord } from "../../src/assets/inventory.ts";
import type { Anomaly, Mode } from "../../src/detect/types.ts";
import { AnomalyStore } from "../service/anomaly-store.ts";
import { createApi, tokenMatches } from "./app.ts";
import type { AcceptResult, SensorHandle, StatusSnapshot } from "./handle.ts";
import { startApiServer, type ApiServer } from "./server.ts";

const TOKEN = "t0k3n-0123456789abcdef";
const auth = { Authorization: `Bearer ${TOKEN}` };

function anomaly(id: string, kind: string, severity: Anomaly["severity"], src: string, dst: string, first: string, last = first): Anomaly {
  return { id, ts: last, kind, severity, src, dst, protocol: "modbus", summary: kind, attack: "", evidence: "{}", count: 1, first_seen: first, last_seen: last, src_zone: "", dst_zone: "" };
}

const store = new AnomalyStore(undefined);
store.add(anomaly("00000000000000a1", "modbus.new-function-code", "high", "10.0.0.5", "10.0.1.10", "2026-01-01T10:00:00.000Z"));
store.add(anomaly("00000000000000a2", "zone.it-to-ot", "critical", "10.9.0.7", "10.0.1.10", "2026-01-01T11:00:00.000Z", "2026-01-01T11:30:00.000Z"));
store.add(anomaly("00000000000000a3", "net.scan", "medium", "10.9.0.7", "10.0.1.11", "2026-01-01T12:00:00.000Z"));

let mode: Mode = "learning";
const accepted: string[] = [];
const handle: SensorHandle = {
  health: () => ({ ok: true, problems: [] }),
  status: () => ({ mode, site: "plant1" }) as unknown as StatusSnapshot,
  assets: () => [{ ip: "10.0.1.10", zone: "cell1" }, { ip: "10.0.0.5", zone: "scada" }] as AssetRecord[],
  anomalies: (q) => store.query(q),
  ack: (id) => store.ack(id),
  baseline: () => ({ version: 1, site: "plant1", learn: { firstTs: 0, learnedSeconds: 5 }, zones: { learnedOt: [] }, models: {} }),
  accept: (id): AcceptResult => (id === "00000000000000a1" ? (accepted.push(id), "accepted") : id === "00000000000000a3" ? "not-learnable" : "unknown-anomaly"),
  setMode: (m) => (mode = m),
  metrics: () => [
    { name: "otwatch_packets_total", type: "counter", help: "Frames", value: 42 },
    { name: "otwatch_capture_dropped_total", type: "counter", help: "Drops", value: 3, labels: { interface: 'e"th\\1' } },
  ],
};
const app = createApi(handle, { token: () => TOKEN });

describe("tokenMatches", () => {
  it("accepts only the exact token", () => {
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(TOKEN.slice(0, -1), TOKEN)).toBe(false);
    expect(tokenMatches(`${TOKEN}x`, TOKEN)).toBe(false);
    expect(tokenMatches("", undefined)).toBe(false);
    expect(tokenMatches("", "")).toBe(false);
  });
});

describe("API in process", () => {
  it("serves /health without a token and refuses everything else without the right one", async () => {
    expect((await app.request("/health")).status).toBe(200);
    for (const path of ["/status", "/assets", "/anomalies", "/baseline", "/metrics"]) {
      const none = await app.request(path);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toContain("Bearer");
      expect(await none.json()).toMatchObject({ error: "unauthorized" });
      expect((await app.request(path, { headers: { Authorization: "Bearer wrong-token-xxxxxxxx" } })).status).toBe(401);
      expect((await app.request(path, { headers: { Authorization: TOKEN } })).status).toBe(401);
    }
    const post = await app.request("/mode", { method: "POST", body: JSON.stringify({ mode: "detecting" }) });
    expect(post.status).toBe(401);
    expect(mode).toBe("learning");
  });

  it("refuses every request when no token could be read", async () => {
    const closed = createApi(handle, { token: () => undefined });
    expect((await closed.request("/status", { headers: { Authorization: "Bearer " } })).status).toBe(401);
    expect((await closed.request("/status", { headers: auth })).status).toBe(401);
  });

  it("filters and pages anomalies, newest first", async () => {
    const get = async (q: string) => (await app.request(`/anomalies${q}`, { headers: auth })).json() as Promise<{ total: number; items: Anomaly[] }>;
    expect((await get("")).items.map((a) => a.id)).toEqual(["00000000000000a3", "00000000000000a2", "00000000000000a1"]);
    expect((await get("?host=10.9.0.7")).items.map((a) => a.id)).toEqual(["00000000000000a3", "00000000000000a2"]);
    expect((await get("?severity=critical")).items.map((a) => a.id)).toEqual(["00000000000000a2"]);
    expect((await get("?kind=modbus.new-function-code")).total).toBe(1);
    // since matches last_seen: a2 lasted until 11:30.
    expect((await get("?since=2026-01-01T11:15:00Z")).items.map((a) => a.id)).toEqual(["00000000000000a3", "00000000000000a2"]);
    expect((await get(`?until=${Date.parse("2026-01-01T10:30:00Z") / 1000}`)).items.map((a) => a.id)).toEqual(["00000000000000a1"]);
    const page = await get("?limit=1&offset=1");
    expect(page).toMatchObject({ total: 3 });
    expect(page.items.map((a) => a.id)).toEqual(["00000000000000a2"]);
  });

  it("answers 400 with the offending field on bad input", async () => {
    const bad = async (path: string, init?: RequestInit) => {
      const r = await app.request(path, { ...init, headers: { ...auth, ...(init?.headers ?? {}) } });
      expect(r.status).toBe(400);
      return (await r.json()) as { error: string; issues?: { path: string; message: string }[] };
    };
    expect((await bad("/anomalies?limit=0")).issues?.[0]?.path).toBe("limit");
    expect((await bad("/anomalies?limit=abc")).issues?.[0]?.path).toBe("limit");
    expect((await bad("/anomalies?severity=urgent")).issues?.[0]?.path).toBe("severity");
    expect((await bad("/anomalies?host=not-an-ip")).issues?.[0]?.message).toContain("IPv4");
    expect((await bad("/anomalies?since=yesterday")).issues?.[0]?.message).toContain("not a time");
    expect((await bad("/anomalies?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")).issues?.[0]?.path).toBe("since");
    expect((await bad("/anomalies?bogus=1")).issues?.[0]?.message).toMatch(/bogus/);
    expect((await bad("/anomalies/XYZ/ack", { method: "POST" })).issues?.[0]?.message).toContain("16 hex");
    expect((await bad("/mode", { method: "POST", body: "{not json" })).error).toBe("bad_request");
    expect((await bad("/mode", { method: "POST", body: JSON.stringify({ mode: "sleeping" }) })).issues?.[0]?.path).toBe("mode");
    expect((await bad("/mode", { method: "POST", body: JSON.stringify({ mode: "detecting", extra: 1 }) })).issues?.[0]?.message).toMatch(/extra/);
    expect((await bad("/baseline/accept", { method: "POST", body: JSON.stringify({}) })).issues?.[0]?.path).toBe("anomalyId");
    expect(mode).toBe("learning");
    const big = await app.request("/mode", { method: "POST", headers: auth, body: "x".repeat(70_000) });
    expect(big.status).toBe(413);
    const missing = await app.request("/nope", { headers: auth });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: "not_found" });
  });

  it("acknowledges, accepts, switches mode", async () => {
    const ack = await app.request("/anomalies/00000000000000a1/ack", { method: "POST", headers: auth });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ id: "00000000000000a1", acknowledged: true });
    expect((await app.request("/anomalies/00000000000000ff/ack", { method: "POST", headers: auth })).status).toBe(404);
    const unacked = (await (await app.request("/anomalies?acknowledged=false", { headers: auth })).json()) as { total: number };
    expect(unacked.total).toBe(2);

    const acc = (id: string) => app.request("/baseline/accept", { method: "POST", headers: auth, body: JSON.stringify({ anomalyId: id }) });
    expect((await acc("00000000000000a1")).status).toBe(200);
    expect(accepted).toEqual(["00000000000000a1"]);
    expect((await acc("00000000000000a3")).status).toBe(409);
    expect((await acc("00000000000000ee")).status).toBe(404);

    const m = await app.request("/mode", { method: "POST", headers: auth, body: JSON.stringify({ mode: "detecting" }) });
    expect(await m.json()).toEqual({ mode: "detecting" });
    expect(mode).toBe("detecting");
    expect(await (await app.request("/status", { headers: auth })).json()).toMatchObject({ mode: "detecting" });
  });

  it("exports the baseline and Prometheus metrics", async () => {
    const b = await app.request("/baseline", { headers: auth });
    expect(b.headers.get("content-disposition")).toContain("baseline.json");
    expect(await b.json()).toMatchObject({ version: 1, site: "plant1" });
    const m = await app.request("/metrics", { headers: auth });
    expect(m.headers.get("content-type")).toContain("text/plain; version=0.0.4");
    expect(await m.text()).toBe(
      "# HELP otwatch_packets_total Frames\n# TYPE otwatch_packets_total counter\notwatch_packets_total 42\n" +
        "# HELP otwatch_capture_dropped_total Drops\n# TYPE otwatch_capture_dropped_total counter\n" +
        'otwatch_capture_dropped_total{interface="e\\"th\\\\1"} 3\n',
    );
    const assets = (await (await app.request("/assets?zone=cell1", { headers: auth })).json()) as { total: number; items: AssetRecord[] };
    expect(assets.items.map((a) => a.ip)).toEqual(["10.0.1.10"]);
  });
});

describe("API over a real socket", () => {
  let server: ApiServer;
  beforeAll(async () => {
    server = await startApiServer(app, "127.0.0.1", 0);
  });
  afterAll(async () => server.close());

  it("listens on loopback and enforces the token", async () => {
    expect(server.port).toBeGreaterThan(0);
    const base = `http://127.0.0.1:${server.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/status`)).status).toBe(401);
    const ok = await fetch(`${base}/status`, { headers: auth });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ site: "plant1" });
    const bad = await fetch(`${base}/anomalies?limit=5000`, { headers: auth });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: "bad_request", issues: [{ path: "limit" }] });
  });
});
