// The Modbus/TCP dissector: declares the MBAP framing (Implementation Guide V1.0b §3.1.3: 7-byte header, length at
// offset 4 counting unit id + PDU, ADU ≤ 260 bytes), a conservative content probe for Modbus on any port, and the
// per-flow session (session.ts) that decodes (wire.ts) and pairs ADUs.

import type { Dir, Dissector, FlowInfo, Framing, ProbeVerdict } from "../../src/core/types.ts";
import {
  EXCEPTION_BIT,
  MBAP_HEADER_LEN,
  MBAP_LENGTH_OFFSET,
  MBAP_MIN_LENGTH,
  MBAP_TOLERATED_MAX_LENGTH,
  MODBUS_MAX_ADU,
  MODBUS_TCP_PORT,
  isPublicFunction,
} from "./constants.ts";
import { ModbusSession } from "./session.ts";

function lengthField(b: Uint8Array, o: number): number {
  return (b[o + MBAP_LENGTH_OFFSET]! << 8) | b[o + MBAP_LENGTH_OFFSET + 1]!;
}

/** Function codes worth believing in on an unknown port: public ones, Schneider UMAS (90) and user-defined ranges. */
function isPlausibleFunction(fc: number): boolean {
  const code = fc & 0x7f;
  return isPublicFunction(code) || code === 90 || (code >= 65 && code <= 72) || (code >= 100 && code <= 110);
}

/**
 * A plausible MBAP header at b[o…]: protocol id 0, 2 ≤ length ≤ 254, plausible function code. Returns "more" when the
 * bytes present agree but are not enough to decide.
 */
function checkHeader(b: Uint8Array, o: number): ProbeVerdict {
  const avail = b.length - o;
  if (avail >= 3 && b[o + 2] !== 0) return "no";
  if (avail >= 4 && b[o + 3] !== 0) return "no";
  if (avail >= 6) {
    const len = lengthField(b, o);
    if (len < MBAP_MIN_LENGTH || len > MBAP_TOLERATED_MAX_LENGTH) return "no";
  }
  if (avail < MBAP_HEADER_LEN + 1) return "more";
  return isPlausibleFunction(b[o + 7]!) ? "yes" : "no";
}

/** Length field a well-formed ADU of this function code must carry, or -1 when the layout does not fix it. */
function expectedLength(b: Uint8Array, dir: Dir): number {
  const fc = b[7]!;
  // Exceptions (§7) are checked by their code instead: devices were seen padding them (modbus_test_data_part1.pcap).
  if (fc & EXCEPTION_BIT) return -1;
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
 * length must match the function's fixed request or response layout where there is one, and bytes after it must start
 * another plausible header. HTTP, TLS, SSH and most binary protocols fail on the protocol id (bytes 2–3 must be zero).
 * Either layout is accepted in either direction: a Modbus server may be the side that opened the TCP connection (the
 * session then orients itself by port 502).
 */
export function probeModbus(data: Uint8Array, _dir: Dir): ProbeVerdict {
  const head = checkHeader(data, 0);
  if (head !== "yes") return head;
  const len = lengthField(data, 0);
  if (data.length < 6 + len) return "more";
  if (data[7]! & EXCEPTION_BIT) {
    const code = data[8];
    if (code === undefined || code < 1 || code > 11) return "no";
  }
  const asRequest = expectedLength(data, 0);
  const asResponse = expectedLength(data, 1);
  if (asRequest >= 0 && asResponse >= 0 && asRequest !== len && asResponse !== len) return "no";
  if (data.length > 6 + len && checkHeader(data, 6 + len) === "no") return "no";
  return "yes";
}

/** Offset of the next plausible MBAP header in `data` (scanning from 0), or -1. A header cut short by the end of the
 * data counts as plausible so the framer can wait for the rest. */
export function resyncModbus(data: Uint8Array): number {
  for (let o = 0; o < data.length; o++) {
    if (checkHeader(data, o) !== "no") return o;
  }
  return -1;
}

export const modbusFraming: Framing = {
  headerLen: MBAP_HEADER_LEN,
  maxPdu: MODBUS_MAX_ADU,
  pduLength(header: Uint8Array): number {
    const len = lengthField(header, 0);
    if (len < MBAP_MIN_LENGTH || len > MBAP_TOLERATED_MAX_LENGTH) return -1;
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
