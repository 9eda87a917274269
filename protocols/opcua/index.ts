// The OPC UA binary (UA TCP) dissector: port 4840, content probe for any port (ICSNPP's `^HEL` signature idea, widened to
// every UA TCP message type so flows picked up mid-way are found too), framing "8-byte header, length at offset 4"
// (OPC UA Part 6 §7.1.2.2) and one OpcuaSession per flow.

import type { Dir, Dissector, FlowInfo, ProbeVerdict } from "../../src/core/types.ts";
import { isChunkType, OPCUA_HEADER_LEN, OPCUA_MAX_PDU } from "./constants.ts";
import { OpcuaSession } from "./session.ts";
import { findNextHeader, messageLength } from "./transport.ts";

/** Client side starts with HEL (or OPN/MSG/CLO mid-stream); server side with ACK/ERR/RHE (or OPN/MSG mid-stream). */
export function probeOpcua(data: Uint8Array, _dir: Dir): ProbeVerdict {
  const n = Math.min(data.length, OPCUA_HEADER_LEN);
  if (n === 0) return "more";
  if (!startsType(data, n)) return "no";
  if (n >= 4 && !isChunkType(data[3] ?? 0)) return "no";
  if (n < OPCUA_HEADER_LEN) return "more";
  return messageLength(data.subarray(0, OPCUA_HEADER_LEN)) > 0 ? "yes" : "no";
}

const TYPES = ["HEL", "ACK", "ERR", "RHE", "OPN", "MSG", "CLO"];

function startsType(data: Uint8Array, n: number): boolean {
  const k = Math.min(n, 3);
  outer: for (const t of TYPES) {
    for (let i = 0; i < k; i++) if (t.charCodeAt(i) !== data[i]) continue outer;
    return true;
  }
  return false;
}

export const opcuaDissector: Dissector = {
  name: "opcua",
  transport: "tcp",
  ports: [4840],
  probe: probeOpcua,
  framing: {
    headerLen: OPCUA_HEADER_LEN,
    pduLength: messageLength,
    maxPdu: OPCUA_MAX_PDU,
    resync: findNextHeader,
  },
  createSession(flow: FlowInfo) {
    return new OpcuaSession(flow);
  },
};
