// The fast value texts of text.ts against the engine they replace: String(x) for doubles, Date.toISOString for times.
import { describe, expect, it } from "vitest";
import { doubleText, isoTime } from "./text.ts";

/** Deterministic PRNG (mulberry32): the same values on every run, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkDoubles(values: Iterable<number>): void {
  let bad = 0;
  const examples: string[] = [];
  for (const x of values) {
    if (doubleText(x) !== String(x)) {
      bad++;
      if (examples.length < 5) examples.push(`${String(x)} → ${doubleText(x)}`);
    }
  }
  expect(examples).toEqual([]);
  expect(bad).toBe(0);
}

describe("doubleText equals String(x)", () => {
  it("on edge values", () => {
    const edge = [
      0, -0, 1, -1, 0.1, 0.2, 0.1 + 0.2, 1 / 3, 2 / 3, 0.5, 1e-6, 1e-7, 9.99e-7, 1.5e-6, 0.000001, 0.0000015, 1e-5, 123.456,
      -123.456, 131.629, 1.116, 71.572, 0.415, 99.99999999, 9.999999999999998, 10 - 2 ** -49, 2 ** 50, 2 ** 50 - 1,
      2 ** 50 - 0.5, 2 ** 49 + 0.25, 2 ** 53, 2 ** 53 + 2, 1e15 + 0.3, 1e21, 1e21 - 65536, 1.7976931348623157e308, 5e-324,
      Number.MIN_VALUE, Number.EPSILON, NaN, Infinity, -Infinity, 4.35, 0.07, 1.005, 2.675, 1234567.891, 0.00001234,
      0.12345678, 0.123456789, 12345678.12345678, 281474976710655.9, 1125899906842623.5,
    ];
    checkDoubles(edge);
  });
  it("on one million short decimals of every magnitude (the plant case)", () => {
    const r = rng(1);
    checkDoubles((function* () {
      for (let i = 0; i < 1_000_000; i++) {
        const places = Math.floor(r() * 11);
        const digits = Math.floor(r() * 16) + 1;
        const s = Math.floor(r() * 10 ** digits);
        const x = s / 10 ** places;
        yield r() < 0.2 ? -x : x;
      }
    })());
  });
  it("on random doubles and random bit patterns", () => {
    const r = rng(2);
    const f64 = new Float64Array(1);
    const u32 = new Uint32Array(f64.buffer);
    checkDoubles((function* () {
      for (let i = 0; i < 300_000; i++) {
        yield (r() - 0.5) * 10 ** Math.floor(r() * 30 - 10);
        u32[0] = Math.floor(r() * 2 ** 32);
        u32[1] = Math.floor(r() * 2 ** 32);
        yield f64[0]!;
        // neighbours of short decimals: one ulp off must not print as the decimal
        const d = Math.round(r() * 1e6) / 1000;
        f64[0] = d;
        u32[0] = (u32[0]! + 1) >>> 0;
        yield f64[0]!;
        u32[0] = (u32[0]! - 2) >>> 0;
        yield f64[0]!;
        yield Math.fround(r() * 1000); // Floats widened to doubles: long texts, engine path
      }
    })());
  });
});

const reference = (ms: number): string => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? "" : d.toISOString();
};

describe("isoTime equals Date.toISOString", () => {
  it("on edge values", () => {
    const day = 86400000;
    const edge = [
      0, 1, 999, 1000, day - 1, day, -1, -day, 951782400000 /* 2000-02-29 */, 951868800000, 4107542400000 /* 2100-03-01 */,
      4107542400000 - 1, 253402300800000 - 1, 253402300800000, 253402300800000 + 1, 8.64e15, 8.64e15 + 1, -8.64e15,
      -8.64e15 - 1, NaN, Infinity, 1.5, Date.UTC(2024, 11, 31, 23, 59, 59, 999), Date.UTC(2023, 0, 1), Date.UTC(1972, 1, 29),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(1999, 11, 31, 23, 59, 59, 999), Date.UTC(2000, 0, 1),
      -11644473600000 /* 1601-01-01 */,
    ];
    for (const ms of edge) expect(isoTime(ms)).toBe(reference(ms));
  });
  it("on every day from 1969 to 2400 and on random instants", () => {
    const bad: number[] = [];
    for (let ms = Date.UTC(1969, 0, 1) + 12345; ms < Date.UTC(2400, 0, 1); ms += 86400000) {
      if (isoTime(ms) !== reference(ms)) bad.push(ms);
    }
    const r = rng(3);
    for (let i = 0; i < 300_000; i++) {
      const ms = Math.floor((r() * 1.2 - 0.1) * 253402300800000);
      if (isoTime(ms) !== reference(ms)) bad.push(ms);
    }
    expect(bad).toEqual([]);
  });
});
