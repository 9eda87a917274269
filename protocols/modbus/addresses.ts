// Which Modbus table and addresses a request reads or writes (Modbus Application Protocol V1.1b3 §6: FC1 coils, FC2
// discrete inputs, FC3/6/16/22/23 holding registers, FC4 input registers, FC5/15 coils), the key of a recurring read, and
// compact address ranges: sorted disjoint [lo, hi] pairs, merged on insert and capped by merging the closest neighbours.

import type { ModbusPdu } from "./events.ts";

/** Ranges kept per table and channel; past this the two closest ranges merge (the set stays compact and bounded). */
export const MODBUS_MAX_RANGES = 256;

export type ModbusTable = "coils" | "discrete-inputs" | "input-registers" | "holding-registers";
export type Ranges = [number, number][];

export const TABLE_NAMES: Record<ModbusTable, string> = {
  coils: "coil",
  "discrete-inputs": "discrete input",
  "input-registers": "input register",
  "holding-registers": "holding register",
};

export interface WriteOp {
  table: ModbusTable;
  address: number;
  value: number | undefined;
}

/** Most items one request can address (FC15: 1968 coils; FC1/2: 2000 bits); larger claimed quantities are clipped. */
export const MODBUS_MAX_ITEMS = 2000;

/** A 16-bit protocol address, or undefined when the decoded field is absent or impossible. */
function address(v: number | undefined): number | undefined {
  return v !== undefined && Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : undefined;
}

/** A quantity clipped to 1..MODBUS_MAX_ITEMS and to the end of the address space. */
function quantity(v: number | undefined, start: number): number {
  const q = v !== undefined && Number.isInteger(v) && v > 0 ? Math.min(v, MODBUS_MAX_ITEMS) : 1;
  return Math.min(q, 0x10000 - start);
}

/** The table a function code writes, if it writes. */
export function writeTableOf(fc: number): ModbusTable | undefined {
  return fc === 5 || fc === 15 ? "coils" : fc === 6 || fc === 16 || fc === 22 || fc === 23 ? "holding-registers" : undefined;
}

/** The first address a request writes (writeSpanOf's lo, without building the span). */
export function writeStartOf(fc: number, req: ModbusPdu): number | undefined {
  return address(fc === 23 ? req.writeAddress : req.address);
}

/** The table and address span a request writes, if it writes (values not included). */
export function writeSpanOf(fc: number, req: ModbusPdu): { table: ModbusTable; lo: number; hi: number } | undefined {
  const table = writeTableOf(fc);
  if (table === undefined) return undefined;
  const start = writeStartOf(fc, req);
  if (start === undefined) return undefined;
  const single = fc === 5 || fc === 6 || fc === 22;
  const n = single ? 1 : quantity(req.values?.length || (fc === 23 ? req.writeQuantity : req.quantity), start);
  return { table, lo: start, hi: start + n - 1 };
}

/** Addresses and values a request writes, in address order (values only when finite; FC22 masks carry none). */
export function writesOf(fc: number, req: ModbusPdu): WriteOp[] {
  const span = writeSpanOf(fc, req);
  if (span === undefined) return [];
  const values = fc === 22 ? undefined : req.values;
  const out: WriteOp[] = [];
  for (let a = span.lo, i = 0; a <= span.hi; a++, i++) {
    const v = values?.[i];
    out.push({ table: span.table, address: a, value: v !== undefined && Number.isFinite(v) ? v : undefined });
  }
  return out;
}

/** The table a function code reads, if it reads. */
export function readTableOf(fc: number): ModbusTable | undefined {
  return fc === 1 ? "coils" : fc === 2 ? "discrete-inputs" : fc === 3 || fc === 23 ? "holding-registers" : fc === 4 ? "input-registers" : undefined;
}

/** The first address a request reads (readOf's lo, without building the span). */
export function readStartOf(fc: number, req: ModbusPdu): number | undefined {
  return address(fc === 23 ? req.readAddress : req.address);
}

