// The one reused Packet the decoder fills. The byte views (MACs, addresses, payload) are created lazily on first read and
// cached for the current packet: a subarray costs ~35 ns and most consumers read only some of them, so the decoder itself
// stores offsets only. Views point into frame.data and are valid only as long as it is (see capture/reader.ts).
import type { ArpInfo, Packet } from "../core/types.ts";

export const EMPTY = new Uint8Array(0);

/** Marks a view not built yet for the current packet (undefined is a legitimate value for the MACs). */
const UNSET = EMPTY.subarray(0, 0);

export class DecodedPacket implements Packet {
  frame = 0;
  ts = 0;
  vlan = -1;
  ipVersion: 0 | 4 | 6 = 0;
  ttl = 0;
  proto = 0;
  fragment = false;
  srcPort = 0;
  dstPort = 0;
  seq = 0;
  ack = 0;
  tcpFlags = 0;
  window = 0;
  ipLen = 0;
  arp: ArpInfo | undefined = undefined;

  /** Frame bytes and offsets of the lazily built views (-1: absent). Internal to the decoder. */
  d: Uint8Array = EMPTY;
  srcMacOff = -1;
  dstMacOff = -1;
  srcIpOff = -1;
  dstIpOff = -1;
  payOff = 0;
  payEnd = 0;

  private vSrcMac: Uint8Array | undefined = UNSET;
  private vDstMac: Uint8Array | undefined = UNSET;
  private vSrcIp: Uint8Array = UNSET;
  private vDstIp: Uint8Array = UNSET;
  private vPayload: Uint8Array = UNSET;

  /** Clears every field for the next frame. */
  reset(d: Uint8Array, frame: number, ts: number): void {
    this.frame = frame;
    this.ts = ts;
    this.vlan = -1;
    this.ipVersion = 0;
    this.ttl = 0;
    this.proto = 0;
    this.fragment = false;
    this.srcPort = 0;
    this.dstPort = 0;
    this.seq = 0;
    this.ack = 0;
    this.tcpFlags = 0;
    this.window = 0;
    this.ipLen = 0;
    this.arp = undefined;
    this.d = d;
    this.srcMacOff = this.dstMacOff = this.srcIpOff = this.dstIpOff = -1;
    this.payOff = this.payEnd = 0;
    this.vSrcMac = this.vDstMac = this.vSrcIp = this.vDstIp = this.vPayload = UNSET;
  }

  get srcMac(): Uint8Array | undefined {
    if (this.vSrcMac === UNSET) this.vSrcMac = this.srcMacOff < 0 ? undefined : this.d.subarray(this.srcMacOff, this.srcMacOff + 6);
    return this.vSrcMac;
  }
  set srcMac(v: Uint8Array | undefined) {
    this.vSrcMac = v;
  }

  get dstMac(): Uint8Array | undefined {
    if (this.vDstMac === UNSET) this.vDstMac = this.dstMacOff < 0 ? undefined : this.d.subarray(this.dstMacOff, this.dstMacOff + 6);
    return this.vDstMac;
  }
  set dstMac(v: Uint8Array | undefined) {
    this.vDstMac = v;
  }

  get srcIp(): Uint8Array {
    if (this.vSrcIp === UNSET) this.vSrcIp = this.srcIpOff < 0 ? EMPTY : this.d.subarray(this.srcIpOff, this.srcIpOff + (this.ipVersion === 6 ? 16 : 4));
    return this.vSrcIp;
  }
  set srcIp(v: Uint8Array) {
    this.vSrcIp = v;
  }

  get dstIp(): Uint8Array {
    if (this.vDstIp === UNSET) this.vDstIp = this.dstIpOff < 0 ? EMPTY : this.d.subarray(this.dstIpOff, this.dstIpOff + (this.ipVersion === 6 ? 16 : 4));
    return this.vDstIp;
  }
  set dstIp(v: Uint8Array) {
    this.vDstIp = v;
  }

  get payload(): Uint8Array {
    if (this.vPayload === UNSET) this.vPayload = this.payEnd > this.payOff ? this.d.subarray(this.payOff, this.payEnd) : EMPTY;
    return this.vPayload;
  }
  set payload(v: Uint8Array) {
    this.vPayload = v;
  }
}
