// A real slice of the hostile-input fuzzer (issue 2 item 10) in the test suite: 40,000 mutated packets per dissector
// through the whole pipeline (the million-packet run is `npm run fuzz`), with the same checks: no internal error, no
// escaped exception, flow cap held, malformed input counted, request floods stopped at the pending limit, memory
// (heap + ArrayBuffers) bounded and not growing between a 10,000- and a 40,000-packet run. Then the held-memory
// scenario (hold.ts) with a small session budget: what all flows keep stays within it.
import { describe, expect, it } from "vitest";
import { checkGrowth, checkRun, exposeGc } from "./check.ts";
import { runFuzz } from "./harness.ts";
import { holdScenarios, runHold } from "./hold.ts";
import { createMutator, MUTATIONS, type Seed } from "./mutate.ts";
import { Prng } from "./prng.ts";
import { fuzzTargets } from "./targets.ts";
import type { Dissector } from "../../src/core/types.ts";

const PACKETS = 40_000;
const SEED = 7;

describe("mutator", () => {
  const seeds: Seed[] = [{ dir: 0, bytes: Uint8Array.of(0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 10), lengths: [{ off: 4, size: 2, le: false }] }];

  it("is a pure function of the seed", () => {
    const run = (seed: number): string[] => {
      const m = createMutator(new Prng(seed), seeds);
      return Array.from({ length: 200 }, () => Buffer.from(m.mutate(seeds[0]!)).toString("hex"));
    };
    expect(run(1)).toEqual(run(1));
    expect(run(1)).not.toEqual(run(2));
  });

  it("truncates every seed at every offset in turn and writes absurd values into length fields", () => {
    const m = createMutator(new Prng(3), seeds);
    const lengths = Array.from({ length: 12 }, () => m.mutate(seeds[0]!, "truncate").length);
    expect(lengths).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const mbapLengths = new Set(Array.from({ length: 200 }, () => {
      const b = m.mutate(seeds[0]!, "absurd-length");
      return (b[4]! << 8) | b[5]!;
    }));
    expect(mbapLengths.has(0)).toBe(true);
    expect(mbapLengths.has(0xffff)).toBe(true);
    expect(MUTATIONS.length).toBeGreaterThanOrEqual(10);
  });
});

describe("hostile input through the whole pipeline", () => {
  const gc = exposeGc();
  for (const t of fuzzTargets()) {
    it(`${t.name}: ${PACKETS} mutated packets, no internal error, limits held, malformed counted, memory bounded`, () => {
      const short = runFuzz(t, { packets: PACKETS / 4, seed: SEED }, gc);
      const r = runFuzz(t, { packets: PACKETS, seed: SEED }, gc);
      expect(r.crashes).toEqual([]);
      expect([...checkRun(short, t), ...checkRun(r, t), ...checkGrowth(short, r)]).toEqual([]);
      expect(r.packets).toBeGreaterThanOrEqual(PACKETS);
      expect(r.counters["internal.decode.exception"] ?? 0).toBe(0);
      // The flow cap was actually reached (eviction ran), so "held" means something.
      expect(r.maxActiveFlows).toBe(r.flowLimit);
      expect(r.counters["flow.evicted"] ?? 0).toBeGreaterThan(0);
    }, 60_000);
  }
});

describe("the harness sees bugs", () => {
  it("counts an exception thrown inside a session and records its stack and input", () => {
    const modbus = fuzzTargets()[0]!;
    const real = modbus.dissectors[0]!;
    const buggy: Dissector = {
      ...real,
      createSession(flow) {
        const s = real.createSession(flow);
        return {
          ...s,
          onPdu(dir, pdu, ctx) {
            if (pdu[7] === 0x10) throw new RangeError("planted bug on FC16");
            s.onPdu(dir, pdu, ctx);
          },
          onEnd: (ctx) => s.onEnd(ctx),
        };
      },
    };
    const r = runFuzz({ ...modbus, dissectors: [buggy] }, { packets: 5_000, seed: SEED });
    expect(r.internal).toBeGreaterThan(0);
    expect(r.counters["internal.modbus.exception"]).toBe(r.internal);
    expect(checkRun(r, modbus).join()).toContain("internal errors");
    const crash = r.crashes[0]!;
    expect(crash.stack).toContain("planted bug on FC16");
    expect(crash.inputHex.slice(14, 16)).toBe("10");
  });
});

describe("memory held on purpose stays within the pipeline-wide session budget", () => {
  const gc = exposeGc();
  const MiB = 1024 * 1024;
  const BUDGET = MiB;
  /** GC noise and per-flow state (flow records, streams, sessions) that the budget does not cover. */
  const SLACK = 2 * MiB;
  const size: Record<string, { flows: number; perFlow?: number }> = {
    "modbus pending requests": { flows: 100 },
    "dns-tcp pending queries": { flows: 100 },
    "http endless head": { flows: 400 },
    "tls hello over records": { flows: 100 },
    // A message refused by the budget is dropped and the rest of it skipped: each flow stays under the budget alone.
    "opcua C-chunk assembly": { flows: 8, perFlow: 0.75 * MiB },
  };
  for (const sc of holdScenarios()) {
    const { flows, perFlow = sc.perFlow } = size[sc.name]!;
    it(`${sc.name}: ${flows} flows hold more than ${(BUDGET + SLACK) / MiB} MiB without a budget, within it with a ${BUDGET / MiB} MiB budget`, () => {
      const free = runHold(sc.name, sc.dissectors, sc.port, flows, perFlow, sc.chunk, gc);
      expect(free.heldBytes).toBeGreaterThan(BUDGET + SLACK);
      expect(free.counters["budget.session.refused"] ?? 0).toBe(0);
      const h = runHold(sc.name, sc.dissectors, sc.port, flows, perFlow, sc.chunk, gc, { maxTotalSessionBytes: BUDGET });
      expect(h.heldBytes).toBeLessThan(BUDGET + SLACK);
      expect(h.reservedBytes).toBeLessThanOrEqual(BUDGET);
      expect(h.reservedBytes).toBeGreaterThan(BUDGET / 2);
      expect(h.counters["budget.session.refused"] ?? 0).toBeGreaterThan(0);
      const proto = sc.dissectors[0]!.name;
      expect(h.counters[`weird.${proto}.budget`] ?? 0).toBeGreaterThan(0);
      expect(Object.entries(h.counters).filter(([k]) => k.startsWith("internal."))).toEqual([]);
      // Everything reserved came back when the flows ended.
      expect(h.reservedAfterEnd).toBe(0);
      expect(free.reservedAfterEnd).toBe(0);
    }, 30_000);
  }
});
