// Per-flow glue between the byte streams and a protocol session (issue 2 items 3–4): chooses the dissector (port, then
// probes), runs reassembly and framing, and is the session's SessionContext. Every call into dissector code goes through
// `call`, the single try/catch at the session boundary (STYLE "an exception escaping a session"): the exception is
// counted as internal.<proto>.exception, reported as a weird `internal-error`, and the session is detached.
// The host also keeps the tally of what its session reserved from the pipeline-wide session budget and gives all of it
// back when the session ends, is detached or its flow is evicted, so a session cannot leak budget.

import type { Counters } from "../core/counters.ts";
import type {
  Dir,
  Dissector,
  EventBase,
  FlowInfo,
  GapEvent,
  Packet,
  ProbeVerdict,
  ProtocolSession,
  SessionContext,
  WeirdEvent,
} from "../core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_SYN } from "../core/types.ts";
import type { ByteBudget } from "./budget.ts";
import type { Flow } from "./flow.ts";
import { Framer, type FramerLimits, type FramerOutput } from "./framer.ts";
import { ProbeState, type ProbeRunner, type Registry } from "./registry.ts";
import { TcpStream, type StreamLimits, type StreamOutput } from "./tcp-stream.ts";

/** What all hosts of one pipeline share. */
export interface HostEnv {
  readonly counters: Counters;
  readonly registry: Registry;
  readonly streamLimits: StreamLimits;
  readonly framerLimits: FramerLimits;
  /** Pipeline-wide byte budgets: out-of-order segments; framer assembly and probe bytes; what sessions keep. */
  readonly oooBudget: ByteBudget;
  readonly assemblyBudget: ByteBudget;
  readonly sessionBudget: ByteBudget;
  /** Hosts whose session wants onTick. */
  readonly tickers: Set<SessionHost>;
  emit(e: EventBase): void;
}

const UNDECIDED = 0;
const ATTACHED = 1;
const NONE = 2;

const OP_PDU = 0;
const OP_GAP = 1;
const OP_TICK = 2;
const OP_END = 3;
const OP_PROBE = 4;
const OP_CREATE = 5;

/** Longest exception message kept in an internal-error weird event. */
const MAX_ERROR_DETAIL = 300;

export class SessionHost implements SessionContext, StreamOutput, FramerOutput, ProbeRunner {
  readonly flow: FlowInfo;
  frame = 0;
  ts = 0;
  dissector: Dissector | undefined = undefined;
  private session: ProtocolSession | undefined = undefined;
  private state = UNDECIDED;
  private readonly portDissector: Dissector | undefined;
  private probe: ProbeState | undefined = undefined;
  private readonly streams: [TcpStream, TcpStream] | undefined;
  private framers: [Framer, Framer] | undefined = undefined;
  private readonly rec: Flow<SessionHost>;
  private readonly env: HostEnv;
  /** Bytes the session holds from env.sessionBudget. */
  private reserved = 0;

  constructor(rec: Flow<SessionHost>, env: HostEnv) {
    this.rec = rec;
    this.env = env;
    this.flow = rec.info;
    const info = rec.info;
    this.portDissector = env.registry.byPort(info.transport, info.serverPort);
    if (this.portDissector === undefined && env.registry.candidates(info.transport).length === 0) this.state = NONE;
    this.streams =
      info.transport === "tcp" && this.state !== NONE
        ? [
            new TcpStream(0, this, env.counters, env.streamLimits, env.oooBudget),
            new TcpStream(1, this, env.counters, env.streamLimits, env.oooBudget),
          ]
        : undefined;
  }

  /** The protocol session is attached and alive. */
  get attached(): boolean {
    return this.state === ATTACHED;
  }

  tcpPacket(dir: Dir, pkt: Packet): void {
    const streams = this.streams;
    if (this.state === NONE || streams === undefined) return;
    const flags = pkt.tcpFlags;
    const s = streams[dir];
    if ((flags & TCP_ACK) !== 0) streams[dir === 0 ? 1 : 0].ackedBy(pkt.ack);
    let seq = pkt.seq;
    if ((flags & TCP_SYN) !== 0) {
      s.syn(seq);
      seq = (seq + 1) >>> 0;
    }
    const payload = pkt.payload;
    if (payload.length > 0) s.push(seq, payload);
    if ((flags & TCP_FIN) !== 0) s.fin(seq, payload.length);
  }

