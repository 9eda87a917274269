// Scans: vertical, horizontal, SYN sweep and ARP sweep fire once per scanner with the scanner as src; a scanner seen in
// learning, a monitoring poller, browsing and normal plant traffic stay quiet.
import { describe, expect, it } from "vitest";
import { Counters } from "../../core/counters.ts";
import type { EventBase } from "../../core/types.ts";
import type { AnalyzerContext } from "../types.ts";
import { SCAN_MAX_TARGETS_PER_WINDOW, SCAN_MAX_TOTAL_TARGETS, SCAN_WINDOW_S, ScanAnalyzer } from "./scan.ts";
import { T0, arpRequest, busyItTraffic, connection, drive, plantNormalTraffic, zoneOf } from "./test-kit.ts";

const LEARN = T0 + 3600;
const PORTS = [21, 22, 23, 80, 102, 135, 139, 443, 445, 502, 1911, 2404, 3389, 4840, 20000, 44818];

/** SYN scan of hosts .1-.n on the ports: `open` hosts answer SYN-ACK on `openPorts`, RST otherwise; others stay silent. */
function synScan(src: string, net: string, n: number, from: number, open: string[], openPorts: number[]): EventBase[] {
  const ev: EventBase[] = [];
  let t = from;
  for (let h = 1; h <= n; h++) {
    const dst = `${net}.${h}`;
    for (const p of PORTS) {
      t += 0.005;
      const alive = open.includes(dst);
      const isOpen = alive && openPorts.includes(p);
      ev.push(...connection({ ts: t, src, dst, dport: p, duration: alive ? 0.001 : 30, established: isOpen, rejected: alive && !isOpen, bytesToServer: 0, bytesToClient: 0 }));
    }
  }
  return ev;
}

function plantNormal(from: number, to: number): EventBase[] {
  const ev: EventBase[] = [];
  // Persistent Modbus polling (one midstream connection each), operator sessions, DNS from workstations.
  for (const plc of ["192.168.20.11", "192.168.20.12"]) ev.push(...connection({ ts: from, src: "192.168.10.5", dst: plc, dport: 502, duration: to - from, midstream: true, bytesToServer: 9_000_000, bytesToClient: 12_000_000 }));
  for (let t = from; t < to; t += 45) ev.push(...connection({ ts: t, src: `10.10.8.${31 + (Math.floor(t) % 5)}`, dst: "10.10.0.53", dport: 53, transport: "udp", bytesToServer: 60, bytesToClient: 120 }));
  for (let t = from; t < to; t += 900) ev.push(...connection({ ts: t, src: "10.10.8.32", dst: "10.20.0.30", dport: 3389, duration: 600, bytesToServer: 400_000, bytesToClient: 3_000_000 }));
  for (let t = from; t < to; t += 120) ev.push(arpRequest({ ts: t, senderIp: "192.168.20.1", targetIp: `192.168.20.${11 + (Math.floor(t / 120) % 2)}` }));
  return ev;
}

