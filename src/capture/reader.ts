// Push-based streaming reader for classic pcap (both byte orders, µs and ns magic) and pcapng (SHB in either byte order,
// IDB with if_tsresol/if_tsoffset, EPB, SPB, OPB; unknown blocks skipped; several interfaces and sections).
// Specs: pcap — draft-ietf-opsawg-pcap §4–5; pcapng — draft-ietf-opsawg-pcapng §4.1 SHB, §4.2 IDB, §4.3 EPB, §4.4 SPB,
// Appendix A OPB. The format is detected by the magic number, never by file name.
//
// Buffer lifetimes: frames are delivered synchronously inside push(). The frame (a reused BufferFrame) points into the pushed
// chunk (or into the reader's internal carry-over buffer for a record that straddled two chunks); `frame.data` is built
// lazily from that (the decoder reads buf/start/end directly and never needs it). Both are valid only during the onFrame
// callback. Copy what you keep (see cloneFrame).
import type { Frame } from "../core/types.ts";
import type { Counters } from "../core/counters.ts";
import { BufferFrame } from "../core/frame.ts";
import { InterfaceTable, readU16, readU32 } from "./pcapng-interfaces.ts";

/** Largest classic-pcap record we accept (Wireshark's WTAP_MAX_PACKET_SIZE_STANDARD); beyond it the file is garbage. */
export const MAX_PCAP_RECORD = 262_144;
/** Largest pcapng block we accept (Wireshark's MAX_BLOCK_SIZE). */
export const MAX_PCAPNG_BLOCK = 16 * 1024 * 1024;

const PCAP_HEADER_LEN = 24;
const PCAP_RECORD_HEADER_LEN = 16;
const PCAPNG_MIN_BLOCK = 12;

const MAGIC_PCAP_US = 0xa1b2c3d4;
const MAGIC_PCAP_NS = 0xa1b23c4d;
const MAGIC_PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const BT_IDB = 1;
const BT_OPB = 2;
const BT_SPB = 3;
const BT_EPB = 6;


const enum State {
  Magic,
  Pcap,
  Pcapng,
  Stopped,
}

/** A stable copy of a frame (its own data), for callers that keep frames beyond the callback (tests, evidence). */
export function cloneFrame(f: Frame): Frame {
  return { index: f.index, ts: f.ts, linkType: f.linkType, iface: f.iface, data: f.data.slice(), origLen: f.origLen };
}

export class CaptureReader {
  private state = State.Magic;
  private fmt: "pcap" | "pcapng" | undefined;
  private le = true;
  /** pcap: divisor turning the sub-second field into seconds (1e6 or 1e9). */
  private subsecDiv = 1e6;
  private pcapLinkType = 0;
  /** pcapng interfaces of the current section. */
  private readonly ifaces = new InterfaceTable();
  private readonly frame = new BufferFrame();
  private carry = new Uint8Array(0);
  private carryLen = 0;
  /** Unread input left when onFrame threw; parsed first by the next push() or end(). */
  private rest: Uint8Array | undefined;

  constructor(
    private readonly onFrame: (f: Frame) => void,
    private readonly counters: Counters,
  ) {}

  get format(): "pcap" | "pcapng" | undefined {
    return this.fmt;
  }

