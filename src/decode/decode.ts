// Frame → Packet: the link layer (LINKTYPE_ETHERNET 1 with 802.1Q/802.1ad/QinQ tags, LINKTYPE_LINUX_SLL 113 and SLL2 276,
// LINKTYPE_RAW 101 / DLT_RAW 12 and 14, LINKTYPE_IPV4 228 / IPV6 229, LINKTYPE_NULL 0 and LOOP 108), then ip.ts.
// Link-type numbers: https://www.tcpdump.org/linktypes.html. One Packet (from createPacket) is reused for every frame:
// fields reset, byte views into frame.data built lazily (packet.ts), so a packet is valid only as long as its frame's
// data, i.e. during the reader's callback: consumers copy what they keep.
import type { Counters } from "../core/counters.ts";
import type { Frame, Packet } from "../core/types.ts";
import { decodeArp, decodeIpv4, decodeIpv6, drop } from "./ip.ts";
import { DecodedPacket } from "./packet.ts";
import { BufferFrame } from "../core/frame.ts";

const ETH_IPV4 = 0x0800;
const ETH_ARP = 0x0806;
const ETH_IPV6 = 0x86dd;
const ETH_VLAN = 0x8100;
const ETH_QINQ = 0x88a8;
/** Pre-standard QinQ S-tag TPIDs still seen on older switches. */
const ETH_QINQ_OLD1 = 0x9100;
const ETH_QINQ_OLD2 = 0x9200;
/** Deepest tag stack we walk; more tags than this is not a real frame. */
export const MAX_VLAN_TAGS = 4;

/** The Packet to pass to decodeFrame for every frame (one per pipeline). */
export function createPacket(): Packet {
  return new DecodedPacket();
}

/** Used only when a caller passes a Packet not made by createPacket: decoded here, then copied field by field. */
const scratch = new DecodedPacket();

/**
 * Decodes `frame` into `pkt` (reset first). Returns true when the packet carries IP (any protocol) or ARP worth passing
 * on; false for frames that are dropped (truncated/malformed, counted) or carry neither (unknown ethertype, counted).
 * Never throws on any input.
 */
export function decodeFrame(frame: Frame, pkt: Packet, counters: Counters): boolean {
  if (pkt instanceof DecodedPacket) return decodeInto(frame, pkt, counters);
  const ok = decodeInto(frame, scratch, counters);
  copyPacket(scratch, pkt);
  return ok;
}

function decodeInto(frame: Frame, pkt: DecodedPacket, counters: Counters): boolean {
  // The reader's frames are a byte range of its chunk (no view of their own): decode in place, offsets relative to `b`.
  let d: Uint8Array;
  let b: number;
  let end: number;
  if (frame instanceof BufferFrame) {
    d = frame.buf;
    b = frame.start;
    end = frame.end;
  } else {
    d = frame.data;
    b = 0;
    end = d.length;
  }
  pkt.reset(d, frame.index, frame.ts);
  const len = end - b;
  switch (frame.linkType) {
    case 1: {
      if (len < 14) return drop(counters, "decode.ethernet.truncated");
      pkt.dstMacOff = b;
      pkt.srcMacOff = b + 6;
      return decodeEthertype(d, b + 14, end, (d[b + 12]! << 8) | d[b + 13]!, pkt, counters);
    }
    case 113: {
      // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (len < 16) return drop(counters, "decode.sll.truncated");
      if (((d[b + 2]! << 8) | d[b + 3]!) === 1 && ((d[b + 4]! << 8) | d[b + 5]!) === 6) pkt.srcMacOff = b + 6;
      return decodeEthertype(d, b + 16, end, (d[b + 14]! << 8) | d[b + 15]!, pkt, counters);
    }
    case 276: {
      // Linux cooked v2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
      if (len < 20) return drop(counters, "decode.sll2.truncated");
      if (((d[b + 8]! << 8) | d[b + 9]!) === 1 && d[b + 11] === 6) pkt.srcMacOff = b + 12;
      return decodeEthertype(d, b + 20, end, (d[b]! << 8) | d[b + 1]!, pkt, counters);
    }
    case 101:
    case 12:
    case 14:
      return decodeRawIp(d, b, end, pkt, counters);
    case 228:
      return decodeIpv4(d, b, end, pkt, counters);
    case 229:
      return decodeIpv6(d, b, end, pkt, counters);
    case 0:
    case 108: {
      if (len < 4) return drop(counters, "decode.null.truncated");
      // DLT_NULL holds the AF_ value in the capturing host's byte order; DLT_LOOP always big-endian.
      let family = ((d[b]! << 24) | (d[b + 1]! << 16) | (d[b + 2]! << 8) | d[b + 3]!) >>> 0;
      if (frame.linkType === 0 && (family & 0xffff0000) !== 0) family = (d[b]! | (d[b + 1]! << 8) | (d[b + 2]! << 16) | (d[b + 3]! << 24)) >>> 0;
      if (family === 2) return decodeIpv4(d, b + 4, end, pkt, counters);
      // AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      if (family === 24 || family === 28 || family === 30) return decodeIpv6(d, b + 4, end, pkt, counters);
      return drop(counters, "decode.null.unknown-family");
    }
    default:
      return drop(counters, "decode.linktype.unknown");
  }
}

function decodeEthertype(d: Uint8Array, off: number, end: number, type: number, pkt: DecodedPacket, counters: Counters): boolean {
  let tags = 0;
  while (type === ETH_VLAN || type === ETH_QINQ || type === ETH_QINQ_OLD1 || type === ETH_QINQ_OLD2) {
    if (end - off < 4) return drop(counters, "decode.vlan.truncated");
    if (++tags > MAX_VLAN_TAGS) return drop(counters, "decode.vlan.too-many-tags");
    if (pkt.vlan < 0) pkt.vlan = ((d[off]! << 8) | d[off + 1]!) & 0x0fff;
    type = (d[off + 2]! << 8) | d[off + 3]!;
    off += 4;
  }
  if (type === ETH_IPV4) return decodeIpv4(d, off, end, pkt, counters);
  if (type === ETH_IPV6) return decodeIpv6(d, off, end, pkt, counters);
  if (type === ETH_ARP) return decodeArp(d, off, end, pkt, counters);
  return drop(counters, "decode.ethertype.unknown");
}

function decodeRawIp(d: Uint8Array, off: number, end: number, pkt: DecodedPacket, counters: Counters): boolean {
  if (end - off < 1) return drop(counters, "decode.raw.truncated");
  const v = d[off]! >> 4;
  if (v === 4) return decodeIpv4(d, off, end, pkt, counters);
  if (v === 6) return decodeIpv6(d, off, end, pkt, counters);
  return drop(counters, "decode.raw.unknown-version");
}

function copyPacket(from: DecodedPacket, to: Packet): void {
  to.frame = from.frame;
  to.ts = from.ts;
  to.srcMac = from.srcMac;
  to.dstMac = from.dstMac;
  to.vlan = from.vlan;
  to.ipVersion = from.ipVersion;
  to.srcIp = from.srcIp;
  to.dstIp = from.dstIp;
  to.ttl = from.ttl;
  to.proto = from.proto;
  to.fragment = from.fragment;
  to.srcPort = from.srcPort;
  to.dstPort = from.dstPort;
  to.seq = from.seq;
  to.ack = from.ack;
  to.tcpFlags = from.tcpFlags;
  to.window = from.window;
  to.payload = from.payload;
  to.ipLen = from.ipLen;
  to.arp = from.arp;
}
