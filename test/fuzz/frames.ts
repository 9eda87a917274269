// Ethernet/IPv4/TCP and Ethernet/IPv4/UDP frames written into one reused buffer (RFC 791, RFC 9293, RFC 768) for the
// fuzzer: no allocation per packet, so millions of frames cost only the pipeline's own work. The Frame object is reused
// too, exactly like the capture reader's (consumers must copy what they keep).
import type { Frame } from "../../src/core/types.ts";
import type { Prng } from "./prng.ts";

export const MAX_FRAME = 14 + 60 + 60 + 65_536;

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

  private header(src: Endpoint, dst: Endpoint, proto: number, l4Len: number): void {
    const v = this.view;
    v.setUint32(0, 0x0000_5e00, false);
    v.setUint16(4, 0x5300 | (dst.ip & 0xff), false);
    v.setUint32(6, 0x0000_5e00, false);
    v.setUint16(10, 0x5300 | (src.ip & 0xff), false);
    v.setUint16(12, 0x0800, false);
    v.setUint16(14, 0x4500, false);
    v.setUint16(16, 20 + l4Len, false);
    v.setUint16(18, this.ipId++ & 0xffff, false);
    v.setUint16(20, 0x4000, false);
    v.setUint16(22, (64 << 8) | proto, false);
    v.setUint16(24, 0, false);
    v.setUint32(26, src.ip, false);
    v.setUint32(30, dst.ip, false);
  }

  tcp(src: Endpoint, dst: Endpoint, seq: number, ack: number, flags: number, payload: Uint8Array): FuzzFrame {
    const len = Math.min(payload.length, MAX_FRAME - 54);
    this.header(src, dst, 6, 20 + len);
    const v = this.view;
    v.setUint16(34, src.port, false);
    v.setUint16(36, dst.port, false);
    v.setUint32(38, seq >>> 0, false);
    v.setUint32(42, ack >>> 0, false);
    v.setUint16(46, 0x5000 | flags, false);
    v.setUint32(48, 0xffff_0000, false);
    v.setUint16(52, 0, false);
    this.buf.set(payload.subarray(0, len), 54);
    return this.done(54 + len);
  }

  udp(src: Endpoint, dst: Endpoint, payload: Uint8Array): FuzzFrame {
    const len = Math.min(payload.length, MAX_FRAME - 42);
    this.header(src, dst, 17, 8 + len);
    const v = this.view;
    v.setUint16(34, src.port, false);
    v.setUint16(36, dst.port, false);
    v.setUint16(38, 8 + len, false);
    v.setUint16(40, 0, false);
    this.buf.set(payload.subarray(0, len), 42);
    return this.done(42 + len);
  }

  /** Damages the headers of the frame just written: snap-length cuts, impossible IP/TCP lengths, fragments, odd IHL. */
  corrupt(rng: Prng): void {
    const f = this.frame;
    const v = this.view;
    const n = f.data.length;
    switch (rng.int(6)) {
      case 0:
        f.data = this.buf.subarray(0, rng.int(n));
        break;
      case 1:
        v.setUint16(16, rng.pick([0, 1, 19, 20, 21, 0xffff, n]), false);
        break;
      case 2:
        this.buf[14] = 0x40 | rng.int(16);
        break;
      case 3:
        if (n > 46) this.buf[46] = (rng.int(16) << 4) | (this.buf[46]! & 0x0f);
        break;
      case 4:
        v.setUint16(20, rng.pick([0x2000, 0x2001, 0x0001, 0x1fff]), false);
        break;
      default:
        this.buf[23] = rng.pick([0, 1, 6, 17, 41, 58, 255]);
    }
  }

  private done(len: number): FuzzFrame {
    const f = this.frame;
    f.data = this.buf.subarray(0, len);
    f.origLen = len;
    return f;
  }
}
