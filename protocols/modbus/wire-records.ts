// Decoders of the variable-length record layouts: FC20/FC21 file records ("MODBUS Application Protocol Specification
// V1.1b3" §6.14, §6.15) and FC43 encapsulated interface / read device identification (§6.19–§6.21). Lenient like
// wire.ts: every read bounds-checked, problems listed as issues.

import type { ModbusFileRecord } from "./events.ts";
import { MEI_READ_DEVICE_ID } from "./constants.ts";
import { expectLength, flag, type Pdu, toHex, u16 } from "./wire-util.ts";

/**
 * The byte count at offset 8 that FC20 and FC21 PDUs start with: kept in the PDU, flagged when it disagrees with the
 * PDU's length or is not a multiple of `groupSize`; returns where the records end, or undefined (short-pdu) without it.
 */
function recordsEnd(pdu: Pdu, b: Uint8Array, groupSize = 1): number | undefined {
  if (b.length < 9) {
    flag(pdu, "short-pdu");
    return undefined;
  }
  const count = b[8]!;
  pdu.byteCount = count;
  if (9 + count !== b.length || count % groupSize !== 0) flag(pdu, "byte-count-mismatch");
  return Math.min(9 + count, b.length);
}

/** FC20 request (§6.14): byte count, then 7-byte sub-requests (ref type 6, file, record, length). */
export function decodeReadFileRequest(pdu: Pdu, b: Uint8Array): void {
  const end = recordsEnd(pdu, b, 7);
  if (end === undefined) return;
  const records: ModbusFileRecord[] = [];
  for (let o = 9; o + 7 <= end; o += 7) {
    records.push({ refType: b[o]!, file: u16(b, o + 1), record: u16(b, o + 3), length: u16(b, o + 5) });
  }
  pdu.records = records;
}

/** FC20 response (§6.14): byte count, then groups of (length, ref type, record data). */
export function decodeReadFileResponse(pdu: Pdu, b: Uint8Array): void {
  const end = recordsEnd(pdu, b);
  if (end === undefined) return;
  const records: ModbusFileRecord[] = [];
  let o = 9;
  while (o + 2 <= end) {
    const len = b[o]!;
    if (len < 1 || o + 1 + len > end) {
      flag(pdu, "bad-record-length");
      break;
    }
    records.push({ refType: b[o + 1]!, length: (len - 1) >> 1, data: toHex(b, o + 2, o + 1 + len) });
    o += 1 + len;
  }
  pdu.records = records;
}

/** FC21 request and response (§6.15, the response echoes the request): groups of 7-byte header + 2N data bytes. */
export function decodeWriteFile(pdu: Pdu, b: Uint8Array): void {
  const end = recordsEnd(pdu, b);
  if (end === undefined) return;
  const records: ModbusFileRecord[] = [];
  let o = 9;
  while (o + 7 <= end) {
    const length = u16(b, o + 5);
    const dataEnd = o + 7 + 2 * length;
    if (dataEnd > end) flag(pdu, "bad-record-length");
    records.push({ refType: b[o]!, file: u16(b, o + 1), record: u16(b, o + 3), length, data: toHex(b, o + 7, Math.min(dataEnd, end)) });
    o = dataEnd;
  }
  pdu.records = records;
}

/** FC43 (§6.19–§6.21): MEI type; MEI 14 read device identification is decoded, other MEI data kept as hex. */
export function decodeEncapsulated(pdu: Pdu, b: Uint8Array, isRequest: boolean): void {
  if (b.length < 9) return flag(pdu, "short-pdu");
  pdu.mei = b[8]!;
  if (pdu.mei !== MEI_READ_DEVICE_ID) {
    if (b.length > 9) pdu.data = toHex(b, 9, b.length);
    return;
  }
  if (isRequest) {
    expectLength(pdu, b, 4);
    if (b.length >= 10) pdu.readDeviceId = b[9]!;
    if (b.length >= 11) pdu.objectId = b[10]!;
    return;
  }
  if (b.length < 14) {
    // §6.21 response header: read device id code, conformity level, more follows, next object id, number of objects.
    flag(pdu, "short-pdu");
    if (b.length >= 10) pdu.readDeviceId = b[9]!;
    return;
  }
  pdu.readDeviceId = b[9]!;
  const count = b[13]!;
  const objects: { id: number; value: string }[] = [];
  let o = 14;
  for (let i = 0; i < count; i++) {
    if (o + 2 > b.length) {
      flag(pdu, "short-pdu");
      break;
    }
    const id = b[o]!;
    const len = b[o + 1]!;
    const end = o + 2 + len;
    if (end > b.length) flag(pdu, "short-pdu");
    objects.push({ id, value: id < 7 ? decodeAscii(b, o + 2, Math.min(end, b.length)) : toHex(b, o + 2, end) });
    o = end;
  }
  if (o < b.length) flag(pdu, "trailing-bytes");
  pdu.objects = objects;
}

/** Object values 0–6 are ASCII strings (§6.21); bytes ≥ 0x80 are kept as Latin-1 rather than dropped. */
function decodeAscii(b: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) s += String.fromCharCode(b[i]!);
  return s;
}