describe("ScanAnalyzer", () => {
  it("fires one aggregated anomaly for a DMZ host SYN-scanning the control network", () => {
    const ev = [...plantNormal(T0, LEARN + 1800), ...synScan("10.20.0.30", "192.168.20", 254, LEARN + 300, ["192.168.20.11", "192.168.20.12"], [502, 102])];
    const drafts = drive(new ScanAnalyzer(), ev, LEARN);
    expect(drafts.length).toBe(1);
    const d = drafts[0]!;
    expect([d.kind, d.src, d.severity]).toEqual(["net.port-scan", "10.20.0.30", "critical"]);
    expect(d.dst).toMatch(/^192\.168\.20\./);
    expect(d.attack).toEqual(["T0846", "T1046"]);
    expect(d.summary).toMatch(/^10\.20\.0\.30 probed 1[2-6] ports on 192\.168\.20\.\d+ \(/);
    expect(d.ts! - (LEARN + 300)).toBeLessThan(60);
  });

  it("fires a host scan for one port across many hosts and a SYN sweep for scattered half-open attempts", () => {
    const horizontal: EventBase[] = [];
    for (let h = 1; h <= 40; h++) horizontal.push(...connection({ ts: LEARN + 10 + h, src: "10.10.5.66", dst: `10.10.30.${h}`, dport: 445, rejected: true }));
    const sweep: EventBase[] = [];
    for (let i = 0; i < 40; i++) sweep.push(...connection({ ts: LEARN + 10 + i, src: "10.10.5.67", dst: `10.10.${40 + (i % 8)}.${i}`, dport: 1000 + i * 7, established: false, duration: 20 }));
    const drafts = drive(new ScanAnalyzer(), [...horizontal, ...sweep], LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src}`).sort()).toEqual(["net.host-scan 10.10.5.66", "net.syn-sweep 10.10.5.67"]);
  });

  it("fires an ARP sweep and stays quiet on gateway ARP refreshes", () => {
    const ev = [...plantNormal(T0, LEARN + 1800)];
    for (let h = 1; h <= 60; h++) ev.push(arpRequest({ ts: LEARN + 100 + h * 0.1, senderIp: "192.168.20.50", targetIp: `192.168.20.${h}` }));
    const drafts = drive(new ScanAnalyzer(), ev, LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.severity}`)).toEqual(["net.arp-sweep 192.168.20.50 high"]);
  });

  it("stays quiet on a vulnerability scanner that also ran in learning, also after a model round trip", () => {
    const inLearning = synScan("10.10.9.9", "10.10.40", 100, T0 + 600, ["10.10.40.3"], [22]);
    const after = synScan("10.10.9.9", "10.10.40", 100, LEARN + 600, ["10.10.40.3"], [22]).map((e) => e);
    const a = new ScanAnalyzer();
    expect(drive(a, [...inLearning, ...after], LEARN)).toEqual([]);
    const b = new ScanAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
    expect(drive(b, after, LEARN)).toEqual([]);
  });

  it("ignores unanswered discovery traffic to multicast and broadcast groups", () => {
    const ev: EventBase[] = [];
    for (let i = 0; i < 40; i++) {
      ev.push(...connection({ ts: LEARN + 10 + i, src: "10.10.5.70", dst: `239.255.${i}.250`, dport: 1900, transport: "udp", bytesToServer: 200, bytesToClient: 0 }));
      ev.push(...connection({ ts: LEARN + 10 + i, src: "10.10.5.70", dst: `ff02::${i.toString(16)}`, dport: 5353 + i, transport: "udp", bytesToServer: 200, bytesToClient: 0 }));
    }
    for (const e of ev) if (e.type === "flow.end") Object.assign(e, { pktsToClient: 0 });
    expect(drive(new ScanAnalyzer(), ev, LEARN)).toEqual([]);
  });

  it("stays quiet on busy IT traffic and on normal plant traffic", () => {
    expect(drive(new ScanAnalyzer(), [...busyItTraffic(T0, T0 + 2 * 3600), ...plantNormal(T0, T0 + 2 * 3600), ...plantNormalTraffic(T0, T0 + 2 * 3600)], LEARN)).toEqual([]);
  });

  it("bounds the targets of all windows together, and a scanner after the flood's windows expired is still reported", () => {
    const counters = new Counters();
    const a = new ScanAnalyzer(counters);
    const ctx: { -readonly [K in keyof AnalyzerContext]: AnalyzerContext[K] } = { mode: "detecting", ts: LEARN, zoneOf: (ip) => zoneOf(ip), learnedSeconds: 3600, learnSeconds: 3600 };
    // One flow.end reused (300 k probes): only the scanner, target and time change.
    const [, end] = connection({ ts: LEARN, src: "", dst: "", dport: 0, duration: 30, established: false, bytesToServer: 0, bytesToClient: 0 });
    const probe = (src: string, dst: string, dport: number, ts: number): ReturnType<ScanAnalyzer["observe"]> => {
      Object.assign(end, { src, dst, dport, ts: ts + 30, startTs: ts });
      ctx.ts = end.ts;
      return a.observe(end, ctx);
    };
    // More scanners at full rate than the budget holds: each fills its window until the total is reached.
    const scanners = Math.ceil(SCAN_MAX_TOTAL_TARGETS / SCAN_MAX_TARGETS_PER_WINDOW) + 4;
    const fired = new Set<string>();
    for (let s = 0; s < scanners; s++) {
      for (let i = 0; i < SCAN_MAX_TARGETS_PER_WINDOW; i++) {
        for (const d of probe(`10.10.9.${s + 1}`, `10.10.${i >> 8}.${i & 255}`, 1 + (i % 7), LEARN + s) ?? []) fired.add(d.src);
      }
    }
    expect(a.dropped).toBeGreaterThan(0);
    expect(a.dropped).toBe(scanners * SCAN_MAX_TARGETS_PER_WINDOW - SCAN_MAX_TOTAL_TARGETS);
    expect(fired.size).toBe(SCAN_MAX_TOTAL_TARGETS / SCAN_MAX_TARGETS_PER_WINDOW);
    // The flood stops; a window later a new scanner is seen again (the quiet windows gave their targets back).
    const later = LEARN + SCAN_WINDOW_S + 120;
    const drafts = PORTS.flatMap((p, i) => probe("10.20.0.30", "192.168.20.11", p, later + i) ?? []);
    expect(drafts.map((d) => [d.kind, d.src])).toEqual([["net.port-scan", "10.20.0.30"]]);
    expect(a.dropped).toBe(scanners * SCAN_MAX_TARGETS_PER_WINDOW - SCAN_MAX_TOTAL_TARGETS);
    expect(counters.get("detect.scan.dropped.targets")).toBe(a.dropped);
  });
});
