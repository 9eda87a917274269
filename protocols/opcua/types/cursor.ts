// A read cursor over one OPC UA binary body: little-endian primitives of OPC UA Part 6 §5.2.2 (Boolean … Double, String,
// DateTime, Guid, ByteString); integers read from the bytes directly, floats and 64-bit integers by copying their bytes
// into one shared scratch buffer (a DataView per message showed in profiles of plant traffic, where most values are
// Doubles).
// Running past the end throws DecodeError; the service decoders catch it at one place and keep what they decoded
// (lenient), so no exception crosses the session boundary.

import { Buffer } from "node:buffer";
import { OPCUA_MAX_ARRAY } from "../constants.ts";
import { isoTime } from "./text.ts";

export class DecodeError extends Error {}

/** One NodeId as Wireshark's opcua.nodeid.* fields see it; filled only when a test sets `Cursor.trace`. */
export interface NodeIdTrace {
  readonly mask: number;
  readonly ns: number | undefined;
  readonly numeric: number | undefined;
  readonly str: string | undefined;
}

const utf8 = new TextDecoder("utf-8");

/** Scratch for floats and 64-bit integers: bytes copied in, read back through typed views (little-endian host assumed
 *  below is checked once: on a big-endian host the bytes are copied in reverse). */
const SCRATCH = new ArrayBuffer(8);
const SCRATCH_U8 = new Uint8Array(SCRATCH);
const SCRATCH_F32 = new Float32Array(SCRATCH, 0, 1);
const SCRATCH_F64 = new Float64Array(SCRATCH);
const SCRATCH_I64 = new BigInt64Array(SCRATCH);
const SCRATCH_U64 = new BigUint64Array(SCRATCH);
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Node's native UTF-8 slice: twice as fast as TextDecoder on the short strings of OPC UA bodies (measured). */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(this: Uint8Array, start: number, end: number): string }).utf8Slice;

