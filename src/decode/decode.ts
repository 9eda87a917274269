// Frame → Packet: the link layer (LINKTYPE_ETHERNET 1 with 802.1Q/802.1ad/QinQ tags, LINKTYPE_LINUX_SLL 113 and SLL2 276,
// LINKTYPE_RAW 101 / DLT_RAW 12 and 14, LINKTYPE_IPV4 228 / IPV6 229, LINKTYPE_NULL 0 and LOOP 108), then ip.ts.
// Link-type numbers: https://www.tcpdump.org/linktypes.html. One Packet (from createPacket) is reused for every frame:
// fields reset, byte views into frame.data built lazily (packet.ts), so a packet is valid only as long as its frame's
// data, i.e. during the reader's callback: consumers copy what they keep.
import type { Counters } from "../core/counters.ts";
import type { Frame, Packet } from "../core/types.ts";
import { decodeArp, decodeIpv4, decodeIpv6, drop } from "./ip.ts";
import { DecodedPacket } from "./packet.ts";

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
  pkt.reset(frame.data, frame.index, frame.ts);
  const d = frame.data;
  const end = d.length;
  switch (frame.linkType) {
    case 1: {
      if (end < 14) return drop(counters, "decode.ethernet.truncated");
      pkt.dstMacOff = 0;
      pkt.srcMacOff = 6;
      return decodeEthertype(d, 14, end, (d[12]! << 8) | d[13]!, pkt, counters);
    }
    case 113: {
      // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (end < 16) return drop(counters, "decode.sll.truncated");
      if (((d[2]! << 8) | d[3]!) === 1 && ((d[4]! << 8) | d[5]!) === 6) pkt.srcMacOff = 6;
      return decodeEthertype(d, 16, end, (d[14]! << 8) | d[15]!, pkt, counters);
    }
    case 276: {
      // Linux cooked v2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
      if (end < 20) return drop(counters, "decode.sll2.truncated");
      if (((d[8]! << 8) | d[9]!) === 1 && d[11] === 6) pkt.srcMacOff = 12;
      return decodeEthertype(d, 20, end, (d[0]! << 8) | d[1]!, pkt, counters);
    }
    case 101:
    case 12:
    case 14:
      return decodeRawIp(d, 0, end, pkt, counters);
    case 228:
      return decodeIpv4(d, 0, end, pkt, counters);
    case 229:
      return decodeIpv6(d, 0, end, pkt, counters);
    case 0:
    case 108: {
      if (end < 4) return drop(counters, "decode.null.truncated");
      // DLT_NULL holds the AF_ value in the capturing host's byte order; DLT_LOOP always big-endian.
      let family = ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0;
      if (frame.linkType === 0 && (family & 0xffff0000) !== 0) family = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
      if (family === 2) return decodeIpv4(d, 4, end, pkt, counters);
      // AF_INET6 is 24 on NetBSD/OpenBSD, 28 on FreeBSD, 30 on macOS.
      if (family === 24 || family === 28 || family === 30) return decodeIpv6(d, 4, end, pkt, counters);
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
