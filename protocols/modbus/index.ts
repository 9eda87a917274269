// The Modbus/TCP dissector: declares the MBAP framing (Implementation Guide V1.0b §3.1.3: 7-byte header, length at
// offset 4 counting unit id + PDU, ADU ≤ 260 bytes), a conservative content probe for Modbus on any port, and the
// per-flow session (session.ts) that decodes (wire.ts) and pairs ADUs.

import type { Dir, Dissector, FlowInfo, Framing, ProbeVerdict } from "../../src/core/types.ts";
import {
  EXCEPTION_BIT,
  MBAP_HEADER_LEN,
  MBAP_LENGTH_OFFSET,
  MBAP_MAX_LENGTH,
  MBAP_MIN_LENGTH,
  MODBUS_MAX_ADU,
  MODBUS_TCP_PORT,
  isPublicFunction,
} from "./constants.ts";
import { ModbusSession } from "./session.ts";

function lengthField(b: Uint8Array, o: number): number {
  return (b[o + MBAP_LENGTH_OFFSET]! << 8) | b[o + MBAP_LENGTH_OFFSET + 1]!;
}

/** Function codes worth believing in on an unknown port: public ones, Schneider UMAS (90) and user-defined ranges. */
function isPlausibleFunction(fc: number, dir: Dir): boolean {
  let code = fc;
  if (fc & EXCEPTION_BIT) {
    if (dir === 0) return false;
    code = fc & 0x7f;
  }
  return isPublicFunction(code) || code === 90 || (code >= 65 && code <= 72) || (code >= 100 && code <= 110);
}

/**
 * A plausible MBAP header at b[o…]: protocol id 0, 2 ≤ length ≤ 254, plausible function code. Returns "more" when the
 * bytes present agree but are not enough to decide.
 */
function checkHeader(b: Uint8Array, o: number, dir: Dir): ProbeVerdict {
  const avail = b.length - o;
  if (avail >= 3 && b[o + 2] !== 0) return "no";
  if (avail >= 4 && b[o + 3] !== 0) return "no";
  if (avail >= 6) {
    const len = lengthField(b, o);
    if (len < MBAP_MIN_LENGTH || len > MBAP_MAX_LENGTH) return "no";
  }
  if (avail < MBAP_HEADER_LEN + 1) return "more";
  return isPlausibleFunction(b[o + 7]!, dir) ? "yes" : "no";
}

/** Length field a well-formed ADU of this function code must carry, or -1 when the layout does not fix it. */
function expectedLength(b: Uint8Array, dir: Dir): number {
  const fc = b[7]!;
  if (fc & EXCEPTION_BIT) return 3;
  if (dir === 0) {
    if (fc >= 1 && fc <= 6) return 6;
    if (fc === 7 || fc === 11 || fc === 12 || fc === 17) return 2;
    if ((fc === 15 || fc === 16) && b.length > 12) return 7 + b[12]!;
    return -1;
  }
  if (fc >= 1 && fc <= 4) return 3 + b[8]!;
  if (fc === 5 || fc === 6 || fc === 15 || fc === 16) return 6;
  return -1;
}

/**
 * Content probe for any port, deliberately conservative: the first ADU must be complete with a plausible header, its
 * length must match the function's fixed layout where there is one, and bytes after it must start another plausible
 * header. HTTP, TLS, SSH and most binary protocols fail on the protocol id (bytes 2–3 must be zero).
 */
export function probeModbus(data: Uint8Array, dir: Dir): ProbeVerdict {
  const head = checkHeader(data, 0, dir);
  if (head !== "yes") return head;
  const total = 6 + lengthField(data, 0);
  if (data.length < total) return "more";
  const expected = expectedLength(data, dir);
  if (expected >= 0 && expected !== total - 6) return "no";
  if (data.length > total && checkHeader(data, total, dir) === "no") return "no";
  return "yes";
}

/** Offset of the next plausible MBAP header in `data` (scanning from 0), or -1. A header cut short by the end of the
 * data counts as plausible so the framer can wait for the rest. */
export function resyncModbus(data: Uint8Array): number {
  for (let o = 0; o < data.length; o++) {
    // The framer cannot tell direction here; exceptions are accepted as in a response.
    if (checkHeader(data, o, 1) !== "no") return o;
  }
  return -1;
}

export const modbusFraming: Framing = {
  headerLen: MBAP_HEADER_LEN,
  maxPdu: MODBUS_MAX_ADU,
  pduLength(header: Uint8Array): number {
    const len = lengthField(header, 0);
    if (len < MBAP_MIN_LENGTH || len > MBAP_MAX_LENGTH) return -1;
    return 6 + len;
  },
  resync: resyncModbus,
};

export const modbusDissector: Dissector = {
  name: "modbus",
  transport: "tcp",
  ports: [MODBUS_TCP_PORT],
  probe: probeModbus,
  framing: modbusFraming,
  createSession(flow: FlowInfo): ModbusSession {
    return new ModbusSession(flow);
  },
};
