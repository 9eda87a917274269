// Lenient, pure decoder of one Modbus/TCP ADU (MBAP header + PDU) into a ModbusPdu. Never throws: every read is
// bounds-checked, and anything out of spec is decoded as far as possible and listed in `issues`.
// References: "MODBUS Messaging on TCP/IP Implementation Guide V1.0b" §3.1.3 (MBAP) and "MODBUS Application Protocol
// Specification V1.1b3" §6.1–§6.21 (request and response layouts per function code) and §7 (exception responses).
// Request and response layouts differ per function code, so the caller says which side it holds.

import type { ModbusFileRecord, ModbusPdu } from "./events.ts";
import {
  COIL_OFF,
  COIL_ON,
  EXCEPTION_BIT,
  FC,
  MBAP_HEADER_LEN,
  MBAP_MAX_LENGTH,
  MEI_READ_DEVICE_ID,
  MODBUS_RAW_HEX_MAX,
} from "./constants.ts";

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Pdu = Mutable<ModbusPdu>;

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** Hex of b[start, end), at most MODBUS_RAW_HEX_MAX bytes. */
export function toHex(b: Uint8Array, start: number, end: number): string {
  const stop = Math.min(end, b.length, start + MODBUS_RAW_HEX_MAX);
  let s = "";
  for (let i = start; i < stop; i++) s += HEX[b[i]!];
  return s;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function flag(pdu: Pdu, issue: string): void {
  if (pdu.issues === undefined) pdu.issues = [issue];
  else if (!(pdu.issues as string[]).includes(issue)) (pdu.issues as string[]).push(issue);
}

/** Reads `count` big-endian registers from b[o…], stopping at the end of the buffer. */
function readRegisters(b: Uint8Array, o: number, count: number): number[] {
  const n = Math.min(count, (b.length - o) >> 1);
  const values = new Array<number>(Math.max(n, 0));
  for (let i = 0; i < n; i++) values[i] = u16(b, o + 2 * i);
  return values;
}

/** Unpacks `count` bits, LSB first within each byte (§6.1), from b[o…], stopping at the end of the buffer. */
function readBits(b: Uint8Array, o: number, count: number): number[] {
  const n = Math.max(Math.min(count, (b.length - o) * 8), 0);
  const values = new Array<number>(n);
  for (let i = 0; i < n; i++) values[i] = (b[o + (i >> 3)]! >> (i & 7)) & 1;
  return values;
}

/** True when the 2-byte field at offset o is inside the buffer. Fixed layouts decode every field that is present, so a
 * cut PDU still yields its leading fields (as Wireshark does). */
function has16(b: Uint8Array, o: number): boolean {
  return o + 2 <= b.length;
}

/** Checks that the PDU is exactly `need` bytes from its start at offset 7; short → "short-pdu", long → "trailing-bytes". */
function expectLength(pdu: Pdu, b: Uint8Array, need: number): boolean {
  const have = b.length - MBAP_HEADER_LEN;
  if (have < need) {
    flag(pdu, "short-pdu");
    return false;
  }
  if (have > need) flag(pdu, "trailing-bytes");
  return true;
}

/** Address + quantity layout shared by FC1–4 requests and FC15/16 responses. */
function decodeAddressQuantity(pdu: Pdu, b: Uint8Array, max: number): void {
  expectLength(pdu, b, 5);
  if (has16(b, 8)) pdu.address = u16(b, 8);
  if (!has16(b, 10)) return;
  pdu.quantity = u16(b, 10);
  if (pdu.quantity < 1 || pdu.quantity > max) flag(pdu, "quantity-out-of-range");
}

/** Byte count + data layout shared by FC1–4 and FC23 responses; `bits` ≥ 0 unpacks that many bits, else registers. */
function decodeByteCountData(pdu: Pdu, b: Uint8Array, bits: number): void {
  if (b.length < 9) {
    flag(pdu, "short-pdu");
    return;
  }
  const count = b[8]!;
  pdu.byteCount = count;
  const have = b.length - 9;
  if (have !== count) flag(pdu, "byte-count-mismatch");
  const usable = Math.min(count, have);
  if (bits >= 0) pdu.values = readBits(b, 9, Math.min(bits, usable * 8));
  else {
    if (usable & 1) flag(pdu, "odd-byte-count");
    pdu.values = readRegisters(b, 9, usable >> 1);
  }
}

/** FC15/FC16 requests (§6.11, §6.12): address, quantity, byte count, values. */
function decodeWriteMultiple(pdu: Pdu, b: Uint8Array, coils: boolean): void {
  if (b.length < 13) {
    flag(pdu, "short-pdu");
    if (has16(b, 8)) pdu.address = u16(b, 8);
    if (has16(b, 10)) pdu.quantity = u16(b, 10);
    return;
  }
  const quantity = u16(b, 10);
  const count = b[12]!;
  pdu.address = u16(b, 8);
  pdu.quantity = quantity;
  pdu.byteCount = count;
  const expected = coils ? (quantity + 7) >> 3 : quantity * 2;
  if (quantity < 1 || quantity > (coils ? 0x7b0 : 123)) flag(pdu, "quantity-out-of-range");
  const have = b.length - 13;
  if (count !== expected || have !== count) flag(pdu, "byte-count-mismatch");
  const usable = Math.min(count, have);
  pdu.values = coils ? readBits(b, 13, Math.min(quantity, usable * 8)) : readRegisters(b, 13, Math.min(quantity, usable >> 1));
}

/** FC8 (§6.8): sub-function and its data words, kept as hex. */
function decodeDiagnostics(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 10) {
    flag(pdu, "short-pdu");
    return;
  }
  pdu.subFunction = u16(b, 8);
  if (b.length > 10) pdu.data = toHex(b, 10, b.length);
}

