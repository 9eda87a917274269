import { describe, expect, it } from "vitest";
import { PendingMap } from "./pending-map.ts";

/** A small deterministic PRNG (mulberry32): the same operation sequences on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("PendingMap", () => {
  it("behaves as a Map<number, V> over random set/get/delete/clear/iterate sequences (order included)", () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed);
      const keys = 1 + Math.floor(r() * 6); // few keys: collisions with the slot are frequent
      const p = new PendingMap<number>();
      const m = new Map<number, number>();
      for (let op = 0; op < 300; op++) {
        const k = Math.floor(r() * keys);
        const x = r();
        if (x < 0.4) {
          p.set(k, op);
          m.set(k, op);
        } else if (x < 0.75) {
          expect(p.delete(k)).toBe(m.delete(k));
        } else if (x < 0.85) {
          expect(p.get(k)).toBe(m.get(k));
          expect(p.has(k)).toBe(m.has(k));
        } else if (x < 0.9) {
          // Delete while iterating, as the sessions' timeout sweeps do.
          for (const [key, v] of p) if (v % 2 === 0) p.delete(key);
          for (const [key, v] of m) if (v % 2 === 0) m.delete(key);
        } else if (x < 0.92) {
          p.clear();
          m.clear();
        }
        expect(p.size).toBe(m.size);
        expect([...p]).toEqual([...m]);
        expect([...p.values()]).toEqual([...m.values()]);
        expect(p.first()).toEqual(m.entries().next().value);
      }
    }
  });

  it("keeps the one outstanding request in its slot and uses the Map only while several wait", () => {
    const p = new PendingMap<string>();
    p.set(7, "a");
    p.set(8, "b");
    p.set(9, "c");
    expect([...p]).toEqual([[7, "a"], [8, "b"], [9, "c"]]);
    expect(p.delete(7)).toBe(true);
    p.set(10, "d"); // the Map still holds 8 and 9: 10 goes after them
    expect([...p].map(([k]) => k)).toEqual([8, 9, 10]);
    expect(p.first()).toEqual([8, "b"]);
  });
});
