// Checks of a Modbus write against the channel's learned writes: an address never written (modbus.write-new-address) and
// a register value outside the learned range plus margin (modbus.write-out-of-range). Coil values are binary and are not
// range-checked (a coil written ON that was only seen OFF is normal toggling; a coil never written is caught as a new
// address). Also the plain-words helpers the summaries share. Spec: Modbus Application Protocol V1.1b3 §6.5-6.17.

import type { AnomalyDraft } from "../../src/detect/types.ts";
import { formatRange, isInRange, rangeMargin, type ReportGate, type ValueRange } from "../../src/detect/learned-stats.ts";
import type { ModbusPdu, ModbusTransactionEvent } from "./events.ts";
import { formatRanges, rangesContain, TABLE_NAMES, writeSpanOf, type ModbusTable } from "./addresses.ts";
import type { ChannelState } from "./model.ts";

const FC_LABELS: Record<number, string> = {
  1: "read coils", 2: "read discrete inputs", 3: "read holding registers", 4: "read input registers", 5: "write single coil",
  6: "write single register", 7: "read exception status", 8: "diagnostics", 11: "get comm event counter",
  12: "get comm event log", 15: "write multiple coils", 16: "write multiple registers", 17: "report server id",
  20: "read file record", 21: "write file record", 22: "mask write register", 23: "read/write multiple registers",
  24: "read FIFO queue", 43: "encapsulated interface", 90: "Schneider UMAS",
};

export function fcLabel(fc: number): string {
  return FC_LABELS[fc] ?? `function ${fc}`;
}

/** "holding registers 4000..4009, coils 12" or "nothing": what a channel wrote while learning. */
export function describeWrites(ch: ChannelState): string {
  const parts: string[] = [];
  for (const [table, ranges] of Object.entries(ch.m.writes) as [ModbusTable, [number, number][]][]) {
    if (ranges.length > 0) parts.push(`${TABLE_NAMES[table]}s ${formatRanges(ranges)}`);
  }
  return parts.length === 0 ? "nothing" : parts.join("; ");
}

/** What a channel read and wrote while learning, for sweep summaries. */
export function describeChannel(ch: ChannelState): string {
  const parts: string[] = [];
  for (const [table, ranges] of Object.entries(ch.m.reads) as [ModbusTable, [number, number][]][]) {
    if (ranges.length > 0) parts.push(`read ${TABLE_NAMES[table]}s ${formatRanges(ranges, 3)}`);
  }
  const w = describeWrites(ch);
  if (w !== "nothing") parts.push(`wrote ${w}`);
  return parts.length === 0 ? "no address" : parts.join("; ");
}

/** Registers holding negative int16 values are stored as uint16: when every learned value was negative as int16, compare in
 * the signed view (the magnitude-based margin would be meaningless around 65530). */
function inLearnedRange(r: ValueRange, v: number): boolean {
  if (r.min < 0x8000 || r.max > 0xffff) return isInRange(r, v);
  const s = (x: number): number => (x >= 0x8000 ? x - 0x10000 : x);
  return isInRange({ min: s(r.min), max: s(r.max), n: r.n }, s(v));
}

/** "holding-registers:<address>" keys of learned values, built once per address (a write checks every register). */
const valueKeys: (string | undefined)[] = [];
function holdingValueKey(address: number): string {
  return (valueKeys[address] ??= `holding-registers:${address}`);
}

/** The i-th written value when finite (as writesOf gives it). */
function valueAt(values: readonly number[] | undefined, i: number): number | undefined {
  const v = values?.[i];
  return v !== undefined && Number.isFinite(v) ? v : undefined;
}

/**
 * Appends the write anomalies of one request to `out`; `learned` phrases the learning period (called only to report).
 * Walks the written span in place (the same addresses and values as writesOf) so a normal write allocates nothing.
 */
export function checkWrites(e: ModbusTransactionEvent, req: ModbusPdu, ch: ChannelState, gate: ReportGate, learned: () => string, out: AnomalyDraft[]): void {
  const span = writeSpanOf(e.fc, req);
  if (span === undefined) return;
  const { table, lo, hi } = span;
  const values = e.fc === 22 ? undefined : req.values;
  const learnedWrites = ch.m.writes[table];
  let first = -1;
  let last = -1;
  let count = 0;
  for (let a = lo; a <= hi; a++) {
    if (rangesContain(learnedWrites, a)) continue;
    if (first < 0) first = a;
    last = a;
    count++;
  }
  if (first >= 0 && gate.allow(`modbus.write-new-address|${e.src}|${e.dst}|${e.unit}|${table}|${first}`, e.ts)) {
    const firstValue = valueAt(values, first - lo);
    const where = last === first ? `${first}` : `${first}..${last}`;
    const value = firstValue === undefined ? "" : ` with ${firstValue}`;
    out.push({
      kind: "modbus.write-new-address", severity: "high", src: e.src, dst: e.dst, protocol: "modbus", attack: ["T0836", "T0855"],
      summary: `${e.src} wrote ${TABLE_NAMES[table]} ${where} on unit ${e.unit} of ${e.dst}${value}; ${learned()} it only wrote ${describeWrites(ch)}`,
      evidence: { client: e.src, server: e.dst, unit: e.unit, fc: e.fc, frame: e.frame, table, address: first, count, ...(firstValue === undefined ? {} : { value: firstValue }), learnedWrites: describeWrites(ch) },
      key: `modbus.write-new-address|${e.src}|${e.dst}|${e.unit}|${table}:${first}`, ts: e.ts,
    });
  }
  // Coil values are binary: never range-checked. Every other written table is holding registers.
  if (table === "coils" || values === undefined) return;
  for (let a = lo; a <= hi; a++) {
    const v = valueAt(values, a - lo);
    if (v === undefined) continue;
    const r = ch.m.values[holdingValueKey(a)];
    if (r === undefined || inLearnedRange(r, v)) continue;
    if (!gate.allow(`modbus.write-out-of-range|${e.src}|${e.dst}|${e.unit}|${table}|${a}|${v}`, e.ts)) continue;
    const m = rangeMargin(r);
    out.push({
      kind: "modbus.write-out-of-range", severity: "high", src: e.src, dst: e.dst, protocol: "modbus", attack: ["T0836"],
      summary: `${e.src} wrote ${TABLE_NAMES[table]} ${a} on unit ${e.unit} of ${e.dst} with ${v}; ${learned()} it wrote ${formatRange(r)} (${r.n} writes, tolerated ${r.min - m}..${r.max + m})`,
      evidence: { client: e.src, server: e.dst, unit: e.unit, fc: e.fc, frame: e.frame, table, address: a, value: v, learnedMin: r.min, learnedMax: r.max, learnedWrites: r.n, margin: m },
      key: `modbus.write-out-of-range|${e.src}|${e.dst}|${e.unit}|${table}:${a}`, ts: e.ts,
    });
    break;
  }
}
