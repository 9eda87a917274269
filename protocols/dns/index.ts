// DNS protocol module: a UDP dissector (one message per datagram) and a TCP dissector (RFC 1035 §4.2.2 / RFC 7766:
// each message preceded by a 2-byte length). Port 53 first; the content probe recognises DNS on other ports.

import type { Dir, Dissector, FlowInfo, Framing, ProbeVerdict } from "../../src/core/types.ts";
import { DNS_PORT } from "./constants.ts";
import { DnsSession } from "./session.ts";
import { DNS_HEADER_LEN, looksLikeDns } from "./wire.ts";

/** Largest DNS message over TCP (the length prefix is 16 bits). */
export const DNS_TCP_MAX_PDU = 2 + 0xffff;

function probeMessage(msg: Uint8Array): ProbeVerdict {
  if (msg.length < DNS_HEADER_LEN + 5) return "more";
  return looksLikeDns(msg) ? "yes" : "no";
}

export const dnsDissector: Dissector = {
  name: "dns",
  transport: "udp",
  ports: [DNS_PORT],
  probe(data: Uint8Array, _dir: Dir): ProbeVerdict {
    // A datagram is complete: "more" would never be answered.
    return data.length >= DNS_HEADER_LEN + 5 && looksLikeDns(data) ? "yes" : "no";
  },
  framing: undefined,
  createSession(flow: FlowInfo) {
    return new DnsSession(flow, false);
  },
};

const dnsTcpFraming: Framing = {
  headerLen: 2,
  pduLength(header: Uint8Array): number {
    const len = ((header[0] ?? 0) << 8) | (header[1] ?? 0);
    return len < DNS_HEADER_LEN ? -1 : 2 + len;
  },
  maxPdu: DNS_TCP_MAX_PDU,
};

export const dnsTcpDissector: Dissector = {
  name: "dns",
  transport: "tcp",
  ports: [DNS_PORT],
  probe(data: Uint8Array, _dir: Dir): ProbeVerdict {
    if (data.length < 2) return "more";
    const len = ((data[0] ?? 0) << 8) | (data[1] ?? 0);
    if (len < DNS_HEADER_LEN + 5) return "no";
    return probeMessage(data.subarray(2, 2 + len));
  },
  framing: dnsTcpFraming,
  createSession(flow: FlowInfo) {
    return new DnsSession(flow, true);
  },
};

export const dnsDissectors: readonly Dissector[] = [dnsDissector, dnsTcpDissector];
