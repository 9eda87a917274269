// Structured built-in types of OPC UA Part 6 §5.2.2: StatusCode (§5.2.2.11), DiagnosticInfo (§5.2.2.12, recursion
// bounded), QualifiedName (§5.2.2.13), LocalizedText (§5.2.2.14), ExtensionObject (§5.2.2.15, body skipped unless the
// caller decodes it), Variant (§5.2.2.16, every built-in type, scalars and arrays, matrix dimensions) and DataValue
// (§5.2.2.17). Variants are rendered as OpcuaValue text for evidence, bounded in length.

import { Buffer } from "node:buffer";
import type { OpcuaValue } from "../events.ts";
import { OPCUA_MAX_DEPTH, OPCUA_MAX_VALUE_ITEMS, OPCUA_MAX_VALUE_TEXT } from "../constants.ts";
import { Cursor, DecodeError } from "./cursor.ts";
import { readExpandedNodeId, readNodeId, readNodeIdNumeric } from "./node-id.ts";
import { doubleText } from "./text.ts";

export function readStatusCode(c: Cursor): number {
  const v = c.u32();
  if (c.statusTrace) c.statusTrace.push(v);
  return v;
}

/** StatusCode[] (Results, InputArgumentResults): not traced, Wireshark shows these as opcua.Results, not opcua.StatusCode. */
export function readStatusCodeArray(c: Cursor, out: number[] | undefined): void {
  const n = c.arrayLength(4);
  for (let i = 0; i < n; i++) {
    const v = c.u32();
    if (out) out.push(v);
  }
}

export function readQualifiedName(c: Cursor): string {
  const ns = c.u16();
  const name = c.string() ?? "";
  return ns === 0 ? name : `${ns}:${name}`;
}

/** A QualifiedName nobody keeps: stepped over without building its text. */
export function skipQualifiedName(c: Cursor): void {
  c.skip(2);
  c.skipString();
}

/** A LocalizedText nobody keeps. */
export function skipLocalizedText(c: Cursor): void {
  const mask = c.u8();
  if (mask & 1) c.skipString();
  if (mask & 2) c.skipString();
}

/** LocalizedText: mask bit 1 locale, bit 2 text; returns the text. */
export function readLocalizedText(c: Cursor): string {
  const mask = c.u8();
  if (mask & 1) c.skipString();
  return mask & 2 ? (c.string() ?? "") : "";
}

export function skipDiagnosticInfo(c: Cursor, depth = 0): void {
  if (depth > OPCUA_MAX_DEPTH) throw new DecodeError("DiagnosticInfo nested too deep");
  const mask = c.u8();
  if (mask & 0x01) c.skip(4); // SymbolicId
  if (mask & 0x02) c.skip(4); // NamespaceUri
  if (mask & 0x08) c.skip(4); // Locale (bit order of the spec: LocalizedText 0x04, Locale 0x08)
  if (mask & 0x04) c.skip(4); // LocalizedText
  if (mask & 0x10) c.skipString(); // AdditionalInfo
  if (mask & 0x20) c.skip(4); // InnerStatusCode
  if (mask & 0x40) skipDiagnosticInfo(c, depth + 1);
}

export function skipDiagnosticInfoArray(c: Cursor): void {
  const n = c.arrayLength(1);
  for (let i = 0; i < n; i++) skipDiagnosticInfo(c);
}

/**
 * ExtensionObject: TypeId NodeId, encoding byte (0 none, 1 binary body, 2 XML), Int32 length, body. Returns the numeric
 * type id (-1 when not numeric in ns 0) and, when `body` is given and the encoding is binary, hands it the body cursor.
 */
export function readExtensionObject(c: Cursor, body?: (typeId: number, b: Cursor) => void): number {
  const typeId = readNodeIdNumeric(c);
  const enc = c.u8();
  if (enc === 1 || enc === 2) {
    const bytes = c.byteString();
    if (bytes && enc === 1 && body) {
      const b = new Cursor(bytes);
      b.trace = c.trace;
      b.statusTrace = c.statusTrace;
      body(typeId, b);
      c.skipped += b.skipped;
    } else if (bytes && bytes.length > 0) {
      c.skipped++;
    }
  }
  return typeId;
}

/** Node's native hex of a byte range, called on the view itself: Buffer.from(…).toString("hex") without the Buffer object
 *  per value (its construction was most of a ByteString[] value's time). */
const hexSlice = (Buffer.prototype as unknown as { hexSlice(this: Uint8Array, start: number, end: number): string }).hexSlice;

export const BUILTIN_NAMES = [
  "Null", "Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double", "String",
  "DateTime", "Guid", "ByteString", "XmlElement", "NodeId", "ExpandedNodeId", "StatusCode", "QualifiedName", "LocalizedText",
  "ExtensionObject", "DataValue", "Variant", "DiagnosticInfo",
] as const;

