// PDU framing for one direction of a TCP stream (issue 2 item 3, STYLE "the dissector declares its framing"), after
// Wireshark's tcp_dissect_pdus: the dissector gives a header length and a length function, the core delivers whole PDUs.
// Whole PDUs inside one segment are delivered as views of the segment (zero copy); only a PDU that spans segments is
// copied into a buffer that grows with the bytes actually received up to its claimed length (at most MAX_PDU_BUFFER, and
// within the pipeline-wide assembly budget), so a header claiming a huge length costs nothing until the bytes come. Impossible lengths are reported and skipped by
// resynchronising; after MAX_FRAMING_VIOLATIONS the framer gives up (the session is detached).

import type { Dir, Framing } from "../core/types.ts";
import { type ByteBudget, unlimitedBudget } from "./budget.ts";

/** Largest PDU assembled across segments; longer (but protocol-legal) PDUs are skipped and reported. */
export const MAX_PDU_BUFFER = 4 * 1024 * 1024;
/** Impossible PDU lengths tolerated per direction before the session is detached. */
export const MAX_FRAMING_VIOLATIONS = 8;

export interface FramerLimits {
  maxPduBuffer: number;
  maxFramingViolations: number;
}

export const DEFAULT_FRAMER_LIMITS: FramerLimits = {
  maxPduBuffer: MAX_PDU_BUFFER,
  maxFramingViolations: MAX_FRAMING_VIOLATIONS,
};

export interface FramerOutput {
  /** A whole PDU; valid only during the call. */
  framedPdu(dir: Dir, pdu: Uint8Array): void;
  /** A framing problem (reported as a weird event of the protocol). */
  framingViolation(dir: Dir, name: string, detail: string): void;
  /** Too many violations: the framer stopped. */
  framingDetached(dir: Dir): void;
}

export class Framer {
  detached = false;
  violations = 0;
  /** Bytes (< headerLen) of a header that continues in the next segment, or the tail kept while resynchronising. */
  private stash: Uint8Array | undefined = undefined;
  /** A PDU being assembled across segments: `buf` holds `fill` of its `need` bytes. */
  private pdu: Uint8Array | undefined = undefined;
  private fill = 0;
  private need = 0;
  /** Bytes of an oversized PDU still to discard. */
  private skip = 0;
  private resyncing: boolean;
  private readonly headerLen: number;
  private readonly maxLen: number;

  constructor(
    private readonly framing: Framing,
    readonly dir: Dir,
    private readonly out: FramerOutput,
    /** Start resynchronising (stream picked up mid-way: the first bytes may be inside a PDU). */
    resync = false,
    private readonly limits: FramerLimits = DEFAULT_FRAMER_LIMITS,
    /** Assembly bytes of all framers of the pipeline. */
    private readonly budget: ByteBudget = unlimitedBudget(),
  ) {
    this.headerLen = Math.max(1, framing.headerLen);
    this.maxLen = framing.maxPdu;
    this.resyncing = resync;
  }

  /** Bytes held across segments (partial PDU or header). */
  get pending(): number {
    return (this.pdu === undefined ? 0 : this.fill) + (this.stash === undefined ? 0 : this.stash.length);
  }

  /** Bytes were lost: drop what was partly assembled and look for the next plausible header. */
  reset(): void {
    this.stash = undefined;
    this.dropPdu();
    this.skip = 0;
    this.resyncing = true;
  }

  /** Releases the assembly buffer (also when the flow ends). */
  dropPdu(): void {
    if (this.pdu !== undefined) this.budget.release(this.pdu.length);
    this.pdu = undefined;
    this.fill = 0;
    this.need = 0;
  }

  /** Makes room for `extra` more bytes of the PDU being assembled; false when the budget is spent. */
  private grow(extra: number): boolean {
    const pdu = this.pdu as Uint8Array;
    if (this.fill + extra <= pdu.length) return true;
    const size = Math.min(this.need, Math.max(pdu.length * 2, this.fill + extra));
    if (!this.budget.take(size - pdu.length)) return false;
    const bigger = new Uint8Array(size);
    bigger.set(pdu.subarray(0, this.fill), 0);
    this.pdu = bigger;
    return true;
  }

