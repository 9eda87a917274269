// Frame → Packet: the link layer (LINKTYPE_ETHERNET 1 with 802.1Q/802.1ad/QinQ tags, LINKTYPE_LINUX_SLL 113 and SLL2 276,
// LINKTYPE_RAW 101 / DLT_RAW 12 and 14, LINKTYPE_IPV4 228 / IPV6 229, LINKTYPE_NULL 0 and LOOP 108), then ip.ts.
// Link-type numbers: https://www.tcpdump.org/linktypes.html. One Packet is reused for every frame (fields reset, views
// into frame.data), so a packet is valid only as long as its frame's data: consumers copy what they keep.
import type { Counters } from "../core/counters.ts";
import type { Frame, Packet } from "../core/types.ts";
import { decodeArp, decodeIpv4, decodeIpv6, drop } from "./ip.ts";

const EMPTY = new Uint8Array(0);

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

export function createPacket(): Packet {
  return {
    frame: 0,
    ts: 0,
    srcMac: undefined,
    dstMac: undefined,
    vlan: -1,
    ipVersion: 0,
    srcIp: EMPTY,
    dstIp: EMPTY,
    ttl: 0,
    proto: 0,
    fragment: false,
    srcPort: 0,
    dstPort: 0,
    seq: 0,
    ack: 0,
    tcpFlags: 0,
    window: 0,
    payload: EMPTY,
    ipLen: 0,
    arp: undefined,
  };
}

/**
 * Decodes `frame` into `pkt` (reset first). Returns true when the packet carries IP (any protocol) or ARP worth passing
 * on; false for frames that are dropped (truncated/malformed, counted) or carry neither (unknown ethertype, counted).
 * Never throws on any input.
 */
export function decodeFrame(frame: Frame, pkt: Packet, counters: Counters): boolean {
  pkt.frame = frame.index;
  pkt.ts = frame.ts;
  pkt.srcMac = undefined;
  pkt.dstMac = undefined;
  pkt.vlan = -1;
  pkt.ipVersion = 0;
  pkt.srcIp = EMPTY;
  pkt.dstIp = EMPTY;
  pkt.ttl = 0;
  pkt.proto = 0;
  pkt.fragment = false;
  pkt.srcPort = 0;
  pkt.dstPort = 0;
  pkt.seq = 0;
  pkt.ack = 0;
  pkt.tcpFlags = 0;
  pkt.window = 0;
  pkt.payload = EMPTY;
  pkt.ipLen = 0;
  pkt.arp = undefined;
  const d = frame.data;
  const end = d.length;
  switch (frame.linkType) {
    case 1: {
      if (end < 14) return drop(counters, "decode.ethernet.truncated");
      pkt.dstMac = d.subarray(0, 6);
      pkt.srcMac = d.subarray(6, 12);
      return decodeEthertype(d, 14, end, (d[12]! << 8) | d[13]!, pkt, counters);
    }
    case 113: {
      // Linux cooked v1: packet type, ARPHRD type, address length, 8 address bytes, protocol.
      if (end < 16) return drop(counters, "decode.sll.truncated");
      if (((d[2]! << 8) | d[3]!) === 1 && ((d[4]! << 8) | d[5]!) === 6) pkt.srcMac = d.subarray(6, 12);
      return decodeEthertype(d, 16, end, (d[14]! << 8) | d[15]!, pkt, counters);
    }
    case 276: {
      // Linux cooked v2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes.
      if (end < 20) return drop(counters, "decode.sll2.truncated");
      if (((d[8]! << 8) | d[9]!) === 1 && d[11] === 6) pkt.srcMac = d.subarray(12, 18);
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

function decodeEthertype(d: Uint8Array, off: number, end: number, type: number, pkt: Packet, counters: Counters): boolean {
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

function decodeRawIp(d: Uint8Array, off: number, end: number, pkt: Packet, counters: Counters): boolean {
  if (end - off < 1) return drop(counters, "decode.raw.truncated");
  const v = d[off]! >> 4;
  if (v === 4) return decodeIpv4(d, off, end, pkt, counters);
  if (v === 6) return decodeIpv6(d, off, end, pkt, counters);
  return drop(counters, "decode.raw.unknown-version");
}
