// Scenario generator, output side: Ethernet/IPv4 checksums recomputed after addresses change (RFC 791 header checksum,
// RFC 9293 §3.1 / RFC 768 pseudo-header checksums) and a classic pcap writer (microsecond, little-endian, LINKTYPE
// ETHERNET) that merges live and synthesised records by time.
import { writeFileSync } from "node:fs";

export interface OutRecord {
  /** Scenario epoch seconds. */
  readonly ts: number;
  readonly data: Uint8Array;
}

function sum16(b: Uint8Array, from: number, to: number, init = 0): number {
  let s = init;
  for (let i = from; i + 1 < to; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if ((to - from) % 2 === 1) s += b[to - 1]! << 8;
  return s;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** Recomputes the IPv4 header checksum and the TCP/UDP checksum of an Ethernet frame in place. */
export function fixChecksums(frame: Uint8Array): void {
  if (frame.length < 34 || frame[12] !== 0x08 || frame[13] !== 0x00) return;
  const ip = 14;
  const ihl = (frame[ip]! & 0x0f) * 4;
  const total = (frame[ip + 2]! << 8) | frame[ip + 3]!;
  const end = Math.min(frame.length, ip + total);
  frame[ip + 10] = 0;
  frame[ip + 11] = 0;
  const hc = fold(sum16(frame, ip, ip + ihl));
  frame[ip + 10] = hc >>> 8;
  frame[ip + 11] = hc & 0xff;
  const proto = frame[ip + 9];
  const l4 = ip + ihl;
  const at = proto === 6 ? l4 + 16 : proto === 17 ? l4 + 6 : -1;
  if (at < 0 || at + 2 > end) return;
  frame[at] = 0;
  frame[at + 1] = 0;
  const len = end - l4;
  let s = sum16(frame, ip + 12, ip + 20) + proto! + len;
  s = sum16(frame, l4, end, s);
  let c = fold(s);
  if (proto === 17 && c === 0) c = 0xffff;
  frame[at] = c >>> 8;
  frame[at + 1] = c & 0xff;
}

/** Writes records sorted by time (stable) as a classic pcap file; returns the number of records. */
export function writePcapFile(path: string, records: OutRecord[]): number {
  const sorted = records.map((r, i) => ({ r, i })).sort((a, b) => a.r.ts - b.r.ts || a.i - b.i);
  const total = 24 + sorted.reduce((n, { r }) => n + 16 + r.data.length, 0);
  const out = Buffer.alloc(total);
  out.writeUInt32LE(0xa1b2c3d4, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(1, 20);
  let o = 24;
  for (const { r } of sorted) {
    let sec = Math.floor(r.ts);
    let usec = Math.round((r.ts - sec) * 1e6);
    if (usec >= 1e6) (sec += 1), (usec -= 1e6);
    out.writeUInt32LE(sec, o);
    out.writeUInt32LE(usec, o + 4);
    out.writeUInt32LE(r.data.length, o + 8);
    out.writeUInt32LE(r.data.length, o + 12);
    out.set(r.data, o + 16);
    o += 16 + r.data.length;
  }
  writeFileSync(path, out);
  return sorted.length;
}
