// NodeId and ExpandedNodeId, all six binary encodings (OPC UA Part 6 §5.2.2.9, §5.2.2.10), rendered in the text form of
// Part 6 §5.3.1.10: "i=2258", "ns=1;s=Line2.Speed", "ns=2;g=<guid>", "ns=3;b=<base64>"; ExpandedNodeId adds
// "nsu=<uri>;" and "svr=<n>;" prefixes. Binary encodings: 0 two-byte, 1 four-byte, 2 numeric, 3 string, 4 guid, 5 opaque.

import { Buffer } from "node:buffer";
import { Cursor, DecodeError } from "./cursor.ts";

/** Namespace and numeric id of the NodeId read last (reused, not allocated per NodeId). */
const last = { ns: 0, numeric: -1 };

function withNs(ns: number, id: string): string {
  return ns === 0 ? id : `ns=${ns};${id}`;
}

/**
 * Texts of numeric NodeIds seen lately, keyed ns × 2^32 + id: clients read and write the same nodes over and over.
 * Bounded: emptied when full (a plant's working set of numeric nodes is far smaller).
 */
const NUMERIC_TEXT = new Map<number, string>();
const MAX_NUMERIC_TEXT = 4096;

function numericText(ns: number, id: number): string {
  const key = ns * 4294967296 + id;
  let t = NUMERIC_TEXT.get(key);
  if (t === undefined) {
    if (NUMERIC_TEXT.size >= MAX_NUMERIC_TEXT) NUMERIC_TEXT.clear();
    t = withNs(ns, `i=${id}`);
    NUMERIC_TEXT.set(key, t);
  }
  return t;
}

/** A string, guid or opaque NodeId's encoding, namespace and identifier bytes with the texts they decode to. */
class NodeTextEntry {
  constructor(
    readonly enc: number,
    readonly ns: number,
    /** Byte length of the identifier and its bytes as little-endian 32-bit words (the last one zero-padded). */
    readonly length: number,
    readonly words: Int32Array,
    /** The decoded String identifier (encoding 3; "" otherwise): what tracing records. */
    readonly str: string,
    readonly text: string,
  ) {}
}

/**
 * Texts of string, guid and opaque NodeIds seen lately ("ns=1;s=Line2.Speed", "ns=2;g=…", "ns=3;b=…"): clients read the
 * same nodes over and over, and decoding UTF-8 (or hex, base64) then joining "ns=…;s=" per NodeId was the top of the Read
 * request profile. Direct-mapped by a hash of encoding, namespace and identifier bytes; a hit is verified word by word
 * against the stored copy of the bytes, so a colliding or evicted slot only costs a decode. Bounded: NODE_TEXT_SLOTS
 * entries of identifiers up to NODE_TEXT_MAX_BYTES bytes (longer ones are decoded every time): ≤ ≈1 MB. 4096, not 1024:
 * the 200k benchmark capture alone names ≈1,100 distinct such NodeIds, and 1024 direct-mapped slots missed one lookup in ten.
 */
export const NODE_TEXT_SLOTS = 4096;
export const NODE_TEXT_MAX_BYTES = 128;
const NODE_TEXTS: (NodeTextEntry | undefined)[] = new Array<NodeTextEntry | undefined>(NODE_TEXT_SLOTS).fill(undefined);
const NO_WORDS = new Int32Array(0);
const GUID_BYTES = 16;
/** The identifier last hashed, as words (filled by hashIdentifier, compared with an entry's words on lookup). */
const KEY = new Int32Array(NODE_TEXT_MAX_BYTES / 4);
let keyWords = 0;

/**
 * The slot of a NodeId identifier: an FNV-style hash of encoding, namespace and the bytes b[p … end) taken as 32-bit words
 * (one multiply per word: the hash is a chain of multiplies), which are left in KEY for the comparison with the slot's
 * entry (a word compare per four bytes instead of a byte compare per byte). Exported for the collision tests.
 */
