// Beaconing: fires on regular call-backs to new destinations (jitter, missed beats, other periods), stays quiet on
// browsing, monitoring, backups and on destinations known from learning.
import { describe, expect, it } from "vitest";
import type { EventBase } from "../../core/types.ts";
import { BeaconAnalyzer } from "./beacon.ts";
import { scoreBeacon } from "./beacon-score.ts";
import { T0, busyItTraffic, clientHello, connection, drive, plantNormalTraffic, rng } from "./test-kit.ts";

const LEARN = T0 + 3600;

function beacon(src: string, dst: string, period: number, jitter: number, from: number, to: number, seed = 1, missEvery = 0): EventBase[] {
  const r = rng(seed);
  const ev: EventBase[] = [];
  let i = 0;
  for (let t = from; t < to; t += period * (1 + (r() * 2 - 1) * jitter)) {
    i++;
    if (missEvery > 0 && i % missEvery === 0) continue;
    const flow = `B${seed}-${i}`;
    const [s, e] = connection({ ts: t, src, dst, dport: 8443, duration: 0.8, bytesToServer: 200 + Math.floor(r() * 20), bytesToClient: 90 });
    ev.push({ ...s, flow }, { ...e, flow }, clientHello({ ts: t + 0.01, src, dst, sni: "cdn-sync.example.net", flow }));
  }
  return ev;
}

describe("scoreBeacon", () => {
  it("scores jittered series high and random series low", () => {
    const r = rng(3);
    const regular: number[] = [];
    for (let t = 0, k = 0; k < 12; k++, t += 60 * (1 + (r() * 2 - 1) * 0.1)) regular.push(t);
    const random: number[] = [];
    for (let t = 0, k = 0; k < 12; k++, t += -Math.log(1 - r()) * 60) random.push(t);
    expect(scoreBeacon(regular, [200, 210, 205])!.score).toBeGreaterThan(0.75);
    expect(scoreBeacon(random, [200, 5000, 90000])!.score).toBeLessThan(0.5);
  });
});

describe("BeaconAnalyzer", () => {
  it("fires on a DMZ host calling a new external host every 120 s ± 8 % and explains it", () => {
    const ev = [...busyItTraffic(T0, T0 + 7200), ...beacon("10.20.0.20", "198.18.5.9", 120, 0.08, LEARN + 60, LEARN + 1800)];
    const drafts = drive(new BeaconAnalyzer(), ev, LEARN).filter((d) => d.kind === "net.beacon");
    expect(drafts.map((d) => [d.src, d.dst])).toEqual([["10.20.0.20", "198.18.5.9"]]);
    const d = drafts[0]!;
    expect(d.severity).toBe("critical");
    expect(d.attack).toEqual(["T0869", "T1071.001"]);
    expect(d.summary).toMatch(/^10\.20\.0\.20 → 198\.18\.5\.9:8443 \(cdn-sync\.example\.net\), \d+ connections every 1[12]\d s ± \d+ s, .*never seen in learning$/);
    // Fires within a handful of beats (4 from a DMZ host to the internet), not after the whole series.
    expect(d.ts! - (LEARN + 60)).toBeLessThan(120 * 4);
    expect(d.evidence.connections).toBe(4);
  });

  it("fires on other periods (30 s, 10 min) with ±10 % jitter and missed beats", () => {
    for (const [period, miss] of [[30, 4], [600, 0]] as const) {
      const ev = beacon("192.168.10.6", "203.0.113.200", period, 0.1, LEARN + 10, LEARN + 12 * period + 20, period, miss);
      const drafts = drive(new BeaconAnalyzer(), [...connection({ ts: T0, src: "192.168.10.6", dst: "192.168.10.7", dport: 4840 }), ...ev], LEARN);
      expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst}`)).toEqual(["net.beacon 192.168.10.6 203.0.113.200"]);
    }
  });

  it("needs 4 beats to the internet from OT/DMZ hosts, and no fewer", () => {
    const three = beacon("192.168.20.30", "203.0.113.210", 600, 0.05, LEARN + 10, LEARN + 600 * 2.5);
    expect(drive(new BeaconAnalyzer(), three, LEARN)).toEqual([]);
    const four = beacon("192.168.20.30", "203.0.113.210", 600, 0.05, LEARN + 10, LEARN + 600 * 3.5);
    expect(drive(new BeaconAnalyzer(), four, LEARN).map((d) => d.evidence.connections)).toEqual([4]);
  });

  it("needs more beats from IT hosts than from OT hosts", () => {
    const ev = beacon("10.10.5.77", "203.0.113.201", 60, 0.05, LEARN + 10, LEARN + 60 * 6.5);
    expect(drive(new BeaconAnalyzer(), [...connection({ ts: T0, src: "10.10.5.1", dst: "10.10.0.53", dport: 53 }), ...ev], LEARN)).toEqual([]);
    const longer = beacon("10.10.5.77", "203.0.113.201", 60, 0.05, LEARN + 10, LEARN + 60 * 12);
    const drafts = drive(new BeaconAnalyzer(), longer, LEARN);
    expect(drafts.length).toBe(1);
    expect(drafts[0]?.severity).toBe("high");
  });

  it("stays quiet on NTP polls to rotating pool servers and on a new client of a known internal server", () => {
    const ev: EventBase[] = [...connection({ ts: T0, src: "192.168.10.9", dst: "192.168.20.11", dport: 502 })];
    for (let i = 0; i < 20; i++) {
      ev.push(...connection({ ts: LEARN + i * 64, src: "10.20.0.20", dst: "203.0.113.123", dport: 123, transport: "udp", bytesToServer: 76, bytesToClient: 76 }));
      ev.push(...connection({ ts: LEARN + i * 10, src: "192.168.10.5", dst: "192.168.20.11", dport: 502, bytesToServer: 600, bytesToClient: 600 }));
    }
    expect(drive(new BeaconAnalyzer(), ev, LEARN)).toEqual([]);
  });

  it("stays quiet on busy IT traffic (browsing, monitoring, backup) after learning", () => {
    expect(drive(new BeaconAnalyzer(), [...busyItTraffic(T0, T0 + 2 * 3600), ...plantNormalTraffic(T0, T0 + 2 * 3600)], LEARN)).toEqual([]);
  });

  it("stays quiet on a periodic pair that was already there in learning, also after a model round trip", () => {
    const ev = beacon("10.20.0.20", "198.18.5.9", 120, 0.05, T0, T0 + 7200);
    const a = new BeaconAnalyzer();
    expect(drive(a, ev, LEARN)).toEqual([]);
    const b = new BeaconAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
    expect(drive(b, beacon("10.20.0.20", "198.18.5.9", 120, 0.05, LEARN + 10, LEARN + 3600), LEARN)).toEqual([]);
  });
});
