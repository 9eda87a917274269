// Byte-level primitives shared by the Modbus PDU decoders (wire.ts, wire-records.ts): bounds-checked big-endian reads,
// register and bit unpacking ("MODBUS Application Protocol Specification V1.1b3" §4.2 data encoding: big-endian 16-bit
// registers; §6.1 coil packing: LSB first), capped hex, and the issue list of lenient decoding.

import type { ModbusPdu } from "./events.ts";
import { MBAP_HEADER_LEN, MODBUS_RAW_HEX_MAX } from "./constants.ts";

export type Mutable<T> = { -readonly [K in keyof T]: T[K] };
export type Pdu = Mutable<ModbusPdu>;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** Hex of b[start, end), at most MODBUS_RAW_HEX_MAX bytes. */
export function toHex(b: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, b.length, start + MODBUS_RAW_HEX_MAX);
  let s = "";
  for (let i = start; i < stop; i++) s += HEX[b[i]!];
  return s;
}

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function flag(pdu: Pdu, issue: string): void {
  if (pdu.issues === undefined) pdu.issues = [issue];
  else if (!(pdu.issues as string[]).includes(issue)) (pdu.issues as string[]).push(issue);
}

/** Reads `count` big-endian registers from b[o…], stopping at the end of the buffer. */
export function readRegisters(b: Uint8Array, o: number, count: number): number[] {
  const n = Math.min(count, (b.length - o) >> 1);
  const values = new Array<number>(Math.max(n, 0));
  for (let i = 0; i < n; i++) values[i] = u16(b, o + 2 * i);
  return values;
}

/** Unpacks `count` bits, LSB first within each byte (§6.1), from b[o…], stopping at the end of the buffer. */
export function readBits(b: Uint8Array, o: number, count: number): number[] {
  const n = Math.max(Math.min(count, (b.length - o) * 8), 0);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = (b[o + (i >> 3)]! >> (i & 7)) & 1;
  return values;
}

/** True when the 2-byte field at offset o is inside the buffer. Fixed layouts decode every field that is present, so a
 * cut PDU still yields its leading fields (as Wireshark does). */
export function has16(b: Uint8Array, o: number): boolean {
  return o + 2 <= b.length;
}

/** Checks that the PDU is exactly `need` bytes from its start at offset 7; short → "short-pdu", long → "trailing-bytes". */
export function expectLength(pdu: Pdu, b: Uint8Array, need: number): boolean {
  const have = b.length - MBAP_HEADER_LEN;
  if (have < need) {
    flag(pdu, "short-pdu");
    return false;
  }
  if (have > need) flag(pdu, "trailing-bytes");
  return true;
}
