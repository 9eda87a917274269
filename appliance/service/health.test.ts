// Sensor-health checks on packet time: one sensor.no-traffic per silent episode per interface, sensor.capture-drops
// when a window's drops pass both thresholds, nothing on a healthy or barely lossy link; both reported while learning.
import { describe, expect, it } from "vitest";
import type { AnalyzerContext } from "../../src/detect/types.ts";
import { InterfaceHealth, SensorHealthAnalyzer } from "./health.ts";

const thresholds = { noTrafficSeconds: 300, dropsPercent: 1, dropsMin: 100, dropsWindowSeconds: 60 };
const ctx = (ts: number): AnalyzerContext => ({ mode: "learning", ts, learnedSeconds: 0, learnSeconds: 3600, zoneOf: () => ({ name: "unknown", level: Number.NaN }) });

function run(a: SensorHealthAnalyzer, from: number, to: number, each?: (ts: number) => void) {
  const out = [];
  for (let t = from; t <= to; t++) {
    each?.(t);
    out.push(...(a.tick(ctx(t)) ?? []));
  }
  return out;
}

describe("SensorHealthAnalyzer", () => {
  it("reports a silent interface once per episode, after the threshold, with the interface in the evidence", () => {
    const eth1 = new InterfaceHealth("eth1");
    const eth2 = new InterfaceHealth("eth2");
    const a = new SensorHealthAnalyzer([eth1, eth2], thresholds);
    // eth1 busy throughout, eth2 silent from the start.
    const first = run(a, 1000, 1400, (t) => (eth1.lastTs = t));
    expect(first.map((d) => [d.kind, d.evidence.interface, d.ts ?? null])).toEqual([["sensor.no-traffic", "eth2", null]]);
    expect(first[0]).toMatchObject({ severity: "high", alwaysOn: true, evidence: { idle_seconds: 300, threshold_seconds: 300 } });
    expect(run(a, 1401, 2000, (t) => (eth1.lastTs = t))).toEqual([]);
    // eth2 comes back, then falls silent again: a second episode with its own key.
    eth2.lastTs = 2001;
    const again = run(a, 2001, 2400, (t) => (eth1.lastTs = t));
    expect(again.map((d) => d.evidence.interface)).toEqual(["eth2"]);
    expect(again[0]?.key).not.toBe(first[0]?.key);
  });

  it("reports capture drops above both thresholds in a window, once per episode", () => {
    const i = new InterfaceHealth("eth1");
    const a = new SensorHealthAnalyzer([i], thresholds);
    const busy = (perSecond: number, dropsPerSecond: number) => (t: number) => {
      i.lastTs = t;
      i.received += perSecond;
      i.dropped += dropsPerSecond;
    };
    expect(run(a, 0, 180, busy(10_000, 50))).toEqual([]); // 0.5 %: under drops_percent
    expect(run(a, 181, 400, busy(10, 1))).toEqual([]); // 10 %, but under 100 drops a window
    const d = run(a, 401, 700, busy(10_000, 500)); // 5 %
    expect(d.map((x) => x.kind)).toEqual(["sensor.capture-drops"]);
    expect(d[0]).toMatchObject({ severity: "medium", alwaysOn: true, evidence: { interface: "eth1", percent: 5 } });
    run(a, 701, 900, busy(10_000, 0));
    expect(run(a, 901, 1000, busy(10_000, 500)).map((x) => x.kind)).toEqual(["sensor.capture-drops"]);
  });
});