  udpPacket(dir: Dir, pkt: Packet): void {
    if (this.state === ATTACHED) this.call(OP_PDU, this.dissector as Dissector, dir, pkt.payload);
    else if (this.state === UNDECIDED) this.classify(dir, pkt.payload);
  }

  tick(): void {
    if (this.state === ATTACHED) this.call(OP_TICK, this.dissector as Dissector, 0, undefined);
  }

  /** The flow ends: missing bytes become gaps, then the session flushes. */
  end(): void {
    const streams = this.streams;
    if (this.state === ATTACHED && streams !== undefined) {
      streams[0].flush();
      streams[1].flush();
    }
    if (this.state === ATTACHED) {
      const d = this.dissector as Dissector;
      if (this.framers !== undefined && this.framers[0].pending + this.framers[1].pending > 0) {
        this.env.counters.add(`framing.${d.name}.incomplete-at-end`);
      }
      this.call(OP_END, d, 0, undefined);
    }
    this.releaseAll();
    this.state = NONE;
    this.session = undefined;
    this.env.tickers.delete(this);
  }

  /** Gives buffered bytes and everything the session reserved back to the pipeline-wide budgets. */
  private releaseAll(): void {
    if (this.reserved > 0) {
      this.env.sessionBudget.release(this.reserved);
      this.reserved = 0;
    }
    if (this.streams !== undefined) {
      this.streams[0].discard();
      this.streams[1].discard();
    }
    if (this.framers !== undefined) {
      this.framers[0].dropPdu();
      this.framers[1].dropPdu();
    }
    this.probe?.release();
    this.probe = undefined;
  }

  // --- StreamOutput ---

  streamData(dir: Dir, data: Uint8Array): void {
    if (this.state === ATTACHED) {
      const framers = this.framers;
      if (framers !== undefined) framers[dir].push(data);
      else this.call(OP_PDU, this.dissector as Dissector, dir, data);
    } else if (this.state === UNDECIDED) {
      this.classify(dir, data);
    }
  }

  streamGap(dir: Dir, bytes: number): void {
    const info = this.flow;
    const ev: GapEvent = {
      type: "flow.gap",
      ts: this.ts,
      frame: this.frame,
      flow: info.id,
      src: dir === 0 ? info.client : info.server,
      sport: dir === 0 ? info.clientPort : info.serverPort,
      dst: dir === 0 ? info.server : info.client,
      dport: dir === 0 ? info.serverPort : info.clientPort,
      dir,
      bytes,
    };
    this.env.emit(ev);
    if (this.state === UNDECIDED && this.portDissector !== undefined) this.attach(this.portDissector, false);
    if (this.state !== ATTACHED) return;
    if (this.framers !== undefined) this.framers[dir].reset();
    this.call(OP_GAP, this.dissector as Dissector, dir, undefined, bytes);
  }

  // --- FramerOutput ---

  framedPdu(dir: Dir, pdu: Uint8Array): void {
    if (this.state === ATTACHED) this.call(OP_PDU, this.dissector as Dissector, dir, pdu);
  }

  framingViolation(dir: Dir, name: string, detail: string): void {
    this.weird(name, detail, dir);
  }

  framingDetached(dir: Dir): void {
    const d = this.dissector as Dissector;
    this.env.counters.add(`framing.${d.name}.detached`);
    this.weird("framing-detached", `too many framing violations in direction ${dir}; dissector detached`, dir);
    this.call(OP_END, d, dir, undefined);
    this.detach();
  }

  // --- ProbeRunner ---

  runProbe(d: Dissector, data: Uint8Array, dir: Dir): ProbeVerdict {
    return (this.call(OP_PROBE, d, dir, data) as ProbeVerdict | undefined) ?? "no";
  }

  // --- SessionContext ---

  emit(event: EventBase): void {
    this.env.emit(event);
  }

  count(name: string, n = 1): void {
    this.env.counters.add(name, n);
  }

  reserve(bytes: number): boolean {
    if (bytes <= 0) return true;
    if (this.state !== ATTACHED || !this.env.sessionBudget.take(bytes)) {
      this.env.counters.add("budget.session.refused");
      return false;
    }
    this.reserved += bytes;
    return true;
  }

  /** Never gives back more than this session holds (a session's estimate may drift; the budget must not). */
  release(bytes: number): void {
    const n = bytes < this.reserved ? bytes : this.reserved;
    if (n <= 0) return;
    this.reserved -= n;
    this.env.sessionBudget.release(n);
  }

