// The packet pipeline (issue 2 items 3–4, STYLE "data flows one way"): frame → decode → ARP events → flow table → TCP
// stream → registry → framer → protocol session → onEvent. Packet time is the only clock: idle expiry and session ticks
// run once per second of packet time. One Packet object is reused for every frame; nothing here allocates per packet on
// the in-order path.

import { Counters } from "./core/counters.ts";
import type { ArpEvent, Dir, Dissector, EventBase, Frame, Packet, Ts, WeirdEvent } from "./core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "./core/types.ts";
import { createPacket, decodeFrame, formatIp, formatMac } from "./decode/index.ts";
import { DEFAULT_FLOW_LIMITS, type EndReason, type Flow, type FlowLimits } from "./flow/flow.ts";
import { FlowTable } from "./flow/flow-table.ts";
import { ByteBudget, MAX_TOTAL_ASSEMBLY_BYTES, MAX_TOTAL_OOO_BYTES, MAX_TOTAL_SESSION_BYTES } from "./flow/budget.ts";
import { DEFAULT_FRAMER_LIMITS, type FramerLimits } from "./flow/framer.ts";
import { Registry } from "./flow/registry.ts";
import { type HostEnv, SessionHost } from "./flow/session-host.ts";
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from "./flow/tcp-stream.ts";

export interface BudgetLimits {
  maxTotalOooBytes: number;
  maxTotalAssemblyBytes: number;
  /** Bytes held by all protocol sessions (SessionContext.reserve); refusals count `budget.session.refused`. */
  maxTotalSessionBytes: number;
}

export type PipelineLimits = FlowLimits & StreamLimits & FramerLimits & BudgetLimits;

export const DEFAULT_PIPELINE_LIMITS: PipelineLimits = {
  ...DEFAULT_FLOW_LIMITS,
  ...DEFAULT_STREAM_LIMITS,
  ...DEFAULT_FRAMER_LIMITS,
  maxTotalOooBytes: MAX_TOTAL_OOO_BYTES,
  maxTotalAssemblyBytes: MAX_TOTAL_ASSEMBLY_BYTES,
  maxTotalSessionBytes: MAX_TOTAL_SESSION_BYTES,
};

export interface PipelineOptions {
  dissectors: readonly Dissector[];
  onEvent: (e: EventBase) => void;
  counters?: Counters;
  limits?: Partial<PipelineLimits>;
}

const TCP_URG = 0x20;

export class Pipeline {
  readonly limits: PipelineLimits;
  readonly registry: Registry;
  private readonly pkt: Packet = createPacket();
  private readonly table: FlowTable<SessionHost>;
  private readonly env: HostEnv;
  private readonly onEvent: (e: EventBase) => void;
  private readonly _counters: Counters;
  private nPackets = 0;
  private nBytes = 0;
  private now = -Infinity;
  private first = 0;
  private lastFrame = 0;
  private nextSweep = -Infinity;

  constructor(opts: PipelineOptions) {
    this._counters = opts.counters ?? new Counters();
    this.onEvent = opts.onEvent;
    this.limits = { ...DEFAULT_PIPELINE_LIMITS, ...opts.limits };
    this.registry = new Registry(opts.dissectors);
    const registry = this.registry;
    const emit = opts.onEvent;
    this.env = {
      counters: this._counters,
      registry,
      streamLimits: this.limits,
      framerLimits: this.limits,
      oooBudget: new ByteBudget(this.limits.maxTotalOooBytes),
      assemblyBudget: new ByteBudget(this.limits.maxTotalAssemblyBytes),
      sessionBudget: new ByteBudget(this.limits.maxTotalSessionBytes),
      tickers: new Set(),
      emit,
    };
    this.table = new FlowTable<SessionHost>({
      counters: this._counters,
      limits: this.limits,
      emit,
      isServerPort: (t, p) => registry.isServerPort(t, p),
      serviceByPort: (t, p) => registry.byPort(t, p)?.name,
      onEnd: (flow) => this.endFlow(flow),
    });
  }

  get counters(): Counters {
    return this._counters;
  }

  /** Frames handed to the pipeline. */
  get packets(): number {
    return this.nPackets;
  }

  /** Bytes of those frames on the wire. */
  get bytes(): number {
    return this.nBytes;
  }

  /** Latest packet time seen (0 before the first packet). */
  get lastTs(): Ts {
    return this.now === -Infinity ? 0 : this.now;
  }

  /** Packet time of the first packet (0 before it). */
  get firstTs(): Ts {
    return this.first;
  }

  get flowsCreated(): number {
    return this.table.created;
  }

  get activeFlows(): number {
    return this.table.size;
  }

  /** Bytes held in out-of-order buffers and in PDU/probe assembly, across all flows. */
  get bufferedBytes(): { ooo: number; assembly: number } {
    return { ooo: this.env.oooBudget.used, assembly: this.env.assemblyBudget.used };
  }

  /** Bytes protocol sessions hold from the session budget (also the gauge `budget.session.bytes`, set every second). */
  get sessionBytes(): number {
    return this.env.sessionBudget.used;
  }

