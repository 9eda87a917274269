// TLS protocol module: ports 443/8443 (and the usual TLS-wrapped services) first, then a content probe for a
// handshake record carrying a ClientHello (client) or ServerHello (server) on any port. Framing: TLS records, a 5-byte
// header with the length at offset 3 (RFC 8446 §5.1).

import type { Dir, Dissector, FlowInfo, Framing, ProbeVerdict } from "../../src/core/types.ts";
import { TlsSession } from "./session.ts";
import { recordLength, TLS_HS_CLIENT_HELLO, TLS_HS_SERVER_HELLO, TLS_MAX_RECORD, TLS_RECORD_HEADER_LEN } from "./wire.ts";

/** HTTPS, alternative HTTPS, SMTPS/submissions, LDAPS, IMAPS, POP3S, MQTT over TLS, OPC UA HTTPS. */
export const TLS_PORTS: readonly number[] = [443, 8443, 465, 636, 993, 995, 8883, 4843];

const tlsFraming: Framing = {
  headerLen: TLS_RECORD_HEADER_LEN,
  pduLength: recordLength,
  maxPdu: TLS_RECORD_HEADER_LEN + TLS_MAX_RECORD,
};

export const tlsDissector: Dissector = {
  name: "tls",
  transport: "tcp",
  ports: TLS_PORTS,
  probe(data: Uint8Array, dir: Dir): ProbeVerdict {
    if (data.length < TLS_RECORD_HEADER_LEN + 1) {
      return data.length === 0 || data[0] === 0x16 ? "more" : "no";
    }
    if (data[0] !== 0x16 || recordLength(data) < 0) return "no";
    return data[TLS_RECORD_HEADER_LEN] === (dir === 0 ? TLS_HS_CLIENT_HELLO : TLS_HS_SERVER_HELLO) ? "yes" : "no";
  },
  framing: tlsFraming,
  createSession(flow: FlowInfo) {
    return new TlsSession(flow);
  },
};
