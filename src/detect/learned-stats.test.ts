// Learned ranges, interval histograms, windows and the report gate used by the protocol analyzers.
import { describe, expect, it } from "vitest";
import {
  addToRange, DistinctWindow, formatDuration, IntervalHistogram, isInRange, rangeMargin, ReportGate, sortKeys, summarisePeriod,
  WindowCounter, type ValueRange,
} from "./learned-stats.ts";

describe("learned value ranges", () => {
  it("tolerates more around few samples than around many", () => {
    const few: ValueRange = { min: 173, max: 191, n: 3 };
    const many: ValueRange = { min: 100, max: 200, n: 200 };
    expect(isInRange(few, 117)).toBe(true);
    expect(isInRange(few, 900)).toBe(false);
    expect(rangeMargin(many)).toBe(100);
    expect(isInRange(many, 301)).toBe(false);
    expect(isInRange(many, 0)).toBe(true);
  });

  it("keeps a minimum margin of 1 for constant zero values and tracks min/max/n", () => {
    let r: ValueRange | undefined;
    for (const v of [0, 0, 0, 0, 0, 0, 0, 0]) r = addToRange(r, v);
    expect(r).toEqual({ min: 0, max: 0, n: 8 });
    expect(isInRange(r as ValueRange, 1)).toBe(true);
    expect(isInRange(r as ValueRange, 2)).toBe(false);
  });
});

describe("IntervalHistogram", () => {
  it("gives a median insensitive to a few long gaps and a dispersion near zero for a steady poll", () => {
    const h = new IntervalHistogram();
    for (let i = 0; i < 1000; i++) h.add(i % 50 === 0 ? 60 : 2);
    const s = summarisePeriod(h);
    expect(s.period).toBeGreaterThan(1.95);
    expect(s.period).toBeLessThan(2.05);
    expect(s.dispersion).toBeLessThan(0.05);
    expect(s.samples).toBe(1000);
    expect(s.p99).toBeGreaterThan(50);
  });
});

describe("windows and gate", () => {
  it("WindowCounter counts per tumbling window of packet time and keeps the peak", () => {
    const w = new WindowCounter(10);
    for (const ts of [100, 101, 109.9, 110, 111, 112, 113]) w.add(ts);
    expect(w.count).toBe(4);
    expect(w.peak).toBe(4);
    w.add(200);
    expect(w.count).toBe(1);
    expect(w.peak).toBe(4);
  });

  it("DistinctWindow counts distinct values per window", () => {
    const d = new DistinctWindow(60, 100);
    expect([1, 2, 2, 3].map((u) => d.add(10, u))).toEqual([1, 2, 2, 3]);
    expect(d.add(70, 1)).toBe(1);
  });

  it("ReportGate allows a fact once per interval of packet time and stays bounded", () => {
    const g = new ReportGate(60, 4);
    expect([g.wouldAllow("a", 0), g.wouldAllow("a", 0)]).toEqual([true, true]);
    expect([g.allow("a", 0), g.allow("a", 30), g.wouldAllow("a", 50), g.allow("a", 61)]).toEqual([true, false, false, true]);
    for (const f of ["b", "c", "d", "e", "f"]) g.allow(f, 62);
    expect(g.allow("f", 63)).toBe(false);
  });
});

describe("formatting", () => {
  it("formats learning durations and sorts keys deeply", () => {
    expect([formatDuration(45), formatDuration(2700), formatDuration(7500), formatDuration(3 * 86400 + 4 * 3600)]).toEqual(["45 s", "45 min", "2 h 5 min", "3 d 4 h"]);
    expect(JSON.stringify(sortKeys({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 0 } }))).toBe('{"a":{"c":0,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
