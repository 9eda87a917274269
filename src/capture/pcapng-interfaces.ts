// The interfaces of one pcapng section (draft-ietf-opsawg-pcapng §4.2 Interface Description Block): link type, snap
// length and timestamp scale from if_tsresol (option 9) and if_tsoffset (option 14). Also the byte readers the capture
// readers share (direct byte arithmetic: no DataView per record).

const OPT_END = 0;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;

export function readU32(b: Uint8Array, o: number, le: boolean): number {
  return le
    ? ((b[o + 3]! << 24) | (b[o + 2]! << 16) | (b[o + 1]! << 8) | b[o]!) >>> 0
    : ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function readU16(b: Uint8Array, o: number, le: boolean): number {
  return le ? (b[o + 1]! << 8) | b[o]! : (b[o]! << 8) | b[o + 1]!;
}

export class InterfaceTable {
  readonly linkType: number[] = [];
  readonly snapLen: number[] = [];
  /** Seconds per 2^32 timestamp units, units per second, and if_tsoffset seconds, per interface. */
  private readonly highScale: number[] = [];
  private readonly units: number[] = [];
  private readonly offset: number[] = [];

  get count(): number {
    return this.linkType.length;
  }

  /** A new section starts: its interfaces replace the previous section's. */
  reset(): void {
    this.linkType.length = this.snapLen.length = this.highScale.length = this.units.length = this.offset.length = 0;
  }

  /** Adds the interface described by the IDB at `off` (block length n); false when the block is too short. */
  add(b: Uint8Array, off: number, n: number, le: boolean): boolean {
    if (n < 20) return false;
    let units = 1e6;
    let offset = 0;
    let p = off + 16;
    const endOpts = off + n - 4;
    while (p + 4 <= endOpts) {
      const code = readU16(b, p, le);
      const len = readU16(b, p + 2, le);
      if (code === OPT_END || p + 4 + len > endOpts) break;
      if (code === OPT_IF_TSRESOL && len >= 1) {
        const v = b[p + 4]!;
        // High bit set: a negative power of 2; otherwise a negative power of 10.
        units = v & 0x80 ? 2 ** (v & 0x7f) : 10 ** v;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        const hi = readU32(b, p + (le ? 8 : 4), le);
        const lo = readU32(b, p + (le ? 4 : 8), le);
        offset = (hi | 0) * 4294967296 + lo;
      }
      p += 4 + ((len + 3) & ~3);
    }
    this.linkType.push(readU16(b, off + 8, le));
    this.snapLen.push(readU32(b, off + 12, le));
    this.highScale.push(4294967296 / units);
    this.units.push(units);
    this.offset.push(offset);
    return true;
  }

  /** Packet time in float seconds from the two 32-bit halves of a 64-bit timestamp (no BigInt per packet). */
  ts(iface: number, hi: number, lo: number): number {
    return hi * this.highScale[iface]! + lo / this.units[iface]! + this.offset[iface]!;
  }
}
