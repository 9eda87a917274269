// End-of-run summary (issue 2 item 7): packets, bytes, flows, events by type and the counters that say what was not
// understood (malformed, truncated, gaps, drops, weird, internal errors). Text for stderr, JSON for --summary-json.

import type { EventBase } from "../core/types.ts";
import { isoTs } from "./jsonl.ts";

export interface RunSummary {
  source: string;
  packets: number;
  bytes: number;
  flows: number;
  /** Packet time of the first and last packet (ISO), when there were packets. */
  firstTs: string | undefined;
  lastTs: string | undefined;
  /** Wall-clock seconds the run took (display only, never used for detection). */
  elapsedS: number;
  events: Record<string, number>;
  counters: Record<string, number>;
}

/** Counts events by type as they pass. */
export class EventTally {
  readonly byType: Record<string, number> = {};
  private first = Infinity;
  private last = -Infinity;

  onEvent(e: EventBase): void {
    this.byType[e.type] = (this.byType[e.type] ?? 0) + 1;
    if (e.ts < this.first) this.first = e.ts;
    if (e.ts > this.last) this.last = e.ts;
  }

  sorted(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of Object.keys(this.byType).sort()) out[k] = this.byType[k] ?? 0;
    return out;
  }
}

export function tsOrUndefined(ts: number): string | undefined {
  return Number.isFinite(ts) && ts > 0 ? isoTs(ts) : undefined;
}

// Counter families shown under their own heading, in this order; the rest go under "other".
const GROUPS: readonly (readonly [string, readonly string[]])[] = [
  ["capture", ["capture."]],
  ["decode (malformed / truncated)", ["decode."]],
  ["flows", ["flow."]],
  ["tcp (reassembly, gaps)", ["tcp."]],
  ["dissectors", ["registry.", "session.", "framing."]],
  ["weird (protocol anomalies)", ["weird."]],
  ["internal errors", ["internal."]],
];

export function formatSummary(s: RunSummary): string {
  const lines: string[] = [];
  const rate = s.elapsedS > 0 ? Math.round(s.packets / s.elapsedS) : 0;
  lines.push(`otwatch: ${s.source}`);
  lines.push(
    `  packets ${s.packets}  bytes ${s.bytes}  flows ${s.flows}  (${s.elapsedS.toFixed(2)} s, ${rate.toLocaleString("en-US")} packets/s)`,
  );
  if (s.firstTs !== undefined) lines.push(`  packet time ${s.firstTs} .. ${s.lastTs ?? s.firstTs}`);
  const evs = Object.entries(s.events);
  lines.push(`  events ${evs.reduce((a, [, n]) => a + n, 0)}`);
  for (const [k, n] of evs) lines.push(`    ${k.padEnd(28)} ${n}`);
  const used = new Set<string>();
  for (const [title, prefixes] of GROUPS) {
    const rows = Object.entries(s.counters).filter(([k]) => prefixes.some((p) => k.startsWith(p)));
    if (rows.length === 0) continue;
    lines.push(`  ${title}`);
    for (const [k, n] of rows) {
      used.add(k);
      lines.push(`    ${k.padEnd(40)} ${n}`);
    }
  }
  const other = Object.entries(s.counters).filter(([k]) => !used.has(k));
  if (other.length > 0) {
    lines.push("  other");
    for (const [k, n] of other) lines.push(`    ${k.padEnd(40)} ${n}`);
  }
  return lines.join("\n") + "\n";
}
