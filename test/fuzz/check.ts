// What a fuzz run must show, shared by `npm run fuzz` and the vitest slice: no internal error and no escaped exception,
// the flow cap held, malformed input counted, memory (JS heap + ArrayBuffers) bounded and not growing with the packet count.
import { runInNewContext } from "node:vm";
import { setFlagsFromString } from "node:v8";
import type { FuzzResult, FuzzTarget } from "./harness.ts";

/** Largest heap + buffers (bytes) a fuzz run may reach: far below the appliance's 1 GB, far above bounded state. */
export const MAX_FUZZ_MEMORY = 384 * 1024 * 1024;
/** Allowed growth of post-GC heap + buffers between a short and a long run of the same target (bounded state only). */
export const MAX_MEMORY_GROWTH = 16 * 1024 * 1024;

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
  const protoWeird = Object.entries(r.counters).reduce((n, [k, v]) => (k.startsWith(`weird.${proto}.`) ? n + v : n), 0);
  if (protoWeird === 0) out.push(`${r.target}: no weird.${proto}.* counted for hostile input`);
  if (r.peakMemBytes > MAX_FUZZ_MEMORY) out.push(`${r.target}: peak heap + buffers ${mb(r.peakMemBytes)} > ${mb(MAX_FUZZ_MEMORY)}`);
  return out;
}

/** Post-GC memory must not grow with the packet count: `long` ran more packets than `short` with the same seed. */
export function checkGrowth(short: FuzzResult, long: FuzzResult): string[] {
  const growth = long.memAfterGcBytes - short.memAfterGcBytes;
  return growth > MAX_MEMORY_GROWTH
    ? [`${long.target}: heap + buffers after GC grew ${mb(growth)} from ${short.packets} to ${long.packets} packets (> ${mb(MAX_MEMORY_GROWTH)})`]
    : [];
}

export function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
