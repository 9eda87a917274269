// Test fixtures for the flow engine: synthetic decoded packets and a toy dissector ("TY" + u16 total length framing)
// that records what its session receives. Used by the src/flow and pipeline tests only.

import type { Dir, Dissector, EventBase, FlowInfo, Framing, Packet, ProtocolSession, SessionContext } from "../core/types.ts";
import { createPacket } from "../decode/index.ts";

export interface PacketSpec {
  src: string;
  dst: string;
  sport: number;
  dport: number;
  ts: number;
  frame?: number;
  proto?: 6 | 17;
  seq?: number;
  ack?: number;
  flags?: number;
  payload?: Uint8Array | string;
}

function ipBytes(s: string): Uint8Array {
  return Uint8Array.from(s.split(".").map(Number));
}

let frameNo = 0;

/** A fresh decoded IPv4 packet (a new object each time: tests may keep them). */
export function packet(p: PacketSpec): Packet {
  const pkt = createPacket();
  const payload = typeof p.payload === "string" ? new TextEncoder().encode(p.payload) : (p.payload ?? new Uint8Array(0));
  pkt.frame = p.frame ?? ++frameNo;
  pkt.ts = p.ts;
  pkt.ipVersion = 4;
  pkt.srcIp = ipBytes(p.src);
  pkt.dstIp = ipBytes(p.dst);
  pkt.srcMac = Uint8Array.of(2, 0, 0, 0, 0, 1);
  pkt.dstMac = Uint8Array.of(2, 0, 0, 0, 0, 2);
  pkt.vlan = -1;
  pkt.proto = p.proto ?? 6;
  pkt.srcPort = p.sport;
  pkt.dstPort = p.dport;
  pkt.seq = (p.seq ?? 0) >>> 0;
  pkt.ack = (p.ack ?? 0) >>> 0;
  pkt.tcpFlags = p.flags ?? (pkt.proto === 6 ? 0x18 : 0);
  pkt.payload = payload;
  pkt.ipLen = 20 + (pkt.proto === 6 ? 20 : 8) + payload.length;
  pkt.arp = undefined;
  pkt.fragment = false;
  return pkt;
}

/** Toy framing: "TY", u16 big-endian total length (≥ 4, ≤ 1000). */
export const toyFraming: Framing = {
  headerLen: 4,
  maxPdu: 1000,
  pduLength(h: Uint8Array): number {
    if (h[0] !== 0x54 || h[1] !== 0x59) return -1;
    return ((h[2] as number) << 8) | (h[3] as number);
  },
  resync(data: Uint8Array): number {
    for (let i = 0; i + 1 < data.length; i++) if (data[i] === 0x54 && data[i + 1] === 0x59) return i;
    return -1;
  },
};

/** A toy PDU: "TY" + length + body text. */
export function toyPdu(body: string): Uint8Array {
  const b = new TextEncoder().encode(body);
  const out = new Uint8Array(4 + b.length);
  out.set([0x54, 0x59, (out.length >> 8) & 0xff, out.length & 0xff]);
  out.set(b, 4);
  return out;
}

export interface ToyLog {
  pdus: { flow: string; dir: Dir; body: string; frame: number }[];
  gaps: { flow: string; dir: Dir; bytes: number }[];
  ticks: number;
  ends: string[];
  /** Session-budget reservations refused (ToyOptions.reserve). */
  refused: number;
}

export interface ToyOptions {
  name?: string;
  ports?: number[];
  /** Throw from onPdu when the body equals this text. */
  throwOn?: string;
  tick?: boolean;
  /** Reserve this many bytes of the session budget per PDU, never released by the session (refusals are logged). */
  reserve?: number;
}

export interface ToyEvent extends EventBase {
  readonly type: "toy";
  readonly body: string;
}

export function toyDissector(log: ToyLog, o: ToyOptions = {}): Dissector {
  const name = o.name ?? "toy";
  return {
    name,
    transport: "tcp",
    ports: o.ports ?? [7000],
    probe(data: Uint8Array): "yes" | "no" | "more" {
      if (data.length < 2) return "more";
      return data[0] === 0x54 && data[1] === 0x59 ? "yes" : "no";
    },
    framing: toyFraming,
    createSession(flow: FlowInfo): ProtocolSession {
      const s: ProtocolSession = {
        onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
          const body = new TextDecoder().decode(pdu.subarray(4));
          if (o.reserve !== undefined && !ctx.reserve(o.reserve)) log.refused++;
          if (o.throwOn !== undefined && body === o.throwOn) throw new Error(`toy failure on ${body}`);
          log.pdus.push({ flow: flow.id, dir, body, frame: ctx.frame });
          const ev: ToyEvent = {
            type: "toy",
            ts: ctx.ts,
            frame: ctx.frame,
            flow: flow.id,
            src: flow.client,
            sport: flow.clientPort,
            dst: flow.server,
            dport: flow.serverPort,
            body,
          };
          ctx.emit(ev);
        },
        onGap(dir: Dir, bytes: number): void {
          log.gaps.push({ flow: flow.id, dir, bytes });
        },
        onEnd(): void {
          log.ends.push(flow.id);
        },
      };
      if (o.tick === true) s.onTick = () => void log.ticks++;
      return s;
    },
  };
}

export function newToyLog(): ToyLog {
  return { pdus: [], gaps: [], ticks: 0, ends: [], refused: 0 };
}
