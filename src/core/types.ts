// The engine's contracts: what a capture source yields, what the decoder fills in, what a protocol module plugs into,
// and the envelope every event shares. src/ never imports protocols/; protocols implement these interfaces.

/** Packet time: seconds since the Unix epoch as a float (µs precision survives at current epochs). The only clock. */
export type Ts = number;

/** One captured frame as read from a pcap/pcapng record. `data` is a view valid only until the next frame is read. */
export interface Frame {
  /** 1-based index of the frame in the capture (Wireshark's frame.number). */
  readonly index: number;
  readonly ts: Ts;
  /** LINKTYPE_* value (1 Ethernet, 0 null/loopback, 101 raw IP, 113 SLL, 276 SLL2, 228/229 raw IPv4/IPv6 …). */
  readonly linkType: number;
  /** Interface id within the capture (pcapng IDB index; 0 for classic pcap). */
  readonly iface: number;
  readonly data: Uint8Array;
  /** Original length on the wire (may exceed data.length when the snap length cut it). */
  readonly origLen: number;
}

export const enum IpProto {
  ICMP = 1,
  TCP = 6,
  UDP = 17,
  ICMPV6 = 58,
}

/**
 * A decoded packet. The decoder reuses one mutable instance per pipeline (no per-packet allocation): consumers must copy
 * whatever they keep. Strings (addresses) are built lazily by the flow table once per flow, not per packet.
 */
export interface Packet {
  frame: number;
  ts: Ts;
  /** Ethernet source/destination MAC as 6-byte views into the frame, or undefined when the link has none. */
  srcMac: Uint8Array | undefined;
  dstMac: Uint8Array | undefined;
  /** Outermost and innermost 802.1Q VLAN ids, -1 when untagged. */
  vlan: number;
  /** 4 or 6; 0 when the packet carries no IP (ARP, other ethertypes). */
  ipVersion: 0 | 4 | 6;
  /** Source/destination address bytes (4 or 16), views into the frame. */
  srcIp: Uint8Array;
  dstIp: Uint8Array;
  ttl: number;
  /** IP protocol number of the transport (after IPv6 extension headers). */
  proto: number;
  /** True when this is a non-first IPv4 fragment or a fragment of a datagram we do not reassemble. */
  fragment: boolean;
  srcPort: number;
  dstPort: number;
  /** TCP only. */
  seq: number;
  ack: number;
  tcpFlags: number;
  window: number;
  /** Transport payload (TCP/UDP/ICMP body), a view into the frame. */
  payload: Uint8Array;
  /** Bytes of the IP packet on the wire (IP total length), for traffic metrics. */
  ipLen: number;
  /** Set when the frame is ARP: op, sender/target MAC and IP as views. */
  arp: ArpInfo | undefined;
}

export interface ArpInfo {
  op: number;
  senderMac: Uint8Array;
  senderIp: Uint8Array;
  targetMac: Uint8Array;
  targetIp: Uint8Array;
}

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_PSH = 0x08;
export const TCP_ACK = 0x10;

/** Direction within a flow: 0 = client → server (originator), 1 = server → client (responder). */
export type Dir = 0 | 1;

/** What a protocol session knows about its flow; built once per flow, strings included. */
export interface FlowInfo {
  /** Stable id, deterministic for a given capture ("F" + base-36 sequence). */
  readonly id: string;
  readonly transport: "tcp" | "udp";
  readonly client: string;
  readonly clientPort: number;
  readonly server: string;
  readonly serverPort: number;
  readonly clientMac: string | undefined;
  readonly serverMac: string | undefined;
  readonly vlan: number;
  readonly startTs: Ts;
}

/** Fields every event carries. For protocol transactions src/sport is the client side, dst/dport the server side. */
export interface EventBase {
  readonly type: string;
  readonly ts: Ts;
  /** Frame that triggered the event (the request's frame for a transaction when there is one). */
  readonly frame: number;
  readonly flow: string;
  readonly src: string;
  readonly sport: number;
  readonly dst: string;
  readonly dport: number;
}

/** Protocol anomaly: malformed, out-of-spec or abusive input. `proto` is "tcp", "ip", "modbus", "opcua", … */
export interface WeirdEvent extends EventBase {
  readonly type: "weird";
  readonly proto: string;
  /** Stable reason id, e.g. "protocol-id", "bad-length", "unsolicited-response", "flooded", "malformed", "gap". */
  readonly name: string;
  readonly detail: string;
}

