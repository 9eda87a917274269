// Lateral movement: new remote-admin sessions across zones or to hosts that never offered them, brute-force bursts and
// hour-long boundary-crossing connections fire; learned RDP to the jump host, monitoring SSH and backups stay quiet.
import { describe, expect, it } from "vitest";
import { Counters } from "../../core/counters.ts";
import type { EventBase } from "../../core/types.ts";
import type { AnalyzerContext } from "../types.ts";
import { BRUTE_MIN_ATTEMPTS, crossesBoundary, LATERAL_MAX_ATTEMPTS_PER_WINDOW, LATERAL_MAX_TOTAL_ATTEMPTS, LATERAL_WINDOW_S, LateralAnalyzer } from "./lateral.ts";
import { T0, busyItTraffic, connection, drive, plantNormalTraffic, zoneOf } from "./test-kit.ts";

const LEARN = T0 + 3600;

function normal(from: number, to: number): EventBase[] {
  const ev: EventBase[] = [];
  // Workstations RDP to the DMZ jump host; the jump host opens OPC UA to SCADA; monitoring SSH-polls switches.
  for (let t = from, i = 0; t < to; t += 700, i++) ev.push(...connection({ ts: t, src: `10.10.8.${31 + (i % 3)}`, dst: "10.20.0.30", dport: 3389, duration: 500, bytesToServer: 300_000, bytesToClient: 2_000_000 }));
  for (let t = from; t < to; t += 60) for (let s = 1; s <= 5; s++) ev.push(...connection({ ts: t + s, src: "10.10.1.5", dst: `10.10.50.${s}`, dport: 22, duration: 2, bytesToServer: 3000, bytesToClient: 9000 }));
  ev.push(...connection({ ts: from, src: "10.20.0.20", dst: "192.168.10.7", dport: 4840, duration: to - from, midstream: true, bytesToServer: 1e6, bytesToClient: 5e6 }));
  return ev;
}

describe("crossesBoundary", () => {
  it("holds for IT or internet to levels 0-3 and internet to DMZ only", () => {
    expect(crossesBoundary(zoneOf("10.10.1.1"), zoneOf("192.168.20.5"))).toBe(true);
    expect(crossesBoundary(zoneOf("192.168.10.5"), zoneOf("203.0.113.1"))).toBe(true);
    expect(crossesBoundary(zoneOf("10.20.0.20"), zoneOf("203.0.113.1"))).toBe(true);
    expect(crossesBoundary(zoneOf("10.10.1.1"), zoneOf("10.20.0.30"))).toBe(false);
    expect(crossesBoundary(zoneOf("10.20.0.30"), zoneOf("192.168.10.7"))).toBe(false);
  });
});