  handleFrame(frame: Frame): void {
    this.nPackets++;
    this.nBytes += frame.origLen;
    const pkt = this.pkt;
    let ok: boolean;
    try {
      ok = decodeFrame(frame, pkt, this._counters);
    } catch {
      this._counters.add("internal.decode.exception");
      return;
    }
    if (ok) this.handlePacket(pkt);
  }

  /** A decoded packet (tests may feed synthetic packets directly; handleFrame counts packets, this does not). */
  handlePacket(pkt: Packet): void {
    const ts = pkt.ts;
    this.lastFrame = pkt.frame;
    if (ts > this.now) {
      if (this.now === -Infinity) this.first = ts;
      this.now = ts;
      if (ts >= this.nextSweep) this.sweep(ts, pkt.frame);
    }
    if (pkt.arp !== undefined) {
      this.arp(pkt);
      return;
    }
    if (pkt.ipVersion === 0) return;
    const proto = pkt.proto;
    if (proto !== 6 && proto !== 17) {
      this._counters.add("flow.untracked");
      return;
    }
    if (pkt.fragment) {
      this._counters.add("flow.fragment-skipped");
      return;
    }
    const table = this.table;
    const flow = table.track(pkt);
    if (flow === undefined) return;
    const dir = table.dir;
    let host = flow.app;
    if (host === undefined) {
      host = new SessionHost(flow, this.env);
      flow.app = host;
    }
    host.frame = pkt.frame;
    host.ts = ts;
    if (proto === 6) {
      const flags = pkt.tcpFlags;
      if ((flags & (TCP_SYN | TCP_FIN | TCP_RST)) !== 0 || (flags & TCP_ACK) === 0) this.checkFlags(flow, dir, flags);
      host.tcpPacket(dir, pkt);
      if (flow.closing !== undefined) table.end(flow, flow.closing, ts);
    } else {
      host.udpPacket(dir, pkt);
    }
  }

  /**
   * Advances packet time without a packet. Live capture calls it while the wire is silent (as Zeek's network_time follows
   * the clock when idle), so idle flows still expire and transactions still time out; replays never need it.
   */
  advance(ts: Ts): void {
    if (ts > this.now) {
      this.now = ts;
      if (ts >= this.nextSweep) this.sweep(ts, this.lastFrame);
    }
  }

  /** End of input: every flow ends (`eof`), sessions flush. */
  finish(ts?: Ts): void {
    const end = ts ?? this.lastTs;
    this.table.finish(end);
    this._counters.set("flow.active", 0);
    this._counters.set("budget.session.bytes", this.env.sessionBudget.used);
  }

  /** Once per second of packet time: idle expiry, then session ticks. */
  private sweep(ts: Ts, frame: number): void {
    this.nextSweep = Math.floor(ts) + 1;
    this._counters.set("budget.session.bytes", this.env.sessionBudget.used);
    this.table.expire(ts);
    for (const h of this.env.tickers) {
      h.frame = frame;
      h.ts = ts;
      h.tick();
    }
  }

  private endFlow(flow: Flow<SessionHost>): void {
    const host = flow.app;
    if (host === undefined) return;
    if (this.now > host.ts) host.ts = this.now;
    host.end();
  }

  /** TCP flag combinations no stack sends: scans and crafted packets, worth surfacing. */
  private checkFlags(flow: Flow<SessionHost>, dir: Dir, flags: number): void {
    let name: string | undefined;
    if ((flags & (TCP_SYN | TCP_FIN)) === (TCP_SYN | TCP_FIN)) name = "syn-fin";
    else if ((flags & (TCP_SYN | TCP_RST)) === (TCP_SYN | TCP_RST)) name = "syn-rst";
    else if ((flags & 0x3f) === 0) name = "null-flags";
    else if ((flags & (TCP_FIN | TCP_URG | 0x08)) === (TCP_FIN | TCP_URG | 0x08) && (flags & TCP_ACK) === 0) name = "xmas";
    if (name === undefined) return;
    this._counters.add(`weird.tcp.${name}`);
    const info = flow.info;
    const rev = dir === 1;
    const ev: WeirdEvent = {
      type: "weird",
      ts: this.pkt.ts,
      frame: this.pkt.frame,
      flow: info.id,
      src: rev ? info.server : info.client,
      sport: rev ? info.serverPort : info.clientPort,
      dst: rev ? info.client : info.server,
      dport: rev ? info.clientPort : info.serverPort,
      proto: "tcp",
      name,
      detail: `TCP flags 0x${flags.toString(16).padStart(2, "0")}`,
    };
    this.onEvent(ev);
  }

  private arp(pkt: Packet): void {
    const a = pkt.arp;
    if (a === undefined) return;
    const ev: ArpEvent = {
      type: "arp",
      ts: pkt.ts,
      frame: pkt.frame,
      flow: "",
      src: formatIp(a.senderIp),
      sport: 0,
      dst: formatIp(a.targetIp),
      dport: 0,
      op: a.op,
      senderMac: formatMac(a.senderMac),
      senderIp: formatIp(a.senderIp),
      targetMac: formatMac(a.targetMac),
      targetIp: formatIp(a.targetIp),
    };
    this.onEvent(ev);
  }
}

export type { EndReason };