  push(data: Uint8Array): void {
    if (this.detached) return;
    const len = data.length;
    let off = 0;
    if (this.skip > 0) {
      off = Math.min(this.skip, len);
      this.skip -= off;
      if (off === len) return;
    }
    if (this.pdu !== undefined) {
      const n = Math.min(this.need - this.fill, len - off);
      if (!this.grow(n)) {
        this.out.framingViolation(this.dir, "buffer-exhausted", `no room to assemble a ${this.need}-byte PDU; resynchronising`);
        this.reset();
        this.scan(data, off);
        return;
      }
      const pdu = this.pdu as Uint8Array;
      pdu.set(data.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill < this.need) return;
      const whole = pdu.length === this.need ? pdu : pdu.subarray(0, this.need);
      this.dropPdu();
      this.out.framedPdu(this.dir, whole);
      if (off === len || this.detached) return;
    }
    const stash = this.stash;
    if (stash !== undefined) {
      // A header straddles segments (rare): join the few stashed bytes with the rest of this segment.
      const joined = new Uint8Array(stash.length + len - off);
      joined.set(stash, 0);
      joined.set(data.subarray(off), stash.length);
      this.stash = undefined;
      this.scan(joined, 0);
    } else {
      this.scan(data, off);
    }
  }

  private scan(data: Uint8Array, off: number): void {
    const h = this.headerLen;
    const len = data.length;
    const framing = this.framing;
    while (off < len && !this.detached) {
      if (this.resyncing) {
        const p = this.findHeader(data, off);
        if (p < 0) {
          // Keep a possible header start at the tail for the next segment.
          const keep = Math.min(h - 1, len - off);
          this.stash = keep > 0 ? data.slice(len - keep) : undefined;
          return;
        }
        off = p;
        this.resyncing = false;
      }
      if (len - off < h) {
        this.stash = data.slice(off);
        return;
      }
      // The header view may be longer than headerLen when the PDU starts the segment (saves a view per PDU).
      const n = framing.pduLength(off === 0 ? data : data.subarray(off, off + h));
      if (!(n >= h && n <= this.maxLen)) {
        this.violation(`impossible PDU length ${n} (header ${h}, max ${this.maxLen})`);
        this.resyncing = true;
        off += 1;
        continue;
      }
      if (len - off >= n) {
        this.out.framedPdu(this.dir, off === 0 && n === len ? data : data.subarray(off, off + n));
        off += n;
        continue;
      }
      if (n > this.limits.maxPduBuffer) {
        this.out.framingViolation(this.dir, "pdu-too-large", `PDU of ${n} bytes exceeds the ${this.limits.maxPduBuffer}-byte buffer; skipped`);
        this.skip = n - (len - off);
        return;
      }
      // The PDU continues in later segments: copy what we have; the buffer grows as the rest arrives.
      const have = len - off;
      const size = Math.min(n, Math.max(have * 2, 4096));
      if (!this.budget.take(size)) {
        this.out.framingViolation(this.dir, "buffer-exhausted", `no room to assemble a ${n}-byte PDU; skipped`);
        this.skip = n - have;
        return;
      }
      const buf = new Uint8Array(size);
      buf.set(data.subarray(off), 0);
      this.pdu = buf;
      this.fill = have;
      this.need = n;
      return;
    }
  }

  /** Offset of the next plausible header at or after `off`, or -1. */
  private findHeader(data: Uint8Array, off: number): number {
    const framing = this.framing;
    if (framing.resync !== undefined) {
      const r = framing.resync(data.subarray(off));
      return r < 0 || off + r > data.length ? -1 : off + r;
    }
    const h = this.headerLen;
    for (let p = off; p + h <= data.length; p++) {
      const n = framing.pduLength(data.subarray(p, p + h));
      if (n >= h && n <= this.maxLen) return p;
    }
    return -1;
  }

  private violation(detail: string): void {
    this.violations++;
    this.out.framingViolation(this.dir, "bad-length", detail);
    if (this.violations >= this.limits.maxFramingViolations) {
      this.detached = true;
      this.dropPdu();
      this.stash = undefined;
      this.out.framingDetached(this.dir);
    }
  }
}