  /** A weird event for this flow; src/dst follow the direction when given (dir 1: the server is the source). */
  weird(name: string, detail: string, dir?: Dir): void {
    this.weirdAs(this.dissector?.name ?? this.flow.transport, name, detail, dir);
  }

  private weirdAs(proto: string, name: string, detail: string, dir?: Dir): void {
    this.env.counters.add(`weird.${proto}.${name}`);
    const info = this.flow;
    const rev = dir === 1;
    const ev: WeirdEvent = {
      type: "weird",
      ts: this.ts,
      frame: this.frame,
      flow: info.id,
      src: rev ? info.server : info.client,
      sport: rev ? info.serverPort : info.clientPort,
      dst: rev ? info.client : info.server,
      dport: rev ? info.clientPort : info.serverPort,
      proto,
      name,
      detail,
    };
    this.env.emit(ev);
  }

  // --- selection ---

  private classify(dir: Dir, data: Uint8Array): void {
    const pd = this.portDissector;
    if (pd !== undefined) {
      this.attach(pd, false);
      this.streamDataAttached(dir, data);
      return;
    }
    const transport = this.flow.transport;
    this.probe ??= new ProbeState(this.env.registry.candidates(transport), transport === "tcp", this.env.assemblyBudget);
    const probe = this.probe;
    const chosen = probe.feed(dir, data, this);
    if (chosen === undefined) return;
    this.probe = undefined;
    if (chosen === null) {
      this.env.counters.add(probe.exhausted ? "registry.probe.budget-exhausted" : `registry.unidentified.${transport}`);
      probe.release();
      this.releaseAll();
      this.state = NONE;
      return;
    }
    this.env.counters.add(`registry.probed.${chosen.name}`);
    this.attach(chosen, true);
    for (const c of probe.chunks) {
      if (this.state !== ATTACHED) break;
      this.streamDataAttached(c.dir, c.data);
    }
    probe.release();
  }

  private streamDataAttached(dir: Dir, data: Uint8Array): void {
    if (this.state !== ATTACHED) return;
    if (this.framers !== undefined) this.framers[dir].push(data);
    else this.call(OP_PDU, this.dissector as Dissector, dir, data);
  }

  private attach(d: Dissector, probed: boolean): void {
    this.dissector = d;
    this.rec.service = d.name;
    const session = this.call(OP_CREATE, d, 0, undefined) as ProtocolSession | undefined;
    if (session === undefined) {
      this.state = NONE;
      return;
    }
    this.session = session;
    this.state = ATTACHED;
    this.env.counters.add(`session.created.${d.name}`);
    if (d.framing !== undefined && this.flow.transport === "tcp") {
      // Mid-stream flows found by port may start inside a PDU; probed flows start where the probe said yes.
      const resync = this.rec.midstream && !probed;
      const fl = this.env.framerLimits;
      const ab = this.env.assemblyBudget;
      this.framers = [new Framer(d.framing, 0, this, resync, fl, ab), new Framer(d.framing, 1, this, resync, fl, ab)];
    }
    if (session.onTick !== undefined) this.env.tickers.add(this);
  }

  private detach(): void {
    this.releaseAll();
    this.state = NONE;
    this.session = undefined;
    this.framers = undefined;
    this.env.tickers.delete(this);
  }

  /** The session boundary: the only place dissector code is called, and the only try/catch around it. */
  private call(op: number, d: Dissector, dir: Dir, data: Uint8Array | undefined, n = 0): ProbeVerdict | ProtocolSession | undefined {
    try {
      switch (op) {
        case OP_PDU:
          this.session?.onPdu(dir, data as Uint8Array, this);
          return undefined;
        case OP_GAP:
          this.session?.onGap?.(dir, n, this);
          return undefined;
        case OP_TICK:
          this.session?.onTick?.(this);
          return undefined;
        case OP_END:
          this.session?.onEnd(this);
          return undefined;
        case OP_PROBE:
          return d.probe(data as Uint8Array, dir);
        case OP_CREATE:
          return d.createSession(this.flow);
      }
    } catch (err) {
      this.env.counters.add(`internal.${d.name}.exception`);
      const msg = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.weirdAs(d.name, "internal-error", msg.slice(0, MAX_ERROR_DETAIL));
      if (op !== OP_PROBE) this.detach();
    }
    return undefined;
  }
}
