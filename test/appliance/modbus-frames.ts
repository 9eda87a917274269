// Synthetic Modbus/TCP plant traffic as pcap frames (offline only, plant addresses allowed): `pairs` client→server
// connections (distinct hosts), each a handshake then `polls` FC3 request/response pairs every `periodS` seconds of
// packet time, interleaved in time order. Used by the disk-full test and the sizing measurement.
import type { Frame } from "../../src/core/types.ts";
import { createWriteStream } from "node:fs";
import { concat, ethIpv4Tcp, u16, u32 } from "../fixtures/capture-builder.ts";

const SYN = 0x02;
const ACK = 0x10;
const PSH_ACK = 0x18;

export interface PlantSpec {
  pairs: number;
  polls: number;
  periodS: number;
  t0?: number;
  /** Function code of the requests (3 while learning; another one to provoke an anomaly). */
  fc?: number;
  /** Client port of the first pair (a second phase on the same hosts needs new connections). */
  sport0?: number;
}

/** Host address number n (1-based) inside 10.0.0.0/8, as text. */
export function hostIp(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

function request(tid: number, fc: number): Uint8Array {
  return concat(u16(tid), u16(0), u16(6), Uint8Array.of(1, fc), u16(100), u16(2));
}

function response(tid: number, fc: number): Uint8Array {
  if (fc === 3) return concat(u16(tid), u16(0), u16(7), Uint8Array.of(1, 3, 4), u16(10), u16(11));
  return concat(u16(tid), u16(0), u16(6), Uint8Array.of(1, fc), u16(100), u16(2));
}

/** Frames in time order; the index is set by position. */
export function plantFrames(spec: PlantSpec): Frame[] {
  const t0 = spec.t0 ?? 1_700_000_000;
  const fc = spec.fc ?? 3;
  const raw: { ts: number; data: Uint8Array }[] = [];
  for (let p = 0; p < spec.pairs; p++) {
    const client = hostIp(2 * p + 1);
    const server = hostIp(2 * p + 2);
    const sport = (spec.sport0 ?? 20000) + (p % 20000);
    const c2s = { src: client, dst: server, sport, dport: 502 };
    const s2c = { src: server, dst: client, sport: 502, dport: sport };
    // Spread the connections over the first period so windows fill evenly.
    let t = t0 + (p / spec.pairs) * spec.periodS;
    let cs = 1000;
    let ss = 5000;
    raw.push({ ts: t, data: ethIpv4Tcp({ ...c2s, flags: SYN, seq: cs - 1 }) });
    raw.push({ ts: t + 0.0001, data: ethIpv4Tcp({ ...s2c, flags: SYN | ACK, seq: ss - 1, ack: cs }) });
    raw.push({ ts: t + 0.0002, data: ethIpv4Tcp({ ...c2s, flags: ACK, seq: cs, ack: ss }) });
    for (let i = 0; i < spec.polls; i++) {
      t += i === 0 ? 0.001 : spec.periodS;
      const req = request(i & 0xffff, fc);
      const res = response(i & 0xffff, fc);
      raw.push({ ts: t, data: ethIpv4Tcp({ ...c2s, flags: PSH_ACK, seq: cs, ack: ss, payload: req }) });
      cs += req.length;
      raw.push({ ts: t + 0.002, data: ethIpv4Tcp({ ...s2c, flags: PSH_ACK, seq: ss, ack: cs, payload: res }) });
      ss += res.length;
    }
  }
  raw.sort((a, b) => a.ts - b.ts);
  return raw.map((r, i) => ({ index: i + 1, ts: r.ts, linkType: 1, iface: 0, data: r.data, origLen: r.data.length }));
}

function pcapHeader(): Uint8Array {
  const le = (v: number, n: 2 | 4) => (n === 2 ? u16(v).reverse() : u32(v).reverse());
  return concat(le(0xa1b2c3d4, 4), le(2, 2), le(4, 2), le(0, 4), le(0, 4), le(262144, 4), le(1, 4));
}

function record(ts: number, data: Uint8Array): Uint8Array {
  const sec = Math.floor(ts);
  const le = (v: number) => u32(v >>> 0).reverse();
  return concat(le(sec), le(Math.round((ts - sec) * 1e6)), le(data.length), le(data.length), data);
}

/** Streams frames to a classic little-endian pcap file (large captures: no single buffer of everything). */
export async function writeFrames(file: string, frames: Iterable<{ ts: number; data: Uint8Array }>): Promise<number> {
  const out = createWriteStream(file);
  out.write(pcapHeader());
  let n = 0;
  let batch: Uint8Array[] = [];
  for (const f of frames) {
    batch.push(record(f.ts, f.data));
    n++;
    if (batch.length >= 10_000) {
      if (!out.write(concat(...batch))) await new Promise<void>((r) => out.once("drain", () => r()));
      batch = [];
    }
  }
  out.write(concat(...batch));
  await new Promise<void>((r) => out.end(() => r()));
  return n;
}