export function hashIdentifier(enc: number, ns: number, b: Uint8Array, p: number, end: number): number {
  let h = Math.imul(0x811c9dc5 ^ (enc << 16) ^ ns, 0x01000193);
  let i = p;
  let w = 0;
  for (; i + 4 <= end; i += 4) {
    const x = b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    KEY[w++] = x;
    h = Math.imul(h ^ x, 0x01000193);
  }
  if (i < end) {
    let x = 0;
    for (let shift = 0; i < end; i++, shift += 8) x |= b[i]! << shift;
    KEY[w++] = x;
    h = Math.imul(h ^ x, 0x01000193);
  }
  keyWords = w;
  return (h ^ (h >>> 15) ^ (h >>> 25)) & (NODE_TEXT_SLOTS - 1);
}

/** The entry for encoding 3/4/5 decoded from the n identifier bytes at p (the cursor is left after them); `words` are
 *  those bytes as KEY holds them when the entry is to be cached, NO_WORDS otherwise. */
function decodeNodeText(c: Cursor, enc: number, ns: number, p: number, n: number, words: Int32Array): NodeTextEntry {
  const b = c.data;
  if (enc === 3) {
    const str = c.textAt(p, n);
    return new NodeTextEntry(enc, ns, n, words, str, withNs(ns, `s=${str}`));
  }
  if (enc === 4) {
    const end = c.pos;
    c.pos = p;
    const text = withNs(ns, `g=${c.guid()}`);
    c.pos = end;
    return new NodeTextEntry(enc, ns, n, words, "", text);
  }
  return new NodeTextEntry(enc, ns, n, words, "", withNs(ns, `b=${Buffer.from(b.buffer, b.byteOffset + p, n).toString("base64")}`));
}

/**
 * Steps over a string (3), guid (4) or opaque (5) identifier after its namespace and returns its texts, from the cache
 * when the bytes match. Reads and fails exactly like the uncached reads: String/ByteString length then bytes; a guid
 * with fewer than 16 bytes left goes to Cursor.guid(), which reports the part that is missing.
 */
function nodeText(c: Cursor, enc: number, ns: number): NodeTextEntry {
  let p: number;
  if (enc === 4) {
    if (c.remaining < GUID_BYTES) return new NodeTextEntry(enc, ns, 0, NO_WORDS, "", withNs(ns, `g=${c.guid()}`));
    p = c.pos;
    c.skip(GUID_BYTES);
  } else {
    p = c.stringStart();
    if (p < 0) return new NodeTextEntry(enc, ns, 0, NO_WORDS, "", withNs(ns, enc === 3 ? "s=" : "b="));
  }
  const end = c.pos;
  const n = end - p;
  if (n > NODE_TEXT_MAX_BYTES) return decodeNodeText(c, enc, ns, p, n, NO_WORDS);
  const slot = hashIdentifier(enc, ns, c.data, p, end);
  const e = NODE_TEXTS[slot];
  if (e !== undefined && e.length === n && e.ns === ns && e.enc === enc) {
    const k = e.words;
    const w = keyWords;
    let i = 0;
    while (i < w && k[i] === KEY[i]) i++;
    if (i === w) return e;
  }
  const fresh = decodeNodeText(c, enc, ns, p, n, KEY.slice(0, keyWords));
  NODE_TEXTS[slot] = fresh;
  return fresh;
}