  /** Parses as much of the input as possible; only an incomplete last record is carried over (copied) to the next push. */
  push(input: Uint8Array): void {
    if (this.rest !== undefined) {
      const r = this.rest;
      this.rest = undefined;
      try {
        this.push(r);
      } catch (e) {
        this.rest = concatBytes(this.rest ?? new Uint8Array(0), input);
        throw e;
      }
    }
    if (this.state === State.Stopped || input.length === 0) return;
    // A Buffer's subarray goes through its species constructor (~50% slower than a plain Uint8Array's): view the same
    // bytes as a plain Uint8Array once per chunk, so every frame.data and decoder view is cheap.
    const chunk = input.constructor === Uint8Array ? input : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    let off = 0;
    if (this.carryLen > 0) {
      // Complete the straddling unit first by taking only the bytes it still needs from the new chunk.
      for (;;) {
        const need = this.unitLength(this.carry, 0, this.carryLen);
        if (need < 0) return this.stopBad();
        if (this.carryLen >= need) {
          this.carryLen = 0;
          try {
            this.processUnit(this.carry, 0, need);
          } catch (e) {
            this.keepRest(chunk, off);
            throw e;
          }
          if ((this.state as State) === State.Stopped) return;
          break;
        }
        if (off >= chunk.length) return;
        // Take only what this unit still needs (its header first, then the rest once its length is known).
        const take = Math.min(need - this.carryLen, chunk.length - off);
        this.appendCarry(chunk, off, take);
        off += take;
      }
    }
    const len = chunk.length;
    while (off < len) {
      const need = this.unitLength(chunk, off, len - off);
      if (need < 0) return this.stopBad();
      if (len - off < need) {
        this.carryLen = 0;
        this.appendCarry(chunk, off, len - off);
        return;
      }
      try {
        this.processUnit(chunk, off, need);
      } catch (e) {
        this.keepRest(chunk, off + need);
        throw e;
      }
      if ((this.state as State) === State.Stopped) return;
      off += need;
    }
  }

  /**
   * onFrame threw (a consumer bug): the exception goes to the caller of push(), and the unread rest of the chunk is kept
   * so that the next push() resumes at the following record instead of parsing from the middle of one.
   */
  private keepRest(chunk: Uint8Array, from: number): void {
    this.carryLen = 0;
    if (from < chunk.length) this.rest = chunk.slice(from);
  }

  /** End of input: a pending partial record is a truncated last record (counted, not delivered). Input kept after a
   *  throwing onFrame is parsed first (if onFrame throws again, end() rethrows and may be called again). */
  end(): void {
    if (this.rest !== undefined) this.push(new Uint8Array(0));
    if (this.carryLen > 0 && this.state !== State.Stopped) {
      this.counters.add(this.state === State.Magic ? "capture.truncated-header" : "capture.truncated-record");
    }
    this.carryLen = 0;
    this.state = State.Stopped;
  }

  private stopBad(): void {
    if (this.state !== State.Magic) this.counters.add("capture.bad-record");
    this.carryLen = 0;
    this.state = State.Stopped;
  }

  private appendCarry(src: Uint8Array, off: number, n: number): void {
    if (this.carryLen + n > this.carry.length) {
      const next = new Uint8Array(Math.max(this.carryLen + n, this.carry.length * 2, 4096));
      next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
    }
    this.carry.set(src.subarray(off, off + n), this.carryLen);
    this.carryLen += n;
  }

  /**
   * Length of the unit (file header, record or block) starting at `off`: a header length when `avail` does not yet hold
   * enough to know it, the full length otherwise; -1 when the length is impossible.
   */
  private unitLength(b: Uint8Array, off: number, avail: number): number {
    switch (this.state) {
      case State.Magic: {
        if (avail < 12) return 12;
        const m = readU32(b, off, false);
        if (m === MAGIC_PCAPNG_SHB) return this.shbLength(b, off);
        if (m === MAGIC_PCAP_US || m === MAGIC_PCAP_NS || readU32(b, off, true) === MAGIC_PCAP_US || readU32(b, off, true) === MAGIC_PCAP_NS) {
          return PCAP_HEADER_LEN;
        }
        this.counters.add("capture.unknown-format");
        return -1;
      }
      case State.Pcap: {
        if (avail < PCAP_RECORD_HEADER_LEN) return PCAP_RECORD_HEADER_LEN;
        const incl = readU32(b, off + 8, this.le);
        if (incl > MAX_PCAP_RECORD) return -1;
        return PCAP_RECORD_HEADER_LEN + incl;
      }
      case State.Pcapng: {
        if (avail < PCAPNG_MIN_BLOCK) return PCAPNG_MIN_BLOCK;
        if (readU32(b, off, this.le) === MAGIC_PCAPNG_SHB) return this.shbLength(b, off);
        const n = readU32(b, off + 4, this.le);
        return n < PCAPNG_MIN_BLOCK || n > MAX_PCAPNG_BLOCK || (n & 3) !== 0 ? -1 : n;
      }
      default:
        return -1;
    }
  }

