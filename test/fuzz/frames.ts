// Ethernet (optionally 802.1Q-tagged) / IPv4 or IPv6 / TCP or UDP frames written into one reused buffer (IEEE 802.1Q,
// RFC 791, RFC 8200, RFC 9293, RFC 768) for the
// fuzzer: no allocation per packet, so millions of frames cost only the pipeline's own work. The Frame object is reused
// too, exactly like the capture reader's (consumers must copy what they keep).
import type { Frame } from "../../src/core/types.ts";
import type { Prng } from "./prng.ts";

export const MAX_FRAME = 18 + 60 + 60 + 65_536;

export class FuzzFrame implements Frame {
  index = 0;
  ts = 0;
  linkType = 1;
  iface = 0;
  data: Uint8Array = new Uint8Array(0);
  origLen = 0;
}

export interface Endpoint {
  ip: number;
  port: number;
}

export class FrameWriter {
  readonly frame = new FuzzFrame();
  private readonly buf = new Uint8Array(MAX_FRAME);
  private readonly view = new DataView(this.buf.buffer);
  private ipId = 1;
  /** 802.1Q VLAN id of the next frames, -1 for untagged. */
  vlan = -1;
  /** IPv6 (RFC 8200) instead of IPv4 for the next frames; addresses are the IPv4 numbers under 2001:db8::/96. */
  ipv6 = false;
  /** Offset of the IP header and of the transport header in the frame just written. */
  private l3 = 14;
  private l4 = 34;

  private header(src: Endpoint, dst: Endpoint, proto: number, l4Len: number): void {
    const v = this.view;
    v.setUint32(0, 0x0000_5e00, false);
    v.setUint16(4, 0x5300 | (dst.ip & 0xff), false);
    v.setUint32(6, 0x0000_5e00, false);
    v.setUint16(10, 0x5300 | (src.ip & 0xff), false);
    let o = 12;
    if (this.vlan >= 0) {
      v.setUint16(o, 0x8100, false);
      v.setUint16(o + 2, this.vlan & 0xfff, false);
      o += 4;
    }
    v.setUint16(o, this.ipv6 ? 0x86dd : 0x0800, false);
    o += 2;
    this.l3 = o;
    if (this.ipv6) {
      v.setUint32(o, 0x6000_0000, false);
      v.setUint16(o + 4, l4Len, false);
      v.setUint16(o + 6, (proto << 8) | 64, false);
      for (const [at, ip] of [[o + 8, src.ip], [o + 24, dst.ip]] as const) {
        v.setUint32(at, 0x2001_0db8, false);
        v.setUint32(at + 4, 0, false);
        v.setUint32(at + 8, 0, false);
        v.setUint32(at + 12, ip, false);
      }
      this.l4 = o + 40;
      return;
    }
    v.setUint16(o, 0x4500, false);
    v.setUint16(o + 2, 20 + l4Len, false);
    v.setUint16(o + 4, this.ipId++ & 0xffff, false);
    v.setUint16(o + 6, 0x4000, false);
    v.setUint16(o + 8, (64 << 8) | proto, false);
    v.setUint16(o + 10, 0, false);
    v.setUint32(o + 12, src.ip, false);
    v.setUint32(o + 16, dst.ip, false);
    this.l4 = o + 20;
  }

  tcp(src: Endpoint, dst: Endpoint, seq: number, ack: number, flags: number, payload: Uint8Array): FuzzFrame {
    const len = Math.min(payload.length, MAX_FRAME - 78);
    this.header(src, dst, 6, 20 + len);
    const v = this.view;
    const o = this.l4;
    v.setUint16(o, src.port, false);
    v.setUint16(o + 2, dst.port, false);
    v.setUint32(o + 4, seq >>> 0, false);
    v.setUint32(o + 8, ack >>> 0, false);
    v.setUint16(o + 12, 0x5000 | flags, false);
    v.setUint32(o + 14, 0xffff_0000, false);
    v.setUint16(o + 18, 0, false);
    this.buf.set(payload.subarray(0, len), o + 20);
    return this.done(o + 20 + len);
  }

  udp(src: Endpoint, dst: Endpoint, payload: Uint8Array): FuzzFrame {
    const len = Math.min(payload.length, MAX_FRAME - 66);
    this.header(src, dst, 17, 8 + len);
    const v = this.view;
    const o = this.l4;
    v.setUint16(o, src.port, false);
    v.setUint16(o + 2, dst.port, false);
    v.setUint16(o + 4, 8 + len, false);
    v.setUint16(o + 6, 0, false);
    this.buf.set(payload.subarray(0, len), o + 8);
    return this.done(o + 8 + len);
  }

  /** Damages the headers of the frame just written: snap-length cuts, impossible IP/TCP lengths, fragments, odd IHL. */
  corrupt(rng: Prng): void {
    const f = this.frame;
    const v = this.view;
    const n = f.data.length;
    const l3 = this.l3;
    switch (rng.int(6)) {
      case 0:
        f.data = this.buf.subarray(0, rng.int(n));
        break;
      case 1:
        // IPv4 total length / IPv6 payload length.
        v.setUint16(l3 + (this.ipv6 ? 4 : 2), rng.pick([0, 1, 19, 20, 21, 0xffff, n]), false);
        break;
      case 2:
        this.buf[l3] = (this.ipv6 ? 0x60 : 0x40) | rng.int(16);
        break;
      case 3:
        if (n > this.l4 + 12) this.buf[this.l4 + 12] = (rng.int(16) << 4) | (this.buf[this.l4 + 12]! & 0x0f);
        break;
      case 4:
        // IPv4 fragment flags/offset; IPv6: a next header of Fragment (44), hop-by-hop (0) or routing (43).
        if (this.ipv6) this.buf[l3 + 6] = rng.pick([0, 43, 44, 60, 59]);
        else v.setUint16(l3 + 6, rng.pick([0x2000, 0x2001, 0x0001, 0x1fff]), false);
        break;
      default:
        this.buf[l3 + (this.ipv6 ? 6 : 9)] = rng.pick([0, 1, 6, 17, 41, 58, 255]);
    }
  }

  private done(len: number): FuzzFrame {
    const f = this.frame;
    f.data = this.buf.subarray(0, len);
    f.origLen = len;
    return f;
  }
}
