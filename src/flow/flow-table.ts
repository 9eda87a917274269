// Flow table (issue 2 item 3): flows keyed by the bidirectional 5-tuple, client/server roles, TCP handshake state, idle
// expiry by packet time, FIN/RST close, and a hard cap with least-recently-active eviction. Emits flow.start/flow.end.
// Lookup is allocation-free: a symmetric numeric hash into a Map of bucket chains, compared field by field (addresses as
// 32-bit words: one compare per IPv4 address, four per IPv6); address strings are built once, when the flow is created.

import type { Counters } from "../core/counters.ts";
import type { Dir, EventBase, FlowInfo, Packet, Ts } from "../core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../core/types.ts";
import { formatIp, formatMac } from "../decode/index.ts";
import { DecodedPacket } from "../decode/packet.ts";
import { DEFAULT_FLOW_LIMITS, type EndReason, Flow, type FlowLimits } from "./flow.ts";
import { LIST_CLOSED, LIST_HALF_OPEN, LIST_NONE, LIST_TCP, LIST_UDP } from "./flow.ts";

export interface FlowTableOptions<A> {
  counters: Counters;
  limits?: Partial<FlowLimits>;
  emit(e: EventBase): void;
  /** True when `port` is a server port registered by a dissector: decides roles when the handshake was not seen. */
  isServerPort(transport: "tcp" | "udp", port: number): boolean;
  /** Service known from the port table at creation time, for flow.start. */
  serviceByPort(transport: "tcp" | "udp", port: number): string | undefined;
  /** Called before flow.end is emitted, so session events come first (flush streams, end the session). */
  onEnd(flow: Flow<A>, reason: EndReason, ts: Ts): void;
}

/** Big-endian 32-bit word of an address at `off` (addresses are compared and hashed a word at a time). */
function word(b: Uint8Array, off: number): number {
  return (b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!;
}

/** Hash of one endpoint (address words and port); the flow hash is the sum of both ends, so it is symmetric. */
function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(port ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ w0, 0x01000193);
  h = Math.imul(h ^ w1, 0x01000193);
  h = Math.imul(h ^ w2, 0x01000193);
  h = Math.imul(h ^ w3, 0x01000193);
  return h ^ (h >>> 15);
}