/** Two lower-case hex digits per byte value. */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export class Cursor {
  private bytes: Uint8Array;
  private end: number;
  pos = 0;
  /** Where the body starts in `bytes` (a session decodes a message in place, after its headers): positions in error
   *  texts count from here. */
  private base = 0;
  /** Test-only hook: when an array, every NodeId/ExpandedNodeId read is appended (conformance with Wireshark). */
  trace: NodeIdTrace[] | undefined = undefined;
  /** Test-only hook: every StatusCode field read (Wireshark's opcua.StatusCode occurrences). */
  statusTrace: number[] | undefined = undefined;
  /** Regions skipped without decoding (ExtensionObject bodies of types we do not walk); NodeIds inside are not traced. */
  skipped = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.end = bytes.byteLength;
  }

  /** Starts over on new input (a session reuses one cursor per message instead of allocating one). */
  reset(bytes: Uint8Array, start = 0): this {
    this.bytes = bytes;
    this.end = bytes.byteLength;
    this.pos = start;
    this.base = start;
    this.trace = undefined;
    this.statusTrace = undefined;
    this.skipped = 0;
    return this;
  }

  /** Bytes of the body (from where reading started). */
  get length(): number {
    return this.end - this.base;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.end) throw new DecodeError(`need ${n} bytes at ${p - this.base}, have ${this.end - p}`);
    this.pos = p + n;
    return p;
  }

  /** Copies the next n (4 or 8) bytes into the scratch buffer in host order. */
  private scratch(n: number): void {
    const p = this.need(n);
    const b = this.bytes;
    const s = SCRATCH_U8;
    if (HOST_LE) for (let i = 0; i < n; i++) s[i] = b[p + i]!;
    else for (let i = 0; i < n; i++) s[n - 1 - i] = b[p + i]!;
  }

  skip(n: number): void {
    this.need(n);
  }

  // Integers up to 32 bits straight from the bytes: no DataView per message (its construction showed in profiles).
  u8(): number {
    return this.bytes[this.need(1)]!;
  }
  i8(): number {
    return (this.bytes[this.need(1)]! << 24) >> 24;
  }
  bool(): boolean {
    return this.u8() !== 0;
  }
  u16(): number {
    const p = this.need(2);
    const b = this.bytes;
    return b[p]! | (b[p + 1]! << 8);
  }
  i16(): number {
    return (this.u16() << 16) >> 16;
  }
  u32(): number {
    return this.i32() >>> 0;
  }
  i32(): number {
    const p = this.need(4);
    const b = this.bytes;
    return b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24);
  }
  i64(): bigint {
    this.scratch(8);
    return SCRATCH_I64[0]!;
  }
  u64(): bigint {
    this.scratch(8);
    return SCRATCH_U64[0]!;
  }
  f32(): number {
    this.scratch(4);
    return SCRATCH_F32[0]!;
  }
  f64(): number {
    this.scratch(8);
    return SCRATCH_F64[0]!;
  }

  /** A view of the next n bytes (zero copy; valid as long as the input is). */
  bytesView(n: number): Uint8Array {
    const p = this.need(n);
    return this.bytes.subarray(p, p + n);
  }

  /** String (Part 6 §5.2.2.4): Int32 length, -1 = null, then UTF-8. */
  string(): string | undefined {
    const n = this.i32();
    if (n < 0) return undefined;
    return this.textAt(this.need(n), n);
  }

  /** A String's bytes left undecoded: steps over it and returns where its bytes start in `data` (-1 when null); they
   *  end at `pos`. For callers that cache texts by their bytes (string NodeIds). */
  stringStart(): number {
    const n = this.i32();
    if (n < 0) return -1;
    return this.need(n);
  }

  /** The input the cursor reads (with stringStart: the bytes of a String without copying them). */
  get data(): Uint8Array {
    return this.bytes;
  }

  /** The text of n UTF-8 bytes at p, as string() decodes it. */
  textAt(p: number, n: number): string {
    const b = this.bytes;
    // Same text as TextDecoder (WHATWG replacement of bad sequences) except a leading BOM, which TextDecoder drops.
    if (n >= 3 && b[p] === 0xef && b[p + 1] === 0xbb && b[p + 2] === 0xbf) return utf8.decode(b.subarray(p, p + n));
    return utf8Slice.call(b, p, p + n);
  }

  /** ByteString (§5.2.2.7) as a view, undefined when null. */
  byteString(): Uint8Array | undefined {
    const n = this.i32();
    if (n < 0) return undefined;
    return this.bytesView(n);
  }

  /** A String or ByteString nobody keeps (same layout): stepped over without a view or text (fails as they would). */
  skipString(): void {
    const n = this.i32();
    if (n > 0) this.need(n);
  }

  /** DateTime (§5.2.2.5): Int64 count of 100 ns since 1601-01-01; rendered as ISO text, "" for 0/out of range. */
  dateTime(): string {
    const p = this.need(8);
    const b = this.bytes;
    const lo = (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;
    const hi = b[p + 4]! | (b[p + 5]! << 8) | (b[p + 6]! << 16) | (b[p + 7]! << 24);
    if (hi < 0 || (hi === 0 && lo === 0)) return "";
    // floor(t / 10000) exactly in doubles, no BigInt: 2^32 = 10000 × 429496 + 7296, every term stays below 2^53.
    const ms = hi * 429496 + Math.floor((hi * 7296 + lo) / 10000) - 11644473600000;
    return isoTime(ms);
  }

  /** Guid (§5.2.2.6): Data1 UInt32, Data2/3 UInt16 little-endian, Data4 8 bytes; text form per RFC 4122. */
  guid(): string {
    const a = this.u32();
    const b = this.u16();
    const c = this.u16();
    const d = this.bytesView(8);
    // Table lookups: GUID session tokens sit in every request header, and toString/padStart per byte showed in profiles.
    const h = HEX_BYTE;
    return h[a >>> 24]! + h[(a >>> 16) & 0xff]! + h[(a >>> 8) & 0xff]! + h[a & 0xff]! + "-" + h[b >>> 8]! + h[b & 0xff]! + "-" +
      h[c >>> 8]! + h[c & 0xff]! + "-" + h[d[0]!]! + h[d[1]!]! + "-" + h[d[2]!]! + h[d[3]!]! + h[d[4]!]! + h[d[5]!]! + h[d[6]!]! +
      h[d[7]!]!;
  }

  /** Array length (§5.2.5): Int32, -1 = null (0 elements). Impossible lengths throw: each element takes ≥ 1 byte. */
  arrayLength(minElementBytes = 1): number {
    const n = this.i32();
    if (n <= 0) return 0;
    if (n > OPCUA_MAX_ARRAY || n * minElementBytes > this.remaining) {
      throw new DecodeError(`array length ${n} impossible with ${this.remaining} bytes left`);
    }
    return n;
  }
}
