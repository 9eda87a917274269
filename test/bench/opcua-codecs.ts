// Speed of the OPC UA service body codecs alone (protocols/opcua/message.ts decodeMessage and what it calls):
// `tsx test/bench/opcua-codecs.ts <capture> [--passes N] [--hash] [--only <typeId,…>] [--values]`.
// The capture goes through the real pipeline once, with the OPC UA dissector's sessions wrapped so every UA TCP message
// (what the framing hands to onPdu) is copied; then, offline, each unencrypted single-chunk ('F') OPN/MSG/CLO message is cut
// into its body with readSecureChunk, and the bodies are decoded again and again with one reused cursor and result, as a
// session does. Prints ns per message per type id (best of N passes after a warm-up) and the total decode time per pass.
// --hash: a SHA-256 of the JSON of every decoded message (typeId, kind, requestHandle, serviceResult, details, open*,
// malformed, skipped), to prove a change leaves every output byte as it was. --values: Read responses (634) timed apart by
// the built-in types of their values (where a Read response's time goes).
import { createHash } from "node:crypto";
import { parseArgs } from "node:util";
import { Counters } from "../../src/core/counters.ts";
import type { Dir, Dissector, FlowInfo, ProtocolSession, SessionContext } from "../../src/core/types.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/dissectors.ts";
import { opcuaDissector } from "../../protocols/opcua/index.ts";
import { decodeMessage, newDecodedMessage, type DecodedMessage } from "../../protocols/opcua/message.ts";
import { lookupService, serviceName } from "../../protocols/opcua/services/registry.ts";
import { readSecureChunk } from "../../protocols/opcua/transport.ts";
import { messageTypeOf, SECURITY_POLICY_NONE } from "../../protocols/opcua/constants.ts";
import { Cursor } from "../../protocols/opcua/types/cursor.ts";

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: { passes: { type: "string" }, hash: { type: "boolean" }, only: { type: "string" }, values: { type: "boolean" } },
});
const file = positionals[0];
if (file === undefined) {
  console.error("usage: opcua-codecs.ts <capture> [--passes N] [--hash] [--only typeId,…]");
  process.exit(2);
}
const passes = Number(opt.passes ?? 10);

// 1. Record the UA TCP messages of the capture through the real pipeline.
const pdus: Uint8Array[] = [];
const recording: Dissector = {
  ...opcuaDissector,
  createSession(flow: FlowInfo): ProtocolSession {
    const inner = opcuaDissector.createSession(flow);
    return {
      onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext) {
        pdus.push(pdu.slice());
        inner.onPdu(dir, pdu, ctx);
      },
      onGap: inner.onGap?.bind(inner),
      onTick: inner.onTick?.bind(inner),
      onEnd: (ctx: SessionContext) => inner.onEnd(ctx),
    };
  },
};
const counters = new Counters();
const pipeline = new Pipeline({ dissectors: dissectors.map((d) => (d === opcuaDissector ? recording : d)), onEvent: () => {}, counters });
await readCapture(file, pipeline.handleFrame.bind(pipeline), counters);
pipeline.finish();

// 2. Bodies of single-chunk clear messages (OPN only with policy None: otherwise its body is ciphertext).
const bodies: Uint8Array[] = [];
for (const pdu of pdus) {
  const type = messageTypeOf(pdu[0] ?? 0, pdu[1] ?? 0, pdu[2] ?? 0);
  if (type !== "OPN" && type !== "MSG" && type !== "CLO") continue;
  try {
    const sc = readSecureChunk(pdu, type, false);
    if (sc.chunk !== "F") continue;
    if (type === "OPN" && sc.policyUri !== SECURITY_POLICY_NONE) continue;
    bodies.push(sc.body.slice());
  } catch {
    // a truncated header: not a body
  }
}
const only = opt.only?.split(",").map(Number);
const cursor = new Cursor(new Uint8Array(0));
const out = newDecodedMessage();
const groups = new Map<number, Uint8Array[]>();
for (const b of bodies) {
  const id = decodeMessage(b, false, cursor, out).typeId;
  if (only && !only.includes(id)) continue;
  let g = groups.get(id);
  if (!g) groups.set(id, (g = []));
  g.push(b);
}
// Each group's bodies packed into one buffer, in order: a pass reads memory sequentially, as a session reads a PDU it has
// just copied (bodies scattered over the heap made the first byte of each a cache miss, ≈10 % of the time measured).
for (const [id, g] of groups) {
  const packed = new Uint8Array(g.reduce((n, b) => n + b.length, 0));
  let off = 0;
  groups.set(id, g.map((b) => {
    packed.set(b, off);
    off += b.length;
    return packed.subarray(off - b.length, off);
  }));
}
const all = [...groups.values()].flat();
console.log(`${file}: ${pdus.length} UA TCP messages, ${bodies.length} bodies, ${all.length} timed, ${groups.size} types`);