export class FlowTable<A> {
  readonly limits: FlowLimits;
  /** Direction (0 client→server, 1 server→client) of the packet last passed to track(). */
  dir: Dir = 0;
  private readonly buckets = new Map<number, Flow<A>>();
  private readonly heads: (Flow<A> | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly tails: (Flow<A> | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly timeouts: number[];
  private live = 0;
  private total = 0;
  private seq = 0;
  private readonly opts: FlowTableOptions<A>;
  private readonly counters: Counters;

  constructor(opts: FlowTableOptions<A>) {
    this.opts = opts;
    this.counters = opts.counters;
    this.limits = { ...DEFAULT_FLOW_LIMITS, ...opts.limits };
    const l = this.limits;
    this.timeouts = [l.tcpIdleTimeout, l.udpIdleTimeout, l.tcpHalfOpenTimeout, l.tcpClosedLinger];
  }

  /** Live flows (tombstones excluded). */
  get size(): number {
    return this.live;
  }

  /** Flows created so far. */
  get created(): number {
    return this.seq;
  }

  /**
   * Finds or creates the flow of a TCP/UDP packet, updates counts, handshake and close state, and sets `dir`.
   * Returns undefined when the packet belongs to no flow worth tracking (trailing packets of a closed flow, orphan RST).
   */
  track(pkt: Packet): Flow<A> | undefined {
    const proto = pkt.proto;
    const sport = pkt.srcPort;
    const dport = pkt.dstPort;
    // The decoder's own packets expose the frame and address offsets: reading them in place saves two views per packet.
    let sBuf: Uint8Array;
    let sOff = 0;
    let dBuf: Uint8Array;
    let dOff = 0;
    if (pkt instanceof DecodedPacket && pkt.srcIpOff >= 0 && pkt.dstIpOff >= 0) {
      sBuf = dBuf = pkt.d;
      sOff = pkt.srcIpOff;
      dOff = pkt.dstIpOff;
    } else {
      sBuf = pkt.srcIp;
      dBuf = pkt.dstIp;
    }
    // Addresses as 32-bit words (IPv4: one word, the rest 0; the family is compared too).
    const fam = pkt.ipVersion;
    const s0 = word(sBuf, sOff);
    const d0 = word(dBuf, dOff);
    let s1 = 0, s2 = 0, s3 = 0, d1 = 0, d2 = 0, d3 = 0;
    if (fam === 6) {
      s1 = word(sBuf, sOff + 4);
      s2 = word(sBuf, sOff + 8);
      s3 = word(sBuf, sOff + 12);
      d1 = word(dBuf, dOff + 4);
      d2 = word(dBuf, dOff + 8);
      d3 = word(dBuf, dOff + 12);
    }
    // 30 bits: the Map key stays a small integer (a full int32 is a heap number on 64-bit V8: one allocation per lookup).
    const hash = (endpointHash(s0, s1, s2, s3, sport) + endpointHash(d0, d1, d2, d3, dport) + proto) & 0x3fffffff;
    let flow = this.buckets.get(hash);
    let fromA = true;
    while (flow !== undefined) {
      if (flow.proto === proto && flow.fam === fam) {
        if (flow.portA === sport && flow.portB === dport && flow.a0 === s0 && flow.b0 === d0 && flow.a1 === s1 && flow.b1 === d1 &&
          flow.a2 === s2 && flow.b2 === d2 && flow.a3 === s3 && flow.b3 === d3) break;
        if (flow.portA === dport && flow.portB === sport && flow.a0 === d0 && flow.b0 === s0 && flow.a1 === d1 && flow.b1 === s1 &&
          flow.a2 === d2 && flow.b2 === s2 && flow.a3 === d3 && flow.b3 === s3) {
          fromA = false;
          break;
        }
      }
      flow = flow.chain;
    }
    const flags = pkt.tcpFlags;
    const isTcp = proto === 6;
    if (flow !== undefined && flow.closed) {
      if (isTcp && (flags & (TCP_SYN | TCP_ACK)) === TCP_SYN) {
        this.drop(flow);
        flow = undefined;
      } else {
        this.counters.add("flow.tcp.after-close");
        return undefined;
      }
    }
    if (flow === undefined) {
      if (isTcp && (flags & TCP_RST) !== 0) {
        this.counters.add("flow.tcp.orphan-rst");
        return undefined;
      }
      flow = this.create(pkt, hash);
      flow.setKey(fam, s0, s1, s2, s3, d0, d1, d2, d3);
      fromA = true;
    }
    const dir: Dir = fromA === flow.clientIsA ? 0 : 1;
    this.dir = dir;
    flow.pkts[dir]++;
    flow.bytes[dir] += pkt.ipLen;
    if (pkt.ts > flow.lastTs) flow.lastTs = pkt.ts;
    flow.lastFrame = pkt.frame;
    if (isTcp) this.updateTcp(flow, dir, flags, pkt);
    else this.touch(flow, LIST_UDP);
    return flow;
  }

  private updateTcp(flow: Flow<A>, dir: Dir, flags: number, pkt: Packet): void {
    if ((flags & TCP_SYN) !== 0) {
      if ((flags & TCP_ACK) === 0) {
        if (dir === 0) flow.synSeen = true;
      } else if (dir === 1) {
        flow.synAckSeen = true;
      }
    }
    if ((flags & TCP_RST) !== 0) {
      if (dir === 1 && flow.synSeen && !flow.synAckSeen) flow.rejected = true;
      flow.closing = "rst";
    } else if ((flags & TCP_FIN) !== 0) {
      flow.finMask |= 1 << dir;
      if (flow.finMask === 3) flow.closing = "fin";
    }
    // Unanswered SYN: the short timeout, unless the client already sends data (the capture sees one direction only).
    let list = LIST_TCP;
    if (flow.synSeen && !flow.synAckSeen && flow.list !== LIST_TCP) list = pkt.payload.length > 0 ? LIST_TCP : LIST_HALF_OPEN;
    this.touch(flow, list);
  }

  private create(pkt: Packet, hash: number): Flow<A> {
    this.makeRoom();
    const tcp = pkt.proto === 6;
    const transport = tcp ? "tcp" : "udp";
    const flags = pkt.tcpFlags;
    let clientIsA: boolean;
    let midstream = false;
    if (tcp && (flags & TCP_SYN) !== 0) {
      clientIsA = (flags & TCP_ACK) === 0;
    } else {
      midstream = tcp;
      clientIsA = this.guessClientIsSrc(transport, pkt.srcPort, pkt.dstPort);
    }
    const srcIsClient = clientIsA;
    const client = formatIp(srcIsClient ? pkt.srcIp : pkt.dstIp);
    const server = formatIp(srcIsClient ? pkt.dstIp : pkt.srcIp);
    const cmac = srcIsClient ? pkt.srcMac : pkt.dstMac;
    const smac = srcIsClient ? pkt.dstMac : pkt.srcMac;
    const serverPort = srcIsClient ? pkt.dstPort : pkt.srcPort;
    const info: FlowInfo = {
      id: "F" + (this.seq++).toString(36),
      transport,
      client,
      clientPort: srcIsClient ? pkt.srcPort : pkt.dstPort,
      server,
      serverPort,
      clientMac: cmac === undefined ? undefined : formatMac(cmac),
      serverMac: smac === undefined ? undefined : formatMac(smac),
      vlan: pkt.vlan,
      startTs: pkt.ts,
    };
    const flow = new Flow<A>(info, pkt, hash, clientIsA, midstream);
    flow.service = this.opts.serviceByPort(transport, serverPort);
    flow.chain = this.buckets.get(hash);
    this.buckets.set(hash, flow);
    this.live++;
    this.total++;
    this.counters.add("flow.created");
    this.counters.set("flow.active", this.live);
    this.opts.emit(flow.startEvent(pkt.frame));
    return flow;
  }

  /** Roles without a handshake: a registered dissector port is the server; else the lower port (UDP: a port < 1024
   * against an ephemeral one, else the sender of the first datagram is the client). */
  private guessClientIsSrc(transport: "tcp" | "udp", sport: number, dport: number): boolean {
    const sReg = this.opts.isServerPort(transport, sport);
    const dReg = this.opts.isServerPort(transport, dport);
    if (sReg !== dReg) return dReg;
    if (transport === "udp" && !(sReg && dReg)) {
      if (sport < 1024 && dport >= 1024) return false;
      return true;
    }
    return dport <= sport;
  }

  /** Moves a flow to the tail of expiry list `list` (most recently active). */
  private touch(flow: Flow<A>, list: number): void {
    if (flow.list === list && this.tails[list] === flow) return;
    this.unlink(flow);
    flow.list = list;
    flow.prev = this.tails[list];
    flow.next = undefined;
    if (flow.prev !== undefined) flow.prev.next = flow;
    else this.heads[list] = flow;
    this.tails[list] = flow;
  }

  private unlink(flow: Flow<A>): void {
    const list = flow.list;
    if (list === LIST_NONE) return;
    if (flow.prev !== undefined) flow.prev.next = flow.next;
    else this.heads[list] = flow.next;
    if (flow.next !== undefined) flow.next.prev = flow.prev;
    else this.tails[list] = flow.prev;
    flow.prev = flow.next = undefined;
    flow.list = LIST_NONE;
  }

  /** Ends a live flow: the pipeline's onEnd first, then flow.end. FIN/RST-closed TCP flows linger as tombstones. */
  end(flow: Flow<A>, reason: EndReason, ts: Ts): void {
    if (flow.closed) return;
    if (reason === "idle" && flow.list === LIST_HALF_OPEN) flow.rejected = true;
    this.opts.onEnd(flow, reason, ts);
    flow.closed = true;
    this.live--;
    this.counters.add(reason === "idle" ? "flow.expired.idle" : reason === "evicted" ? "flow.evicted" : `flow.ended.${reason}`);
    this.counters.set("flow.active", this.live);
    this.opts.emit(flow.endEvent(reason, ts));
    if (flow.proto === 6 && (reason === "fin" || reason === "rst")) {
      flow.lastTs = ts;
      this.touch(flow, LIST_CLOSED);
    } else {
      this.drop(flow);
    }
  }

  /** Removes a flow (live or tombstone) from the hash and lists without events. */
  private drop(flow: Flow<A>): void {
    this.unlink(flow);
    let cur = this.buckets.get(flow.hash);
    if (cur === flow) {
      if (flow.chain === undefined) this.buckets.delete(flow.hash);
      else this.buckets.set(flow.hash, flow.chain);
    } else {
      while (cur !== undefined && cur.chain !== flow) cur = cur.chain;
      if (cur !== undefined) cur.chain = flow.chain;
    }
    flow.chain = undefined;
    if (!flow.closed) {
      flow.closed = true;
      this.live--;
      this.counters.set("flow.active", this.live);
    }
    this.total--;
  }

  /** Keeps the table under maxFlows: oldest tombstone first, else the least recently active live flow. */
  private makeRoom(): void {
    while (this.total >= this.limits.maxFlows) {
      const tomb = this.heads[LIST_CLOSED];
      if (tomb !== undefined) {
        this.drop(tomb);
        continue;
      }
      let victim: Flow<A> | undefined;
      for (let l = 0; l < LIST_CLOSED; l++) {
        const h = this.heads[l];
        if (h !== undefined && (victim === undefined || h.lastTs < victim.lastTs)) victim = h;
      }
      if (victim === undefined) return;
      this.end(victim, "evicted", victim.lastTs);
    }
  }

  /** Ends flows idle longer than their timeout as of packet time `now`; forgets expired tombstones. */
  expire(now: Ts): void {
    for (let l = 0; l < 4; l++) {
      const timeout = this.timeouts[l] as number;
      let h = this.heads[l];
      while (h !== undefined && h.lastTs + timeout < now) {
        if (l === LIST_CLOSED) this.drop(h);
        else this.end(h, "idle", now);
        h = this.heads[l];
      }
    }
  }

  /** Ends every live flow (end of capture) and empties the table. */
  finish(ts: Ts): void {
    for (let l = 0; l < LIST_CLOSED; l++) {
      let h = this.heads[l];
      while (h !== undefined) {
        this.end(h, "eof", ts);
        h = this.heads[l];
      }
    }
    let t = this.heads[LIST_CLOSED];
    while (t !== undefined) {
      this.drop(t);
      t = this.heads[LIST_CLOSED];
    }
  }
}
