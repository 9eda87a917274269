// `npm run fuzz [-- --packets N --seed S --only name,…]`: at least 1,000,000 hostile packets per dissector through the
// whole pipeline (issue 2 item 10). Each target runs twice with the same seed — a quarter of the packets, then all of
// them — so the post-GC memory (heap + ArrayBuffers) of the two can be compared. Prints per target the packets,
// packets/s, weird counts, peak memory and memory after GC; then the "held memory" scenario (hold.ts). Any internal
// error, escaped exception, broken limit, memory growth or held memory over its bound makes the exit code 1, and the
// recorded crashes (dissector, input hex, stack) are printed.
import { parseArgs } from "node:util";
import { checkGrowth, checkRun, exposeGc, mb } from "./check.ts";
import { runFuzz } from "./harness.ts";
import { MAX_HELD_BYTES, opcuaIntermediateChunk, runHold } from "./hold.ts";
import { opcuaDissector } from "../../protocols/opcua/index.ts";
import { fuzzTargets } from "./targets.ts";

const { values } = parseArgs({
  options: {
    packets: { type: "string", default: "1000000" },
    seed: { type: "string", default: "20261121" },
    only: { type: "string" },
  },
});
const packets = Number(values.packets);
const seed = Number(values.seed);
const only = values.only?.split(",");
const gc = exposeGc();
const problems: string[] = [];

console.log(`fuzz: ${packets} packets per target, seed ${seed}`);
console.log("target     packets   packets/s   events     weird  internal escaped   peak mem  mem after GC (¼ run → full)   max flows");
for (const t of fuzzTargets()) {
  if (only !== undefined && !only.includes(t.name)) continue;
  const short = runFuzz(t, { packets: Math.ceil(packets / 4), seed }, gc);
  const r = runFuzz(t, { packets, seed }, gc);
  const issues = [...checkRun(short, t), ...checkRun(r, t), ...checkGrowth(short, r)];
  problems.push(...issues);
  console.log(
    `${t.name.padEnd(9)} ${String(r.packets).padStart(8)} ${String(Math.round(r.packets / r.seconds)).padStart(10)} ${String(r.events).padStart(8)} ` +
      `${String(r.weird).padStart(9)} ${String(r.internal).padStart(9)} ${String(r.escaped).padStart(7)} ${mb(r.peakMemBytes).padStart(10)}  ` +
      `${mb(short.memAfterGcBytes)} → ${mb(r.memAfterGcBytes)}`.padEnd(32) + `${r.maxActiveFlows}/${r.flowLimit}`,
  );
  const weird = Object.entries(r.counters).filter(([k]) => k.startsWith("weird.") || k.startsWith("internal."));
  console.log(`           ${weird.map(([k, v]) => `${k}=${v}`).join(" ")}`);
  for (const c of [...short.crashes, ...r.crashes].slice(0, 5)) {
    console.log(`  CRASH in ${c.dissector} ${c.op} dir ${c.dir ?? "-"}\n  input ${c.inputHex}\n  ${c.stack.split("\n").join("\n  ")}`);
  }
}
// 24 OPC UA flows, each 15.5 MiB of intermediate chunks of one request (under the per-flow bound of 16 MiB).
if (only === undefined || only.includes("hold")) {
  const h = runHold("opcua C-chunk assembly", [opcuaDissector], 4840, 24, 15.5 * 1024 * 1024, opcuaIntermediateChunk(60_000), gc);
  const ok = h.heldBytes <= MAX_HELD_BYTES;
  console.log(`\nheld memory: ${h.name}, ${h.flows} flows, ${mb(h.bytesSent)} sent, ${mb(h.heldBytes)} held after GC ` +
    `(bound ${mb(MAX_HELD_BYTES)}) — ${ok ? "ok" : "OVER"}; ${Object.entries(h.counters).filter(([k]) => /opcua|weird|internal|budget/.test(k)).map(([k, v]) => `${k}=${v}`).join(" ")}`);
  if (!ok) problems.push(`${h.name}: ${h.flows} flows hold ${mb(h.heldBytes)} (> ${mb(MAX_HELD_BYTES)}): no pipeline-wide bound`);
}
if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join("\n  ")}`);
  process.exitCode = 1;
} else {
  console.log("\nno internal error, no escaped exception, limits held, memory bounded");
}