  private shbLength(b: Uint8Array, off: number): number {
    const bom = readU32(b, off + 8, true);
    const le = bom === PCAPNG_BOM ? true : readU32(b, off + 8, false) === PCAPNG_BOM ? false : undefined;
    if (le === undefined) return -1;
    const n = readU32(b, off + 4, le);
    return n < 28 || n > MAX_PCAPNG_BLOCK || (n & 3) !== 0 ? -1 : n;
  }

  private processUnit(b: Uint8Array, off: number, n: number): void {
    switch (this.state) {
      case State.Magic:
        if (readU32(b, off, false) === MAGIC_PCAPNG_SHB) {
          this.fmt = "pcapng";
          this.state = State.Pcapng;
          this.pcapngBlock(b, off, n);
        } else {
          this.pcapHeader(b, off);
        }
        return;
      case State.Pcap:
        return this.pcapRecord(b, off, n);
      case State.Pcapng:
        return this.pcapngBlock(b, off, n);
      default:
        return;
    }
  }

  private pcapHeader(b: Uint8Array, off: number): void {
    const be = readU32(b, off, false);
    this.le = !(be === MAGIC_PCAP_US || be === MAGIC_PCAP_NS);
    const magic = readU32(b, off, this.le);
    this.subsecDiv = magic === MAGIC_PCAP_NS ? 1e9 : 1e6;
    // The upper bits of the link-type field carry FCS-length flags (pcap spec §4, LinkType and additional information).
    this.pcapLinkType = readU32(b, off + 20, this.le) & 0x03ffffff;
    this.fmt = "pcap";
    this.state = State.Pcap;
  }

  private pcapRecord(b: Uint8Array, off: number, n: number): void {
    const le = this.le;
    const f = this.frame;
    f.index++;
    f.ts = readU32(b, off, le) + readU32(b, off + 4, le) / this.subsecDiv;
    f.linkType = this.pcapLinkType;
    f.iface = 0;
    f.origLen = readU32(b, off + 12, le);
    f.setBytes(b, off + PCAP_RECORD_HEADER_LEN, off + n);
    this.onFrame(f);
  }

  private pcapngBlock(b: Uint8Array, off: number, n: number): void {
    let le = this.le;
    const type = readU32(b, off, le);
    if (type === MAGIC_PCAPNG_SHB) {
      le = this.le = readU32(b, off + 8, true) === PCAPNG_BOM;
      this.ifaces.reset();
    }
    if (readU32(b, off + n - 4, le) !== n) {
      this.stopBad();
      return;
    }
    switch (type) {
      case BT_EPB:
      case BT_OPB: {
        if (n < 32) return this.badBlock();
        const iface = type === BT_EPB ? readU32(b, off + 8, le) : readU16(b, off + 8, le);
        const cap = readU32(b, off + 20, le);
        if (iface >= this.ifaces.count || cap > n - 32) return this.badBlock();
        const f = this.frame;
        f.index++;
        f.ts = this.ifaces.ts(iface, readU32(b, off + 12, le), readU32(b, off + 16, le));
        f.linkType = this.ifaces.linkType[iface]!;
        f.iface = iface;
        f.origLen = readU32(b, off + 24, le);
        f.setBytes(b, off + 28, off + 28 + cap);
        this.onFrame(f);
        return;
      }
      case BT_SPB: {
        if (n < 16 || this.ifaces.count === 0) return this.badBlock();
        const orig = readU32(b, off + 8, le);
        const snap = this.ifaces.snapLen[0]!;
        let cap = Math.min(orig, n - 16);
        if (snap > 0 && snap < cap) cap = snap;
        const f = this.frame;
        f.index++;
        f.ts = 0; // SPB carries no timestamp (pcapng §4.4)
        f.linkType = this.ifaces.linkType[0]!;
        f.iface = 0;
        f.origLen = orig;
        f.setBytes(b, off + 12, off + 12 + cap);
        this.onFrame(f);
        return;
      }
      case BT_IDB:
        if (!this.ifaces.add(b, off, n, le)) this.badBlock();
        return;
      default:
        return; // SHB (already handled), ISB, NRB, DSB, custom and unknown blocks are skipped
    }
  }

  private badBlock(): void {
    this.counters.add("capture.bad-record");
  }
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