// Read responses by the types of their values ("Double|UInt16|Boolean", "NodeId[]"), each group timed on its own.
function readResponseTypes(): Map<string, Uint8Array[]> {
  const byTypes = new Map<string, Uint8Array[]>();
  for (const b of groups.get(634) ?? []) {
    const values = decodeMessage(b, false, cursor, out).details?.values ?? [];
    const key = values.map((v) => v.type.replace(/\[.*$/, "[]")).join("|") || "-";
    let g = byTypes.get(key);
    if (!g) byTypes.set(key, (g = []));
    g.push(b);
  }
  return byTypes;
}

// 3. Hash of every output, in capture order.
if (opt.hash === true) {
  const h = createHash("sha256");
  const bigint = (_k: string, v: unknown): unknown => (typeof v === "bigint" ? `${v}n` : v);
  for (const b of bodies) {
    const m: DecodedMessage = decodeMessage(b, false, cursor, out);
    h.update(JSON.stringify([m.typeId, m.kind, m.requestHandle, m.serviceResult, m.details, m.openRequest, m.openResponse,
      m.malformed, m.skipped], bigint));
    h.update("\n");
  }
  console.log(`hash ${h.digest("hex")}`);
}

// 4. Timing: a pass decodes every body of every group; per group the best pass counts (the machine is shared).
let sink = 0;
function timeGroup(list: readonly Uint8Array[]): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < list.length; i++) sink += decodeMessage(list[i]!, false, cursor, out).skipped;
  return Number(process.hrtime.bigint() - t0);
}
for (let w = 0; w < 3; w++) for (const g of groups.values()) timeGroup(g);
if (opt.values === true) {
  const byTypes = readResponseTypes();
  const bestByTypes = new Map<string, number>();
  for (let w = 0; w < 3; w++) for (const g of byTypes.values()) timeGroup(g);
  for (let p = 0; p < passes; p++) for (const [k, g] of byTypes) bestByTypes.set(k, Math.min(bestByTypes.get(k) ?? Infinity, timeGroup(g)));
  console.log("Read responses by value types:");
  for (const [k, g] of [...byTypes].sort((a, b) => (bestByTypes.get(b[0]) ?? 0) - (bestByTypes.get(a[0]) ?? 0))) {
    const ns = bestByTypes.get(k) ?? 0;
    const label = k.length > 40 ? `${k.slice(0, 37)}…` : k;
    console.log(`  ${label.padEnd(40)} ${String(g.length).padStart(7)} ${(ns / g.length).toFixed(0).padStart(7)} ns ${(ns / 1e6).toFixed(2).padStart(7)} ms`);
  }
}
const best = new Map<number, number>();
let bestTotal = Infinity;
for (let p = 0; p < passes; p++) {
  let total = 0;
  for (const [id, g] of groups) {
    const ns = timeGroup(g);
    total += ns;
    best.set(id, Math.min(best.get(id) ?? Infinity, ns));
  }
  bestTotal = Math.min(bestTotal, total);
}
const rows = [...groups].sort((a, b) => (best.get(b[0]) ?? 0) - (best.get(a[0]) ?? 0));
console.log(`${"type".padEnd(7)} ${"service".padEnd(30)} ${"count".padStart(8)} ${"ns/msg".padStart(8)} ${"ms/pass".padStart(8)}`);
for (const [id, g] of rows) {
  const ns = best.get(id) ?? 0;
  const kind = lookupService(id)?.kind;
  const name = `${serviceName(id)}${kind === "request" ? " rq" : kind === "response" ? " rs" : ""}`;
  console.log(`${String(id).padEnd(7)} ${name.padEnd(30)} ${String(g.length).padStart(8)} ${(ns / g.length).toFixed(0).padStart(8)} ${(ns / 1e6).toFixed(2).padStart(8)}`);
}
console.log(`total: ${(bestTotal / 1e6).toFixed(2)} ms per pass (best of ${passes}), ${(bestTotal / all.length).toFixed(0)} ns/msg; sink ${sink}`);