/** The table and address span a request reads, if it reads. */
export function readOf(fc: number, req: ModbusPdu): { table: ModbusTable; lo: number; hi: number } | undefined {
  const table = readTableOf(fc);
  if (table === undefined) return undefined;
  const start = readStartOf(fc, req);
  if (start === undefined) return undefined;
  return { table, lo: start, hi: start + quantity(fc === 23 ? req.readQuantity : req.quantity, start) - 1 };
}

/** Key of a recurring read request: "fc:address:quantity". Only reads are polls; writes are operator actions. */
export function pollKeyOf(fc: number, req: ModbusPdu): string | undefined {
  const r = readOf(fc, req);
  return r === undefined ? undefined : `${fc}:${r.lo}:${r.hi - r.lo + 1}`;
}

/** Read function codes (1, 2, 3, 4, 23) as 0..4, for pollNumKeyOf. */
function readIndex(fc: number): number {
  return fc === 23 ? 4 : fc - 1;
}

/** pollKeyOf as one small integer (no string built per transaction; same key, same number), -1 when not a read. */
export function pollNumKeyOf(fc: number, req: ModbusPdu): number {
  if (readTableOf(fc) === undefined) return -1;
  const start = readStartOf(fc, req);
  if (start === undefined) return -1;
  // 3 bits of code, 16 of address, 11 of quantity (<= MODBUS_MAX_ITEMS < 2048): below 2^30, a V8 small integer.
  return ((readIndex(fc) * 0x10000 + start) * 2048) + quantity(fc === 23 ? req.readQuantity : req.quantity, start);
}

/** Adds [lo, hi] to sorted disjoint ranges, merging overlaps and neighbours; past the cap the closest two merge. */
export function addRange(ranges: Ranges, lo: number, hi: number): void {
  let i = 0;
  while (i < ranges.length && (ranges[i]?.[1] ?? 0) < lo - 1) i++;
  // Already covered by one range (the usual case while learning a poll): splicing it in again would change nothing.
  const cover = ranges[i];
  if (cover !== undefined && cover[0] <= lo && cover[1] >= hi && ranges.length <= MODBUS_MAX_RANGES && (ranges[i + 1]?.[0] ?? Infinity) > hi + 1) return;
  let nlo = lo;
  let nhi = hi;
  let j = i;
  while (j < ranges.length && (ranges[j]?.[0] ?? 0) <= hi + 1) {
    const r = ranges[j] as [number, number];
    nlo = Math.min(nlo, r[0]);
    nhi = Math.max(nhi, r[1]);
    j++;
  }
  ranges.splice(i, j - i, [nlo, nhi]);
  if (ranges.length > MODBUS_MAX_RANGES) {
    let best = 0;
    for (let k = 1; k < ranges.length - 1; k++) {
      const gap = (ranges[k + 1]?.[0] ?? 0) - (ranges[k]?.[1] ?? 0);
      if (gap < (ranges[best + 1]?.[0] ?? 0) - (ranges[best]?.[1] ?? 0)) best = k;
    }
    const a = ranges[best] as [number, number];
    const b = ranges[best + 1] as [number, number];
    ranges.splice(best, 2, [a[0], b[1]]);
  }
}

export function rangesContain(ranges: Ranges | undefined, a: number): boolean {
  if (ranges === undefined) return false;
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid] as [number, number];
    if (a < r[0]) hi = mid - 1;
    else if (a > r[1]) lo = mid + 1;
    else return true;
  }
  return false;
}

/** "1000..1031, 4000" (at most `max` ranges, then "…"). */
export function formatRanges(ranges: Ranges | undefined, max = 6): string {
  if (ranges === undefined || ranges.length === 0) return "nothing";
  const parts = ranges.slice(0, max).map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`));
  return parts.join(", ") + (ranges.length > max ? ", …" : "");
}