/** FC20 request (§6.14): byte count, then 7-byte sub-requests (ref type 6, file, record, length). */
function decodeReadFileRequest(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 9) return flag(pdu, "short-pdu");
  const count = b[8]!;
  pdu.byteCount = count;
  const end = Math.min(9 + count, b.length);
  if (9 + count !== b.length || count % 7 !== 0) flag(pdu, "byte-count-mismatch");
  const records: ModbusFileRecord[] = [];
  for (let o = 9; o + 7 <= end; o += 7) {
    records.push({ refType: b[o]!, file: u16(b, o + 1), record: u16(b, o + 3), length: u16(b, o + 5) });
  }
  pdu.records = records;
}

/** FC20 response (§6.14): byte count, then groups of (length, ref type, record data). */
function decodeReadFileResponse(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 9) return flag(pdu, "short-pdu");
  const count = b[8]!;
  pdu.byteCount = count;
  const end = Math.min(9 + count, b.length);
  if (9 + count !== b.length) flag(pdu, "byte-count-mismatch");
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
function decodeWriteFile(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 9) return flag(pdu, "short-pdu");
  const count = b[8]!;
  pdu.byteCount = count;
  const end = Math.min(9 + count, b.length);
  if (9 + count !== b.length) flag(pdu, "byte-count-mismatch");
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

/** FC23 request (§6.17): read address/quantity, write address/quantity, byte count, write values. */
function decodeReadWriteRequest(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 17) {
    flag(pdu, "short-pdu");
    if (has16(b, 8)) pdu.readAddress = u16(b, 8);
    if (has16(b, 10)) pdu.readQuantity = u16(b, 10);
    if (has16(b, 12)) pdu.writeAddress = u16(b, 12);
    if (has16(b, 14)) pdu.writeQuantity = u16(b, 14);
    return;
  }
  pdu.readAddress = u16(b, 8);
  pdu.readQuantity = u16(b, 10);
  pdu.writeAddress = u16(b, 12);
  pdu.writeQuantity = u16(b, 14);
  const count = b[16]!;
  pdu.byteCount = count;
  if (pdu.readQuantity < 1 || pdu.readQuantity > 125 || pdu.writeQuantity < 1 || pdu.writeQuantity > 121) {
    flag(pdu, "quantity-out-of-range");
  }
  const have = b.length - 17;
  if (count !== pdu.writeQuantity * 2 || have !== count) flag(pdu, "byte-count-mismatch");
  pdu.values = readRegisters(b, 17, Math.min(pdu.writeQuantity, Math.min(count, have) >> 1));
}

