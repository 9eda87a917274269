// The NodeId text cache of node-id.ts (string, guid and opaque identifiers): every text equal to the uncached decoding
// (UTF-8 via Cursor.string(), then "ns=<n>;s=<id>"; RFC 4122 text of the guid; base64 of the opaque bytes), whatever the
// order, after eviction, for identifiers sharing a slot, for odd bytes and long ids.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { Cursor, type NodeIdTrace } from "./cursor.ts";
import { readExpandedNodeId, readNodeId, hashIdentifier, NODE_TEXT_MAX_BYTES, NODE_TEXT_SLOTS } from "./node-id.ts";

/** A string NodeId (encoding 3) with raw identifier bytes, null when undefined. */
function encode(ns: number, id: Uint8Array | undefined): Uint8Array {
  const n = id === undefined ? -1 : id.length;
  const out = new Uint8Array(7 + Math.max(n, 0));
  const v = new DataView(out.buffer);
  out[0] = 3;
  v.setUint16(1, ns, true);
  v.setInt32(3, n, true);
  if (id) out.set(id, 7);
  return out;
}

/** The text as decoded without any cache. */
function uncached(ns: number, id: Uint8Array | undefined): string {
  const b = new Uint8Array(4 + (id?.length ?? 0));
  new DataView(b.buffer).setInt32(0, id === undefined ? -1 : id.length, true);
  if (id) b.set(id, 4);
  const str = new Cursor(b).string() ?? "";
  return ns === 0 ? `s=${str}` : `ns=${ns};s=${str}`;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function check(cases: readonly { ns: number; id: Uint8Array | undefined }[]): void {
  const bad: string[] = [];
  for (const { ns, id } of cases) {
    const c = new Cursor(encode(ns, id));
    const got = readNodeId(c);
    if (got !== uncached(ns, id) || c.remaining !== 0) bad.push(`${ns} ${JSON.stringify(uncached(ns, id))} → ${JSON.stringify(got)}`);
  }
  expect(bad.slice(0, 5)).toEqual([]);
}

describe("NodeId text cache", () => {
  it("returns the uncached text for repeated, evicted and re-read identifiers in any order", () => {
    const ids = Array.from({ length: 3 * NODE_TEXT_SLOTS }, (_, i) => ({ ns: i % 4, id: utf8(`Line${i % 7}.Tag${i}.Value`) }));
    let seed = 7;
    const next = (): number => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const order = Array.from({ length: 20000 }, () => ids[next() % ids.length]!);
    check(order);
    check(ids);
    check(ids.slice().reverse());
  });
  it("keeps identifiers that share a slot apart (same slot, different bytes, namespaces or lengths)", () => {
    // Find identifiers of equal length that hash to the same slot as "Pump1.Speed" in namespace 1.
    const target = utf8("Pump1.Speed");
    const slot = hashIdentifier(3, 1, target, 0, target.length);
    const mates: Uint8Array[] = [];
    for (let i = 0; mates.length < 3 && i < 1_000_000; i++) {
      const b = utf8(`Pump${String(i).padStart(6, "0")}`.slice(0, target.length));
      if (hashIdentifier(3, 1, b, 0, b.length) === slot && b.join() !== target.join()) mates.push(b);
    }
    expect(mates.length).toBe(3);
    const cases = [target, ...mates].flatMap((id) => [{ ns: 1, id }, { ns: 1, id }]);
    check([...cases, ...cases.reverse(), { ns: 2, id: target }, { ns: 1, id: target }, { ns: 0, id: target }]);
  });
  it("decodes odd bytes exactly as Cursor.string(): BOM, invalid UTF-8, empty, null, over-long identifiers", () => {
    const cases = [
      { ns: 1, id: new Uint8Array([0xef, 0xbb, 0xbf, 0x41]) }, // BOM: TextDecoder drops it
      { ns: 1, id: new Uint8Array([0x41]) }, // same as above without the BOM
      { ns: 1, id: new Uint8Array([0xff, 0xc3, 0x28, 0x41]) },
      { ns: 1, id: new Uint8Array(0) },
      { ns: 1, id: undefined },
      { ns: 0, id: undefined },
      { ns: 65535, id: utf8("Ünïcødé.タグ") },
      { ns: 3, id: utf8("x".repeat(NODE_TEXT_MAX_BYTES)) },
      { ns: 3, id: utf8("y".repeat(NODE_TEXT_MAX_BYTES + 1)) },
    ];
    check([...cases, ...cases, ...cases]);
  });
  it("traces the identifier on a cache hit as on a miss, and works inside ExpandedNodeIds", () => {
    for (let round = 0; round < 2; round++) {
      const c = new Cursor(encode(4, utf8("Boiler.Temp")));
      const trace: NodeIdTrace[] = (c.trace = []);
      expect(readNodeId(c)).toBe("ns=4;s=Boiler.Temp");
      expect(trace).toEqual([{ mask: 3, ns: 4, numeric: undefined, str: "Boiler.Temp" }]);
    }
    const e = encode(4, utf8("Boiler.Temp"));
    e[0] = 0x43; // ServerIndex follows
    const c = new Cursor(new Uint8Array([...e, 2, 0, 0, 0]));
    expect(readExpandedNodeId(c)).toBe("svr=2;ns=4;s=Boiler.Temp");
  });
  it("returns the uncached texts of guid and opaque identifiers, also when they share slots with string ones", () => {
    const rand = (n: number, seed: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (seed * 131 + i * 71 + (seed >> 3)) & 0xff);
    const guidText = (g: Uint8Array): string => {
      const v = new DataView(g.buffer, g.byteOffset, 16);
      const h = (x: number, w: number): string => x.toString(16).padStart(w, "0");
      const d4 = Buffer.from(g.subarray(8)).toString("hex");
      return `${h(v.getUint32(0, true), 8)}-${h(v.getUint16(4, true), 4)}-${h(v.getUint16(6, true), 4)}-${d4.slice(0, 4)}-${d4.slice(4)}`;
    };
    const cases: { bytes: Uint8Array; text: string }[] = [];
    for (let i = 0; i < 3 * NODE_TEXT_SLOTS; i++) {
      const ns = i % 3;
      const pre = ns === 0 ? "" : `ns=${ns};`;
      const g = rand(16, i);
      const o = rand(i % 40, i);
      cases.push({ bytes: Uint8Array.from([4, ns, 0, ...g]), text: `${pre}g=${guidText(g)}` });
      cases.push({ bytes: encode(ns, o).map((x, k) => (k === 0 ? 5 : x)), text: `${pre}b=${Buffer.from(o).toString("base64")}` });
      cases.push({ bytes: encode(ns, o.map((x) => 0x41 + (x % 26))), text: uncached(ns, o.map((x) => 0x41 + (x % 26))) });
    }
    cases.push({ bytes: Uint8Array.from([5, 1, 0, 0xff, 0xff, 0xff, 0xff]), text: "ns=1;b=" });
    const bad: string[] = [];
    for (const round of [cases, cases.slice().reverse(), cases]) {
      for (const { bytes, text } of round) {
        const c = new Cursor(bytes);
        const got = readNodeId(c);
        if (got !== text || c.remaining !== 0) bad.push(`${text} → ${got}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
  it("fails a truncated guid as before the cache", () => {
    expect(() => readNodeId(new Cursor(Uint8Array.from([4, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10])))).toThrow("need 8 bytes at 11, have 2");
    expect(() => readNodeId(new Cursor(Uint8Array.from([4, 0, 0, 1, 2])))).toThrow("need 4 bytes at 3, have 2");
  });
  it("fails a truncated identifier as before the cache", () => {
    const b = encode(1, utf8("Pump1.Speed")).subarray(0, 12);
    expect(() => readNodeId(new Cursor(b))).toThrow("need 11 bytes at 7, have 5");
  });
});
