// `npm run fuzz [-- --packets N --direct N --seed S --only name,…,hold]`: at least 1,000,000 hostile packets per dissector through the
// whole pipeline (issue 2 item 10). Each target runs twice with the same seed — a quarter of the packets, then all of
// them — so the post-GC memory (heap + ArrayBuffers) of the two can be compared. Prints per target the packets,
// packets/s, weird counts, peak memory and memory after GC; then the "held memory" scenario (hold.ts). Any internal
// error, escaped exception, broken limit, memory growth or held memory over its bound makes the exit code 1, and the
// recorded crashes (dissector, input hex, stack) are printed. Between the two: the session-level stage (direct.ts,
// `--direct N` PDUs per dissector, 0 to skip).
import { parseArgs } from "node:util";
import { checkGrowth, checkRun, exposeGc, mb } from "./check.ts";
import { runDirect } from "./direct.ts";
import { runFuzz } from "./harness.ts";
import { holdScenarios, MAX_HELD_BYTES, MAX_HELD_PER_RESERVED, runHold } from "./hold.ts";
import { DEFAULT_PIPELINE_LIMITS } from "../../src/pipeline.ts";
import { fuzzTargets } from "./targets.ts";

const { values } = parseArgs({
  options: {
    packets: { type: "string", default: "1000000" },
    seed: { type: "string", default: "20261121" },
    only: { type: "string" },
    direct: { type: "string", default: "1000000" },
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
const direct = Number(values.direct);
if (direct > 0) {
  console.log(`\nsession-level stage: ${direct} mutated PDUs per dissector straight into probe + session`);
  for (const t of fuzzTargets()) {
    if (only !== undefined && !only.includes(t.name)) continue;
    const r = runDirect(t, direct, seed);
    console.log(`  ${t.name.padEnd(9)} ${r.pdus} PDUs, ${Math.round(r.pdus / r.seconds)} PDUs/s, ${r.events} events, ${r.weird} weird, ${r.exceptions} exceptions`);
    for (const c of r.crashes.slice(0, 5)) {
      console.log(`  CRASH in ${c.dissector} ${c.op} dir ${c.dir ?? "-"}\n  input ${c.inputHex}\n  ${c.stack.split("\n").join("\n  ")}`);
    }
    if (r.exceptions > 0) problems.push(`${t.name}: ${r.exceptions} exceptions thrown by the dissector at session level`);
  }
}
if (only === undefined || only.includes("hold")) {
  const budget = DEFAULT_PIPELINE_LIMITS.maxTotalSessionBytes;
  console.log(`\nheld memory (unfinished messages, unanswered requests), bound ${mb(MAX_HELD_BYTES)} for what is measured; ` +
    `at the flow cap (${DEFAULT_PIPELINE_LIMITS.maxFlows}) per flow × cap, at most the session budget (${mb(budget)}) × held/reserved`);
  for (const sc of holdScenarios()) {
    const h = runHold(sc.name, sc.dissectors, sc.port, sc.flows, sc.perFlow, sc.chunk, gc);
    const perFlow = h.heldBytes / h.flows;
    const ratio = h.reservedBytes > 0 ? h.heldBytes / h.reservedBytes : Infinity;
    const atCap = Math.min(perFlow * DEFAULT_PIPELINE_LIMITS.maxFlows, budget * ratio);
    const ok = h.heldBytes <= MAX_HELD_BYTES && ratio <= MAX_HELD_PER_RESERVED && h.reservedAfterEnd === 0;
    const notes = Object.entries(h.counters).filter(([k]) => /weird|internal|flooded|budget/.test(k)).map(([k, v]) => `${k}=${v}`);
    console.log(`  ${sc.name.padEnd(26)} ${String(h.flows).padStart(4)} flows, ${mb(h.bytesSent).padStart(9)} sent, ${mb(h.heldBytes).padStart(9)} held, ` +
      `${mb(h.reservedBytes).padStart(9)} reserved (×${ratio.toFixed(2)}; ${(perFlow / 1024).toFixed(1)} KiB/flow → ${mb(atCap)} at the flow cap) ` +
      `${ok ? "ok" : "OVER"} ${notes.join(" ")}`);
    if (h.heldBytes > MAX_HELD_BYTES) problems.push(`${h.name}: ${h.flows} flows hold ${mb(h.heldBytes)} (> ${mb(MAX_HELD_BYTES)}): no pipeline-wide bound`);
    if (ratio > MAX_HELD_PER_RESERVED) problems.push(`${h.name}: ${mb(h.heldBytes)} held for ${mb(h.reservedBytes)} reserved: the session's estimate is too low`);
    if (h.reservedAfterEnd !== 0) problems.push(`${h.name}: ${h.reservedAfterEnd} bytes still reserved after every flow ended`);
  }
}
if (problems.length > 0) {
  console.error(`\nFAILED:\n  ${problems.join("\n  ")}`);
  process.exitCode = 1;
} else {
  console.log("\nno internal error, no escaped exception, limits held, memory bounded");
}
