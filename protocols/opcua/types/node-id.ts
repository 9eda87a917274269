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
      text = withNs(ns, `i=${numeric}`);
      break;
    case 2:
      ns = c.u16();
      numeric = c.u32();
      text = withNs(ns, `i=${numeric}`);
      break;
    case 3:
      ns = c.u16();
      str = c.string() ?? "";
      text = withNs(ns, `s=${str}`);
      break;
    case 4:
      ns = c.u16();
      text = withNs(ns, `g=${c.guid()}`);
      break;
    case 5: {
      ns = c.u16();
      const b = c.byteString();
      text = withNs(ns, `b=${b ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64") : ""}`);
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
  return readIdentifier(c, mask, mask);
}

/** Reads a NodeId and returns its numeric id when it is numeric in namespace 0, else -1 (type and service ids). */
export function readNodeIdNumeric(c: Cursor): number {
  readNodeId(c);
  return last.ns === 0 ? last.numeric : -1;
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
