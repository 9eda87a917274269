// One flow of the flow table (issue 2 item 3): its identity (the 5-tuple as first seen, roles, FlowInfo with the strings
// built once), per-direction counts, TCP handshake/close state, and the intrusive links the table uses for its hash
// chains and expiry lists. Also the flow limits (named constants) the table enforces.

import type { FlowEndEvent, FlowInfo, FlowStartEvent, Packet, Ts } from "../core/types.ts";

/** Established or mid-stream TCP flows end after this much packet time without a packet (Zeek's tcp_inactivity_timeout). */
export const TCP_IDLE_TIMEOUT_S = 300;
/** UDP flows (no close signal) end after this much silence. */
export const UDP_IDLE_TIMEOUT_S = 60;
/** A SYN that was never answered: the flow is ended as rejected after this long (scans must not fill the table). */
export const TCP_HALF_OPEN_TIMEOUT_S = 30;
/** After FIN/RST the tuple is remembered this long so trailing ACKs/retransmissions do not open a new flow. */
export const TCP_CLOSED_LINGER_S = 5;
/** Hard cap on flows in the table (live + recently closed); the least recently active flow is evicted beyond it. */
export const MAX_FLOWS = 100_000;

export interface FlowLimits {
  tcpIdleTimeout: number;
  udpIdleTimeout: number;
  tcpHalfOpenTimeout: number;
  tcpClosedLinger: number;
  maxFlows: number;
}

export const DEFAULT_FLOW_LIMITS: FlowLimits = {
  tcpIdleTimeout: TCP_IDLE_TIMEOUT_S,
  udpIdleTimeout: UDP_IDLE_TIMEOUT_S,
  tcpHalfOpenTimeout: TCP_HALF_OPEN_TIMEOUT_S,
  tcpClosedLinger: TCP_CLOSED_LINGER_S,
  maxFlows: MAX_FLOWS,
};

export type EndReason = FlowEndEvent["reason"];

// Expiry lists: each holds flows with one timeout, ordered by last activity, so a sweep only looks at list heads.
export const LIST_TCP = 0;
export const LIST_UDP = 1;
export const LIST_HALF_OPEN = 2;
export const LIST_CLOSED = 3;
export const LIST_NONE = -1;

/** One flow. `A` is the per-flow application state the pipeline attaches (streams, session). */
export class Flow<A> {
  readonly info: FlowInfo;
  /** Endpoint A is the source of the first packet seen. Addresses as big-endian 32-bit words (IPv4: a0/b0, rest 0). */
  fam = 0;
  a0 = 0;
  a1 = 0;
  a2 = 0;
  a3 = 0;
  b0 = 0;
  b1 = 0;
  b2 = 0;
  b3 = 0;
  readonly portA: number;
  readonly portB: number;
  readonly proto: number;
  readonly hash: number;
  readonly clientIsA: boolean;
  /** Service name (dissector) once known. */
  service: string | undefined;
  app: A | undefined = undefined;
  lastTs: Ts;
  lastFrame: number;
  pkts: [number, number] = [0, 0];
  bytes: [number, number] = [0, 0];
  synSeen = false;
  synAckSeen = false;
  rejected = false;
  readonly midstream: boolean;
  /** Bit per direction that sent FIN. */
  finMask = 0;
  /** Set by a packet that closes the flow (RST, second FIN); the pipeline ends the flow after processing the packet. */
  closing: EndReason | undefined = undefined;
  /** Ended and kept only as a tombstone for trailing packets. */
  closed = false;
  // Intrusive links: hash bucket chain and expiry list.
  chain: Flow<A> | undefined = undefined;
  prev: Flow<A> | undefined = undefined;
  next: Flow<A> | undefined = undefined;
  list = LIST_NONE;

  constructor(info: FlowInfo, pkt: Packet, hash: number, clientIsA: boolean, midstream: boolean) {
    this.info = info;
    this.portA = pkt.srcPort;
    this.portB = pkt.dstPort;
    this.proto = pkt.proto;
    this.hash = hash;
    this.clientIsA = clientIsA;
    this.midstream = midstream;
    this.lastTs = pkt.ts;
    this.lastFrame = pkt.frame;
  }

  /** The flow's key: address family (4/6) and the address words of endpoints A and B. */
  setKey(fam: number, a0: number, a1: number, a2: number, a3: number, b0: number, b1: number, b2: number, b3: number): void {
    this.fam = fam;
    this.a0 = a0;
    this.a1 = a1;
    this.a2 = a2;
    this.a3 = a3;
    this.b0 = b0;
    this.b1 = b1;
    this.b2 = b2;
    this.b3 = b3;
  }

  get established(): boolean {
    return this.synSeen && this.synAckSeen;
  }

  startEvent(frame: number): FlowStartEvent {
    const info = this.info;
    return {
      type: "flow.start",
      ts: info.startTs,
      frame,
      flow: info.id,
      src: info.client,
      sport: info.clientPort,
      dst: info.server,
      dport: info.serverPort,
      transport: info.transport,
      service: this.service,
      srcMac: info.clientMac,
      dstMac: info.serverMac,
      midstream: this.midstream,
    };
  }

  /** flow.end at packet time `ts`; the duration runs from the first to the last packet (µs precision). */
  endEvent(reason: EndReason, ts: Ts): FlowEndEvent {
    const info = this.info;
    return {
      type: "flow.end",
      ts,
      frame: this.lastFrame,
      flow: info.id,
      src: info.client,
      sport: info.clientPort,
      dst: info.server,
      dport: info.serverPort,
      transport: info.transport,
      service: this.service,
      reason,
      duration: Math.max(0, Math.round((this.lastTs - info.startTs) * 1e6) / 1e6),
      pktsToServer: this.pkts[0],
      pktsToClient: this.pkts[1],
      bytesToServer: this.bytes[0],
      bytesToClient: this.bytes[1],
      startTs: info.startTs,
      established: this.established,
      rejected: this.rejected,
      midstream: this.midstream,
    };
  }
}
