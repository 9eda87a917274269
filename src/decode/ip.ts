// Network and transport layers: IPv4 (RFC 791; fragments per §2.3), IPv6 (RFC 8200 §4 extension headers: hop-by-hop,
// routing, fragment, destination options; AH per RFC 4302 §2.2), TCP (RFC 9293 §3.1), UDP (RFC 768), ICMP/ICMPv6 (payload
// only) and ARP (RFC 826, Ethernet/IPv4). Every function fills the reused DecodedPacket in place with offsets (views are built lazily, no copy)
// and returns false when the packet is dropped (truncated or malformed header, counted as decode.<layer>.*).
import type { Counters } from "../core/counters.ts";
import type { DecodedPacket } from "./packet.ts";

const IPPROTO_HOPOPTS = 0;
const IPPROTO_ROUTING = 43;
const IPPROTO_FRAGMENT = 44;
const IPPROTO_AH = 51;
const IPPROTO_DSTOPTS = 60;
const TCP = 6;
const UDP = 17;

export function decodeIpv4(d: Uint8Array, off: number, end: number, pkt: DecodedPacket, counters: Counters): boolean {
  if (end - off < 20) return drop(counters, "decode.ipv4.truncated");
  const vihl = d[off]!;
  const ihl = (vihl & 0x0f) * 4;
  if (vihl >> 4 !== 4 || ihl < 20) return drop(counters, "decode.ipv4.bad-header");
  if (end - off < ihl) return drop(counters, "decode.ipv4.truncated");
  let total = (d[off + 2]! << 8) | d[off + 3]!;
  // Total length 0 is what TCP segmentation offload leaves in captures taken on the sender: use the captured length.
  if (total === 0) total = end - off;
  else if (total < ihl) return drop(counters, "decode.ipv4.bad-header");
  // Bounded by what was captured; bytes after `total` are link padding, not payload.
  const ipEnd = off + total < end ? off + total : end;
  pkt.ipVersion = 4;
  pkt.ipLen = total;
  pkt.ttl = d[off + 8]!;
  const proto = d[off + 9]!;
  pkt.proto = proto;
  pkt.srcIpOff = off + 12;
  pkt.dstIpOff = off + 16;
  const frag = (d[off + 6]! << 8) | d[off + 7]!;
  if ((frag & 0x3fff) !== 0) {
    pkt.fragment = true;
    counters.add("decode.ipv4.fragment");
    if ((frag & 0x1fff) !== 0) {
      // Later fragments carry no transport header: pass the bytes on, without ports.
      setPayload(pkt, off + ihl, ipEnd);
      return true;
    }
  }
  return decodeTransport(d, off + ihl, ipEnd, proto, pkt, counters);
}

export function decodeIpv6(d: Uint8Array, off: number, end: number, pkt: DecodedPacket, counters: Counters): boolean {
  if (end - off < 40) return drop(counters, "decode.ipv6.truncated");
  if (d[off]! >> 4 !== 6) return drop(counters, "decode.ipv6.bad-header");
  const plen = (d[off + 4]! << 8) | d[off + 5]!;
  // Payload length 0 means a jumbogram (RFC 2675) or TSO: use the captured length.
  const ipEnd = plen === 0 || off + 40 + plen > end ? end : off + 40 + plen;
  pkt.ipVersion = 6;
  pkt.ipLen = 40 + (plen === 0 ? end - off - 40 : plen);
  pkt.ttl = d[off + 7]!;
  pkt.srcIpOff = off + 8;
  pkt.dstIpOff = off + 24;
  let next = d[off + 6]!;
  let p = off + 40;
  while (next === IPPROTO_HOPOPTS || next === IPPROTO_ROUTING || next === IPPROTO_FRAGMENT || next === IPPROTO_DSTOPTS || next === IPPROTO_AH) {
    if (ipEnd - p < 8) return drop(counters, "decode.ipv6.truncated");
    const nh = d[p]!;
    if (next === IPPROTO_FRAGMENT) {
      pkt.fragment = true;
      counters.add("decode.ipv6.fragment");
      const fragOffset = ((d[p + 2]! << 8) | d[p + 3]!) >> 3;
      p += 8;
      if (fragOffset !== 0) {
        pkt.proto = nh;
        setPayload(pkt, p, ipEnd);
        return true;
      }
    } else {
      p += next === IPPROTO_AH ? (d[p + 1]! + 2) * 4 : (d[p + 1]! + 1) * 8;
      if (p > ipEnd) return drop(counters, "decode.ipv6.truncated");
    }
    next = nh;
  }
  pkt.proto = next;
  return decodeTransport(d, p, ipEnd, next, pkt, counters);
}

function decodeTransport(d: Uint8Array, p: number, end: number, proto: number, pkt: DecodedPacket, counters: Counters): boolean {
  if (proto === TCP) {
    if (end - p < 20) return drop(counters, "decode.tcp.truncated");
    const doff = (d[p + 12]! >> 4) * 4;
    if (doff < 20) return drop(counters, "decode.tcp.bad-header");
    if (end - p < doff) return drop(counters, "decode.tcp.truncated");
    pkt.srcPort = (d[p]! << 8) | d[p + 1]!;
    pkt.dstPort = (d[p + 2]! << 8) | d[p + 3]!;
    pkt.seq = ((d[p + 4]! << 24) | (d[p + 5]! << 16) | (d[p + 6]! << 8) | d[p + 7]!) >>> 0;
    pkt.ack = ((d[p + 8]! << 24) | (d[p + 9]! << 16) | (d[p + 10]! << 8) | d[p + 11]!) >>> 0;
    pkt.tcpFlags = d[p + 13]!;
    pkt.window = (d[p + 14]! << 8) | d[p + 15]!;
    setPayload(pkt, p + doff, end);
    return true;
  }
  if (proto === UDP) {
    if (end - p < 8) return drop(counters, "decode.udp.truncated");
    pkt.srcPort = (d[p]! << 8) | d[p + 1]!;
    pkt.dstPort = (d[p + 2]! << 8) | d[p + 3]!;
    const ulen = (d[p + 4]! << 8) | d[p + 5]!;
    // A UDP length shorter than the header is bogus (or 0 in a jumbogram): fall back to the IP bound.
    setPayload(pkt, p + 8, ulen >= 8 && p + ulen < end ? p + ulen : end);
    return true;
  }
  // ICMP, ICMPv6 and any other protocol: the body as payload, no ports.
  setPayload(pkt, p, end);
  return true;
}

function setPayload(pkt: DecodedPacket, from: number, to: number): void {
  pkt.payOff = from;
  pkt.payEnd = to;
}

export function decodeArp(d: Uint8Array, off: number, end: number, pkt: DecodedPacket, counters: Counters): boolean {
  if (end - off < 8) return drop(counters, "decode.arp.truncated");
  const hlen = d[off + 4]!;
  const plen = d[off + 5]!;
  if (hlen !== 6 || plen !== 4) return drop(counters, "decode.arp.unsupported");
  if (end - off < 28) return drop(counters, "decode.arp.truncated");
  // ARP is rare: one small object per ARP packet is fine.
  pkt.arp = {
    op: (d[off + 6]! << 8) | d[off + 7]!,
    senderMac: d.subarray(off + 8, off + 14),
    senderIp: d.subarray(off + 14, off + 18),
    targetMac: d.subarray(off + 18, off + 24),
    targetIp: d.subarray(off + 24, off + 28),
  };
  return true;
}

export function drop(counters: Counters, name: string): false {
  counters.add(name);
  return false;
}