/** One scalar of built-in type `t` as text (numbers as decimal, status codes as 0x hex, byte strings as hex, bounded). */
function readScalarText(c: Cursor, t: number, depth: number): string {
  switch (t) {
    case 1: return c.bool() ? "true" : "false";
    case 2: return String(c.i8());
    case 3: return String(c.u8());
    case 4: return String(c.i16());
    case 5: return String(c.u16());
    case 6: return String(c.i32());
    case 7: return String(c.u32());
    case 8: return String(c.i64());
    case 9: return String(c.u64());
    case 10: return String(c.f32());
    case 11: return doubleText(c.f64());
    case 12: case 16: return c.string() ?? "";
    case 13: return c.dateTime();
    case 14: return c.guid();
    case 15: {
      const b = c.byteString();
      return b ? hexSlice.call(b, 0, Math.min(b.byteLength, OPCUA_MAX_VALUE_TEXT / 2)) : "";
    }
    case 17: return readNodeId(c);
    case 18: return readExpandedNodeId(c);
    case 19: return `0x${readStatusCode(c).toString(16).padStart(8, "0")}`;
    case 20: return readQualifiedName(c);
    case 21: return readLocalizedText(c);
    case 22: return `ExtensionObject(${readExtensionObject(c)})`;
    case 23: return readDataValue(c, depth + 1).value?.value ?? "";
    case 24: return readVariant(c, depth + 1).value;
    case 25: skipDiagnosticInfo(c); return "";
    default: throw new DecodeError(`Variant built-in type ${t}`);
  }
}

function bound(s: string): string {
  return s.length > OPCUA_MAX_VALUE_TEXT ? s.slice(0, OPCUA_MAX_VALUE_TEXT) + "…" : s;
}

const NULL_VALUE: OpcuaValue = { type: "Null", value: "" };

/** Variant: encoding byte (bits 0-5 type, 0x80 array, 0x40 array dimensions), value(s). */
export function readVariant(c: Cursor, depth = 0): OpcuaValue {
  if (depth > OPCUA_MAX_DEPTH) throw new DecodeError("Variant nested too deep");
  const mask = c.u8();
  const t = mask & 0x3f;
  const name = BUILTIN_NAMES[t];
  if (name === undefined) throw new DecodeError(`Variant built-in type ${t}`);
  if (t === 0 && !(mask & 0x80)) return NULL_VALUE;
  if (!(mask & 0x80)) return { type: name, value: bound(readScalarText(c, t, depth)) };
  const n = c.arrayLength(1);
  // The JSON text is built as the items are read (no array of item texts): what JSON.stringify would write for them.
  const kind = JSON_KIND[t]!;
  let text = "[";
  for (let i = 0; i < n; i++) {
    const v = t === 0 ? "" : readScalarText(c, t, depth);
    if (i < OPCUA_MAX_VALUE_ITEMS) {
      if (i > 0) text += ",";
      text += jsonItem(v, kind);
    }
  }
  text += n > OPCUA_MAX_VALUE_ITEMS ? ",…]" : "]";
  let dims = "";
  if (mask & 0x40) {
    const d = c.arrayLength(4);
    dims = "[";
    for (let i = 0; i < d; i++) dims += i === 0 ? String(c.i32()) : `,${c.i32()}`;
    dims += "]";
  }
  return { type: `${name}[]${dims}`, value: bound(text) };
}

/** How an item's text becomes JSON (see jsonItem), per built-in type. */
const JSON_BARE = 0; // Boolean, integers up to 32 bits: their text is their JSON
const JSON_INT64 = 1; // Int64/UInt64: JSON numbers, as Number rounds them
const JSON_FLOAT = 2; // Float/Double: String(float) round-trips; NaN/Infinity are null
const JSON_QUOTED = 3; // ISO time, Guid, hex, status code, ExtensionObject(n), "": nothing to escape
const JSON_STRING = 4; // free text: escaped when needed
const JSON_KIND: readonly number[] = BUILTIN_NAMES.map((_, t) =>
  t >= 1 && t <= 7 ? JSON_BARE : t === 8 || t === 9 ? JSON_INT64 : t === 10 || t === 11 ? JSON_FLOAT
    : t === 13 || t === 14 || t === 15 || t === 19 || t === 22 || t === 25 ? JSON_QUOTED : JSON_STRING);

/**
 * One item of a Variant array as JSON text, exactly as JSON.stringify would write it within the array, without building
 * an array of values to stringify (that was the top entry of the Read response profile).
 */
function jsonItem(x: string, kind: number): string {
  switch (kind) {
    case JSON_BARE: return x;
    case JSON_INT64: return String(Number(x));
    case JSON_FLOAT: return Number.isFinite(Number(x)) ? x : "null";
    case JSON_QUOTED: return `"${x}"`;
    default: return jsonString(x);
  }
}

/** JSON.stringify(s) for a string: plain strings (the usual case) are only quoted; anything to escape goes to JSON. */
function jsonString(s: string): string {
  return NEEDS_JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/** Control characters, quote, backslash and surrogates (lone ones are escaped by JSON.stringify): code units, no `u` flag.
 *  A regular expression scans faster than a charCodeAt loop (measured on the NodeId/String arrays of Read responses). */
const NEEDS_JSON_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

export interface DataValueRead {
  value: OpcuaValue | undefined;
  status: number | undefined;
}

/** The result of readDataValue, reused (one object per value read showed in the Read response profile). */
const DATA_VALUE: DataValueRead = { value: undefined, status: undefined };

/**
 * DataValue: mask 0x01 value, 0x02 status, 0x04 source ts, 0x10 source ps, 0x08 server ts, 0x20 server ps.
 * The result is one shared object, valid until the next readDataValue: callers take its fields at once.
 */
export function readDataValue(c: Cursor, depth = 0): DataValueRead {
  const mask = c.u8();
  const value = mask & 0x01 ? readVariant(c, depth + 1) : undefined;
  const status = mask & 0x02 ? readStatusCode(c) : undefined;
  if (mask & 0x04) c.skip(8);
  if (mask & 0x10) c.skip(2);
  if (mask & 0x08) c.skip(8);
  if (mask & 0x20) c.skip(2);
  const r = DATA_VALUE;
  r.value = value;
  r.status = status;
  return r;
}