/** FC24 response (§6.18): 2-byte byte count, FIFO count, FIFO registers. */
function decodeFifoResponse(pdu: Pdu, b: Uint8Array): void {
  if (b.length < 12) {
    flag(pdu, "short-pdu");
    if (has16(b, 8)) pdu.byteCount = u16(b, 8);
    return;
  }
  const count = u16(b, 8);
  const fifo = u16(b, 10);
  pdu.byteCount = count;
  pdu.quantity = fifo;
  if (fifo > 31) flag(pdu, "quantity-out-of-range");
  if (count !== 2 + 2 * fifo || b.length - 10 !== count) flag(pdu, "byte-count-mismatch");
  pdu.values = readRegisters(b, 12, fifo);
}

/** FC43 (§6.19–§6.21): MEI type; MEI 14 read device identification is decoded, other MEI data kept as hex. */
function decodeEncapsulated(pdu: Pdu, b: Uint8Array, isRequest: boolean): void {
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

function decodeRequest(pdu: Pdu, b: Uint8Array, fc: number): void {
  switch (fc) {
    case FC.READ_COILS:
    case FC.READ_DISCRETE_INPUTS:
      return decodeAddressQuantity(pdu, b, 2000);
    case FC.READ_HOLDING_REGISTERS:
    case FC.READ_INPUT_REGISTERS:
      return decodeAddressQuantity(pdu, b, 125);
    case FC.WRITE_SINGLE_COIL:
    case FC.WRITE_SINGLE_REGISTER:
      return decodeSingleWrite(pdu, b, fc);
    case FC.READ_EXCEPTION_STATUS:
    case FC.GET_COMM_EVENT_COUNTER:
    case FC.GET_COMM_EVENT_LOG:
    case FC.REPORT_SERVER_ID:
      expectLength(pdu, b, 1);
      return;
    case FC.DIAGNOSTICS:
      return decodeDiagnostics(pdu, b);
    case FC.WRITE_MULTIPLE_COILS:
      return decodeWriteMultiple(pdu, b, true);
    case FC.WRITE_MULTIPLE_REGISTERS:
      return decodeWriteMultiple(pdu, b, false);
    case FC.READ_FILE_RECORD:
      return decodeReadFileRequest(pdu, b);
    case FC.WRITE_FILE_RECORD:
      return decodeWriteFile(pdu, b);
    case FC.MASK_WRITE_REGISTER:
      return decodeMaskWrite(pdu, b);
    case FC.READ_WRITE_MULTIPLE_REGISTERS:
      return decodeReadWriteRequest(pdu, b);
    case FC.READ_FIFO_QUEUE:
      expectLength(pdu, b, 3);
      if (has16(b, 8)) pdu.address = u16(b, 8);
      return;
    case FC.ENCAPSULATED_INTERFACE:
      return decodeEncapsulated(pdu, b, true);
    default:
      return decodeOpaque(pdu, b);
  }
}

function decodeResponse(pdu: Pdu, b: Uint8Array, fc: number, bitCount: number): void {
  switch (fc) {
    case FC.READ_COILS:
    case FC.READ_DISCRETE_INPUTS:
      // Without the request the bit count is unknown: every bit of the data bytes is reported.
      return decodeByteCountData(pdu, b, bitCount >= 0 ? bitCount : 8 * 256);
    case FC.READ_HOLDING_REGISTERS:
    case FC.READ_INPUT_REGISTERS:
    case FC.READ_WRITE_MULTIPLE_REGISTERS:
      return decodeByteCountData(pdu, b, -1);
    case FC.WRITE_SINGLE_COIL:
    case FC.WRITE_SINGLE_REGISTER:
      return decodeSingleWrite(pdu, b, fc);
    case FC.WRITE_MULTIPLE_COILS:
      return decodeAddressQuantity(pdu, b, 0x7b0);
    case FC.WRITE_MULTIPLE_REGISTERS:
      return decodeAddressQuantity(pdu, b, 123);
    case FC.DIAGNOSTICS:
      return decodeDiagnostics(pdu, b);
    case FC.GET_COMM_EVENT_LOG:
    case FC.REPORT_SERVER_ID:
      // §6.10, §6.13: byte count then status/counters/events or server id/run indicator/additional data, kept as hex.
      if (b.length < 9) return flag(pdu, "short-pdu");
      pdu.byteCount = b[8]!;
      if (b.length - 9 !== pdu.byteCount) flag(pdu, "byte-count-mismatch");
      if (b.length > 9) pdu.data = toHex(b, 9, b.length);
      return;
    case FC.READ_EXCEPTION_STATUS:
    case FC.GET_COMM_EVENT_COUNTER:
      // §6.7: one status byte; §6.9: status word + event count word. Kept as hex.
      expectLength(pdu, b, fc === FC.READ_EXCEPTION_STATUS ? 2 : 5);
      if (b.length > 8) pdu.data = toHex(b, 8, b.length);
      return;
    case FC.READ_FILE_RECORD:
      return decodeReadFileResponse(pdu, b);
    case FC.WRITE_FILE_RECORD:
      return decodeWriteFile(pdu, b);
    case FC.MASK_WRITE_REGISTER:
      return decodeMaskWrite(pdu, b);
    case FC.READ_FIFO_QUEUE:
      return decodeFifoResponse(pdu, b);
    case FC.ENCAPSULATED_INTERFACE:
      return decodeEncapsulated(pdu, b, false);
    default:
      return decodeOpaque(pdu, b);
  }
}

/** FC5/FC6 (§6.5, §6.6), same layout both ways: address, value. FC5 maps 0xFF00 → 1, 0x0000 → 0; else flagged. */
function decodeSingleWrite(pdu: Pdu, b: Uint8Array, fc: number): void {
  expectLength(pdu, b, 5);
  if (has16(b, 8)) pdu.address = u16(b, 8);
  if (!has16(b, 10)) return;
  const value = u16(b, 10);
  if (fc === FC.WRITE_SINGLE_REGISTER) pdu.values = [value];
  else if (value === COIL_ON) pdu.values = [1];
  else if (value === COIL_OFF) pdu.values = [0];
  else {
    flag(pdu, "bad-coil-value");
    pdu.data = toHex(b, 10, 12);
  }
}

/** FC22 (§6.16), same layout both ways: address, AND mask, OR mask. */
function decodeMaskWrite(pdu: Pdu, b: Uint8Array): void {
  expectLength(pdu, b, 7);
  if (has16(b, 8)) pdu.address = u16(b, 8);
  if (has16(b, 10)) pdu.andMask = u16(b, 10);
  if (has16(b, 12)) pdu.orMask = u16(b, 12);
}

/** Vendor (e.g. 90 Schneider UMAS), user-defined and unknown codes: the data bytes are surfaced as hex. */
function decodeOpaque(pdu: Pdu, b: Uint8Array): void {
  if (b.length > 8) pdu.data = toHex(b, 8, b.length);
}

/**
 * Decodes one ADU. `bytes` starts at the MBAP header and should hold exactly 6 + length bytes (the framer's job; a
 * mismatch is flagged "length-mismatch"). `bitCount` is the paired FC1/FC2 request's quantity (-1 when unknown).
 * The result keeps no reference to `bytes`.
 */
export function decodeAdu(bytes: Uint8Array, isRequest: boolean, bitCount = -1, frame = 0, ts = 0): ModbusPdu {
  const b = bytes;
  const n = b.length;
  const pdu: Pdu = {
    frame,
    ts,
    fc: n > 7 ? b[7]! : 0,
    tid: n >= 2 ? u16(b, 0) : 0,
    protocolId: n >= 4 ? u16(b, 2) : 0,
    length: n >= 6 ? u16(b, 4) : 0,
    unit: n >= 7 ? b[6]! : 0,
  };
  if (n < MBAP_HEADER_LEN + 1) {
    flag(pdu, "short-pdu");
    return pdu;
  }
  if (pdu.protocolId !== 0) flag(pdu, "protocol-id");
  if (pdu.length !== n - 6) flag(pdu, "length-mismatch");
  if (pdu.length > MBAP_MAX_LENGTH) flag(pdu, "oversized-pdu");
  const fc = pdu.fc;
  if (fc & EXCEPTION_BIT) {
    // §7: exception response, function code + 0x80 and one exception code byte.
    if (isRequest) flag(pdu, "exception-in-request");
    if (expectLength(pdu, b, 2)) pdu.exception = b[8]!;
    return pdu;
  }
  if (isRequest) decodeRequest(pdu, b, fc);
  else decodeResponse(pdu, b, fc, bitCount);
  return pdu;
}

/** MBAP fields the session needs before decoding (to pair a response with its request). */
export function readTid(b: Uint8Array): number {
  return b.length >= 2 ? u16(b, 0) : 0;
}
