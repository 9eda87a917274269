// Lenient, pure decoder of one Modbus/TCP ADU (MBAP header + PDU) into a ModbusPdu. Never throws: every read is
// bounds-checked, and anything out of spec is decoded as far as possible and listed in `issues`.
// References: "MODBUS Messaging on TCP/IP Implementation Guide V1.0b" §3.1.3 (MBAP) and "MODBUS Application Protocol
// Specification V1.1b3" §6.1–§6.21 (request and response layouts per function code) and §7 (exception responses).
// Request and response layouts differ per function code, so the caller says which side it holds.

import type { ModbusPdu } from "./events.ts";
import { COIL_OFF, COIL_ON, EXCEPTION_BIT, FC, MBAP_HEADER_LEN, MBAP_MAX_LENGTH } from "./constants.ts";
import { decodeEncapsulated, decodeReadFileRequest, decodeReadFileResponse, decodeWriteFile } from "./wire-records.ts";
import { expectLength, flag, has16, type Pdu, readBits, readRegisters, toHex, u16 } from "./wire-util.ts";

export { toHex } from "./wire-util.ts";

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