export interface FlowStartEvent extends EventBase {
  readonly type: "flow.start";
  readonly transport: "tcp" | "udp";
  /** Protocol module name once known, else undefined. */
  readonly service: string | undefined;
  readonly srcMac: string | undefined;
  readonly dstMac: string | undefined;
  /** True when the capture did not show the TCP handshake (picked up mid-stream). */
  readonly midstream: boolean;
}

export interface FlowEndEvent extends EventBase {
  readonly type: "flow.end";
  readonly transport: "tcp" | "udp";
  readonly service: string | undefined;
  readonly reason: "fin" | "rst" | "idle" | "evicted" | "eof";
  readonly duration: number;
  readonly pktsToServer: number;
  readonly pktsToClient: number;
  readonly bytesToServer: number;
  readonly bytesToClient: number;
  /** Flow start time (packet time); `ts` is the end. */
  readonly startTs: Ts;
  /** TCP: the handshake completed (SYN seen and answered). */
  readonly established: boolean;
  /** TCP: the server answered the SYN with RST or never answered (a failed or scanned connection). */
  readonly rejected: boolean;
  readonly midstream: boolean;
}

export interface GapEvent extends EventBase {
  readonly type: "flow.gap";
  readonly dir: Dir;
  readonly bytes: number;
}

export interface ArpEvent extends EventBase {
  readonly type: "arp";
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

/** A non-flow IP sighting used for asset inventory (ICMP, UDP without a module, …) is carried by flow.start instead. */
export type CoreEvent = WeirdEvent | FlowStartEvent | FlowEndEvent | GapEvent | ArpEvent;

/**
 * What a protocol session may do. `emit` takes any event extending EventBase; `count` bumps a named counter
 * (e.g. "modbus.pending.flooded"); `weird` emits a WeirdEvent for this flow and counts `weird.<proto>.<name>`.
 * `reserve`/`release` draw on the pipeline-wide budget for bytes held by sessions (added for issue 2's memory bound:
 * per-flow caps × the flow cap is far above 1 GB).
 */
export interface SessionContext {
  readonly flow: FlowInfo;
  /** Frame index and packet time of the packet being processed right now. */
  readonly frame: number;
  readonly ts: Ts;
  emit(event: EventBase): void;
  count(name: string, n?: number): void;
  weird(name: string, detail: string, dir?: Dir): void;
  /**
   * Asks for `bytes` the session is about to keep beyond this call (copied chunks, pending requests — an estimate is
   * fine). False when the pipeline-wide session budget is spent (counted `budget.session.refused`): the session must
   * then not keep it (drop the message being assembled, report the request unpaired) and may say so with weird `budget`.
   */
  reserve(bytes: number): boolean;
  /**
   * Gives back bytes reserved earlier (a message completed, a request answered). Optional to call: whatever a session
   * still holds is released for it when it ends, is detached or its flow is evicted.
   */
  release(bytes: number): void;
}

/**
 * Framing declared by a TCP protocol (Wireshark's tcp_dissect_pdus): the core buffers until `headerLen` bytes are there,
 * asks `pduLength` for the whole PDU length, buffers until it is complete, then hands the PDU to the session.
 * `pduLength` returns -1 when the header is impossible: the core reports `bad-length`, skips one byte and resynchronises
 * (via `resync`, when given, which returns the offset of the next plausible header or -1), and detaches after
 * MAX_FRAMING_VIOLATIONS.
 */
export interface Framing {
  readonly headerLen: number;
  pduLength(header: Uint8Array): number;
  /** Largest PDU the protocol allows; longer claimed lengths count as impossible. */
  readonly maxPdu: number;
  resync?(data: Uint8Array): number;
}

export type ProbeVerdict = "yes" | "no" | "more";

export interface ProtocolSession {
  /** A complete PDU (TCP, after framing) or datagram (UDP). View valid only during the call. */
  onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void;
  /** Bytes were lost in this direction; framing has been reset. */
  onGap?(dir: Dir, bytes: number, ctx: SessionContext): void;
  /** Packet time advanced (called at most once per second of packet time per flow); for transaction timeouts. */
  onTick?(ctx: SessionContext): void;
  /** The flow ends: flush pending transactions as timeouts. */
  onEnd(ctx: SessionContext): void;
}

export interface Dissector {
  readonly name: string;
  readonly transport: "tcp" | "udp";
  /** Well-known server ports, tried first. */
  readonly ports: readonly number[];
  /** Content probe on the first bytes a client sends (dir 0) or a server sends (dir 1), for any port. */
  probe(data: Uint8Array, dir: Dir): ProbeVerdict;
  readonly framing: Framing | undefined;
  createSession(flow: FlowInfo): ProtocolSession;
}