describe("LateralAnalyzer", () => {
  it("fires on a new RDP from the DMZ jump host into control and on SMB between workstations that never used it", () => {
    const ev = [
      ...normal(T0, LEARN + 1800),
      ...connection({ ts: LEARN + 100, src: "10.20.0.30", dst: "192.168.20.11", dport: 3389, duration: 300 }),
      ...connection({ ts: LEARN + 200, src: "10.10.8.33", dst: "10.10.8.34", dport: 445, duration: 5, bytesToServer: 90000 }),
      // A workstation that never used RDP in learning, to the jump host that always served it: normal.
      ...connection({ ts: LEARN + 300, src: "10.10.8.35", dst: "10.20.0.30", dport: 3389, duration: 400 }),
    ];
    const drafts = drive(new LateralAnalyzer(), ev, LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst} ${d.severity}`)).toEqual([
      "net.new-remote-service 10.20.0.30 192.168.20.11 high",
      "net.new-remote-service 10.10.8.33 10.10.8.34 medium",
    ]);
    expect(drafts[0]?.attack).toEqual(["T0886", "T1021.001"]);
    expect(drafts[0]?.summary).toBe("10.20.0.30 (dmz) opened RDP to 192.168.20.11:3389 (control); 192.168.20.11 never offered RDP in learning; no RDP from dmz to control was seen in learning");
  });

  it("stays quiet on sessions over a site-config conduit, even to a server new to the service", () => {
    const ev = [
      ...connection({ ts: T0, src: "10.10.8.31", dst: "10.20.0.30", dport: 4840, bytesToServer: 5000 }),
      ...connection({ ts: LEARN + 100, src: "10.10.8.32", dst: "10.20.0.30", dport: 3389, duration: 300 }),
    ];
    const conduits = [{ from: "enterprise", to: "dmz", service: "rdp" }];
    expect(drive(new LateralAnalyzer({ conduits }), ev, LEARN)).toEqual([]);
    expect(drive(new LateralAnalyzer({ conduits: [{ from: "enterprise", to: "dmz", service: "tcp/3389" }] }), ev, LEARN)).toEqual([]);
    const without = drive(new LateralAnalyzer(), ev, LEARN);
    expect(without.map((d) => d.summary)).toEqual(["10.10.8.32 (enterprise) opened RDP to 10.20.0.30:3389 (dmz); 10.20.0.30 never offered RDP in learning; no RDP from enterprise to dmz was seen in learning"]);
  });

  it("leaves refused and unanswered probes of admin ports to the scan analyzer", () => {
    const ev = [...normal(T0, LEARN + 1800)];
    for (let h = 1; h <= 50; h++) {
      ev.push(...connection({ ts: LEARN + 100 + h * 0.01, src: "10.20.0.30", dst: `192.168.20.${h}`, dport: 3389, rejected: h % 2 === 0, established: false, duration: h % 2 === 0 ? 0.001 : 30, bytesToServer: 0 }));
    }
    expect(drive(new LateralAnalyzer(), ev, LEARN)).toEqual([]);
  });

  it("fires once on a burst of short failed SSH logins", () => {
    const ev = [...normal(T0, LEARN + 1800)];
    for (let i = 0; i < 30; i++) ev.push(...connection({ ts: LEARN + 100 + i * 4, src: "10.10.8.40", dst: "192.168.10.6", dport: 22, duration: 1.5, bytesToServer: 1500, bytesToClient: 2000 }));
    const drafts = drive(new LateralAnalyzer(), ev, LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst}`)).toEqual(["net.new-remote-service 10.10.8.40 192.168.10.6", "net.brute-force 10.10.8.40 192.168.10.6"]);
    expect(drafts[1]?.attack).toEqual(["T1110", "T0886"]);
  });

  it("fires on a connection open for over an hour from IT straight into OT, while it is still open", () => {
    const ev = [...normal(T0, LEARN + 3 * 3600), ...connection({ ts: LEARN + 60, src: "10.10.8.31", dst: "192.168.20.12", dport: 502, duration: 2 * 3600 })];
    const drafts = drive(new LateralAnalyzer(), ev, LEARN).filter((d) => d.kind === "net.long-connection");
    expect(drafts.map((d) => `${d.src} ${d.dst} ${d.severity}`)).toEqual(["10.10.8.31 192.168.20.12 high"]);
    expect(drafts[0]!.ts! - (LEARN + 60)).toBeLessThan(3600 + 60);
  });

  it("stays quiet on learned remote sessions, monitoring polls, busy IT traffic and the learned DMZ→SCADA session", () => {
    const a = new LateralAnalyzer();
    expect(drive(a, [...normal(T0, T0 + 2 * 3600), ...busyItTraffic(T0, T0 + 2 * 3600), ...plantNormalTraffic(T0, T0 + 2 * 3600)], LEARN)).toEqual([]);
    const b = new LateralAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
    expect(drive(b, normal(LEARN, LEARN + 3600), LEARN)).toEqual([]);
  });

  it("bounds the attempt counters of all windows together, and a brute force after the flood's windows expired still fires", () => {
    const counters = new Counters();
    const a = new LateralAnalyzer({ counters });
    const ctx: { -readonly [K in keyof AnalyzerContext]: AnalyzerContext[K] } = { mode: "detecting", ts: LEARN, zoneOf: (ip) => zoneOf(ip), learnedSeconds: 3600, learnSeconds: 3600 };
    // One refused SSH attempt reused (270 k attempts): only client, server and time change.
    const [, end] = connection({ ts: LEARN, src: "", dst: "", dport: 22, duration: 0.01, established: false, rejected: true, bytesToServer: 0, bytesToClient: 0 });
    const attempt = (src: string, dst: string, ts: number): ReturnType<LateralAnalyzer["observe"]> => {
      Object.assign(end, { src, dst, ts, startTs: ts });
      ctx.ts = ts;
      return a.observe(end, ctx);
    };
    const sources = LATERAL_MAX_TOTAL_ATTEMPTS / LATERAL_MAX_ATTEMPTS_PER_WINDOW + 2;
    for (let s = 0; s < sources; s++) {
      for (let i = 0; i < LATERAL_MAX_ATTEMPTS_PER_WINDOW; i++) attempt(`10.10.${100 + (s >> 8)}.${s & 255}`, `10.10.${i >> 8}.${i & 255}`, LEARN + s);
    }
    expect(a.dropped).toBe(2 * LATERAL_MAX_ATTEMPTS_PER_WINDOW);
    const later = LEARN + LATERAL_WINDOW_S + 120;
    const drafts = Array.from({ length: BRUTE_MIN_ATTEMPTS }, (_, i) => attempt("10.10.8.40", "192.168.10.6", later + i) ?? []).flat();
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst}`)).toEqual(["net.brute-force 10.10.8.40 192.168.10.6"]);
    expect(a.dropped).toBe(2 * LATERAL_MAX_ATTEMPTS_PER_WINDOW);
    expect(counters.get("detect.lateral.dropped.attempts")).toBe(a.dropped);
  });
});
