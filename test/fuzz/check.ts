// What a fuzz run must show, shared by `npm run fuzz` and the vitest slice: no internal error and no escaped exception,
// the flow cap held, malformed input counted, memory bounded and not growing with the packet count.
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import type { FuzzResult, FuzzTarget } from "./harness.ts";

/** Largest heap (bytes) a fuzz run may reach: far below the appliance's 1 GB, far above what bounded state needs. */
export const MAX_FUZZ_HEAP = 384 * 1024 * 1024;
/** Allowed growth of the post-GC heap between a short and a long run of the same target (bounded state only). */
export const MAX_HEAP_GROWTH = 16 * 1024 * 1024;

/** A full-GC function: --expose-gc switched on at run time, so neither tsx nor vitest needs a node flag. */
export function exposeGc(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

/** Problems with one run (empty when it passes). */
export function checkRun(r: FuzzResult, t: FuzzTarget): string[] {
  const out: string[] = [];
  const proto = t.dissectors[0]?.name ?? t.name;
  if (t.floodRequest !== undefined && (r.counters[`weird.${proto}.flooded`] ?? 0) === 0) {
    out.push(`${r.target}: request floods sent but the pending limit never reported (weird.${proto}.flooded = 0)`);
  }
  if (r.internal > 0) out.push(`${r.target}: ${r.internal} internal errors`);
  if (r.escaped > 0) out.push(`${r.target}: ${r.escaped} exceptions escaped the pipeline`);
  if (r.maxActiveFlows > r.flowLimit) out.push(`${r.target}: ${r.maxActiveFlows} active flows > limit ${r.flowLimit}`);
  if (r.weird === 0) out.push(`${r.target}: no weird counted for hostile input`);
  if (r.peakHeapBytes > MAX_FUZZ_HEAP) out.push(`${r.target}: peak heap ${mb(r.peakHeapBytes)} > ${mb(MAX_FUZZ_HEAP)}`);
  return out;
}

/** Post-GC heap must not grow with the packet count: `long` ran more packets than `short` with the same seed. */
export function checkGrowth(short: FuzzResult, long: FuzzResult): string[] {
  const growth = long.heapAfterGcBytes - short.heapAfterGcBytes;
  return growth > MAX_HEAP_GROWTH
    ? [`${long.target}: heap after GC grew ${mb(growth)} from ${short.packets} to ${long.packets} packets (> ${mb(MAX_HEAP_GROWTH)})`]
    : [];
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