/** Reads the identifier part for encoding `enc` (low 4 bits of the mask); traces it when the cursor traces. */
function readIdentifier(c: Cursor, mask: number, enc: number): string {
  let ns: number;
  let text: string;
  let numeric: number | undefined;
  let str: string | undefined;
  switch (enc) {
    case 0:
      ns = 0;
      numeric = c.u8();
      text = `i=${numeric}`;
      break;
    case 1:
      ns = c.u8();
      numeric = c.u16();
      text = numericText(ns, numeric);
      break;
    case 2:
      ns = c.u16();
      numeric = c.u32();
      text = numericText(ns, numeric);
      break;
    case 3:
    case 4:
    case 5: {
      ns = c.u16();
      const e = nodeText(c, enc, ns);
      if (enc === 3) str = e.str;
      text = e.text;
      break;
    }
    default:
      throw new DecodeError(`NodeId encoding ${enc}`);
  }
  last.ns = ns;
  last.numeric = numeric ?? -1;
  if (c.trace) c.trace.push({ mask, ns: enc === 0 ? undefined : ns, numeric, str });
  return text;
}

export function readNodeId(c: Cursor): string {
  const mask = c.u8();
  if (mask === 0) {
    // Two-byte encoding (ns 0, id < 256): the most common in service bodies; its text is cached.
    const id = c.u8();
    last.ns = 0;
    last.numeric = id;
    if (c.trace) c.trace.push({ mask, ns: undefined, numeric: id, str: undefined });
    return TWO_BYTE_TEXT[id]!;
  }
  return readIdentifier(c, mask, mask);
}

/** `i=<n>` for every two-byte NodeId. */
const TWO_BYTE_TEXT: readonly string[] = Array.from({ length: 256 }, (_, i) => `i=${i}`);

/**
 * Steps over the identifier for encoding `enc` without building its text (fields no event keeps); sets `last` and traces
 * like readIdentifier, decoding a string identifier only when tracing.
 */
function skipIdentifier(c: Cursor, mask: number, enc: number): void {
  let ns = 0;
  let numeric = -1;
  switch (enc) {
    case 0:
      numeric = c.u8();
      break;
    case 1:
      ns = c.u8();
      numeric = c.u16();
      break;
    case 2:
      ns = c.u16();
      numeric = c.u32();
      break;
    case 3:
      if (c.trace) {
        readIdentifier(c, mask, enc);
        return;
      }
      ns = c.u16();
      c.skipString();
      break;
    case 4:
      ns = c.u16();
      c.skip(4); // the Guid's parts one by one, so a truncated one reports what readIdentifier would
      c.skip(2);
      c.skip(2);
      c.skip(8);
      break;
    case 5:
      ns = c.u16();
      c.skipString();
      break;
    default:
      throw new DecodeError(`NodeId encoding ${enc}`);
  }
  last.ns = ns;
  last.numeric = numeric;
  if (c.trace) {
    c.trace.push({ mask, ns: enc === 0 ? undefined : ns, numeric: numeric < 0 ? undefined : numeric, str: undefined });
  }
}

/** A NodeId whose value nobody keeps (reference types, session ids, header tokens). */
export function skipNodeId(c: Cursor): void {
  const mask = c.u8();
  skipIdentifier(c, mask, mask);
}

/** Reads a NodeId and returns its numeric id when it is numeric in namespace 0, else -1 (type and service ids). */
export function readNodeIdNumeric(c: Cursor): number {
  skipNodeId(c);
  return last.ns === 0 ? last.numeric : -1;
}

/** An ExpandedNodeId whose value nobody keeps. */
export function skipExpandedNodeId(c: Cursor): void {
  const mask = c.u8();
  skipIdentifier(c, mask & 0x0f, mask & 0x0f);
  if (mask & 0x80) c.skipString();
  if (mask & 0x40) c.skip(4);
}

/** ExpandedNodeId: the NodeId mask's bit 0x80 adds a NamespaceUri, bit 0x40 a ServerIndex. */
export function readExpandedNodeId(c: Cursor): string {
  const mask = c.u8();
  const id = readIdentifier(c, mask & 0x0f, mask & 0x0f);
  let prefix = "";
  if (mask & 0x80) {
    const uri = c.string();
    if (uri !== undefined) prefix = `nsu=${uri};`;
  }
  if (mask & 0x40) prefix = `svr=${c.u32()};` + prefix;
  return prefix + id;
}
