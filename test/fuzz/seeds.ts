// Seed messages per dissector for the fuzzer: valid messages that reach deep into each decoder, with their length and
// count fields marked for the "absurd length" mutation.
// - Modbus/TCP: a request and a response of every public function code (Modbus Application Protocol v1.1b3 §6,
//   MBAP per Modbus Messaging on TCP/IP §3.1.3), exceptions, a vendor code, plus every TCP payload of the shared captures.
// - OPC UA: every TCP payload and every whole message of the shared OPC UA captures (HEL/ACK/OPN/MSG/CLO with real
//   service bodies, Part 6 §7.1), some of them re-cut into multi-chunk messages (§6.7.2), plus built HEL/ACK/ERR/OPN.
// - DNS (RFC 1035 §4.1), HTTP/1.1 (RFC 9112), TLS ClientHello/ServerHello (RFC 8446 §4.1.2–4.1.3): built here.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Counters } from "../../src/core/counters.ts";
import type { Dir } from "../../src/core/types.ts";
import { CaptureReader } from "../../src/capture/reader.ts";
import { createPacket, decodeFrame } from "../../src/decode/index.ts";
import { adu, ascii } from "../../protocols/modbus/fixtures.ts";
import { ack, err, hel, openRequest, opn } from "../../protocols/opcua/fixtures.ts";
import { concat, u16, u32 } from "../fixtures/capture-builder.ts";
import { sharedPath } from "../helpers/shared.ts";
import type { LengthField, Seed } from "./mutate.ts";

const be = (off: number, size: 1 | 2 | 3 | 4): LengthField => ({ off, size, le: false });
const le = (off: number, size: 1 | 2 | 3 | 4): LengthField => ({ off, size, le: true });

/** TCP/UDP payloads to or from `port` in every capture of a shared folder; dir 0 when sent to the port. */
export function capturePayloads(folder: string, port: number): { dir: Dir; bytes: Uint8Array; flow: string }[] {
  const dir = sharedPath("pcaps", folder);
  const out: { dir: Dir; bytes: Uint8Array; flow: string }[] = [];
  const pkt = createPacket();
  const counters = new Counters();
  for (const f of readdirSync(dir).sort()) {
    if (!/\.(pcap|pcapng|cap)$/.test(f)) continue;
    const reader = new CaptureReader((frame) => {
      if (!decodeFrame(frame, pkt, counters) || pkt.payload.length === 0) return;
      const d: Dir | undefined = pkt.dstPort === port ? 0 : pkt.srcPort === port ? 1 : undefined;
      if (d === undefined) return;
      const flow = `${f}/${d === 0 ? pkt.srcPort : pkt.dstPort}/${d}`;
      out.push({ dir: d, bytes: pkt.payload.slice(), flow });
    }, counters);
    reader.push(new Uint8Array(readFileSync(join(dir, f))));
    reader.end();
  }
  return out;
}

/**
 * Whole messages: the payloads of each flow direction joined in capture order and cut where `pduLength` says (-1 when
 * the header is impossible: that direction's rest is dropped). Segment-cut payloads then become complete messages.
 */
export function captureMessages(folder: string, port: number, headerLen: number, pduLength: (b: Uint8Array) => number): { dir: Dir; bytes: Uint8Array }[] {
  const streams = new Map<string, { dir: Dir; parts: Uint8Array[] }>();
  for (const p of capturePayloads(folder, port)) {
    const s = streams.get(p.flow) ?? { dir: p.dir, parts: [] };
    s.parts.push(p.bytes);
    streams.set(p.flow, s);
  }
  const out: { dir: Dir; bytes: Uint8Array }[] = [];
  const seen = new Set<string>();
  for (const { dir, parts } of streams.values()) {
    const all = concat(...parts);
    let o = 0;
    while (o + headerLen <= all.length) {
      const n = pduLength(all.subarray(o, o + headerLen));
      if (n < headerLen || o + n > all.length) break;
      const msg = all.slice(o, o + n);
      const key = Buffer.from(msg).toString("hex");
      if (!seen.has(key)) {
        seen.add(key);
        out.push({ dir, bytes: msg });
      }
      o += n;
    }
  }
  return out;
}

// Function code → [request PDU, response PDU] (hex, function code first).
const MODBUS_PDUS: readonly (readonly [string, string])[] = [
  ["01 0013 0013", "01 03 cd6b05"],
  ["02 00c4 0016", "02 03 acdb35"],
  ["03 006b 0003", "03 06 022b 0000 0064"],
  ["04 0008 0001", "04 02 000a"],
  ["05 00ac ff00", "05 00ac ff00"],
  ["06 0001 0003", "06 0001 0003"],
  ["07", "07 6d"],
  ["08 0000 a537", "08 0000 a537"],
  ["08 000a 0000", "08 000a 0000"],
  ["08 000b 0000", "08 000b 0123"],
  ["0b", "0b 0000 0108"],
  ["0c", "0c 08 0000 0108 0121 2000"],
  ["0f 0013 000a 02 cd01", "0f 0013 000a"],
  ["10 0001 0002 04 000a 0102", "10 0001 0002"],
  ["11", "11 03 4142 ff"],
  ["14 0e 06 0004 0001 0002 06 0003 0009 0002", "14 0c 05 06 0df3 0000 05 06 33cd 0040"],
  ["15 0d 06 0004 0007 0003 06af 04be 100d", "15 0d 06 0004 0007 0003 06af 04be 100d"],
  ["16 0004 00f2 0025", "16 0004 00f2 0025"],
  ["17 0003 0006 000e 0003 06 00ff 00ff 00ff", "17 0c 00fe 0acd 0001 0003 000d 00ff"],
  ["18 04de", "18 0006 0002 01b8 1284"],
  ["2b 0e 01 00", `2b 0e 01 01 00 00 03 00 05 ${ascii("Vendr")} 01 04 ${ascii("P-01")} 02 04 ${ascii("v1.2")}`],
  ["2b 0e 04 05", `2b 0e 04 01 00 00 01 05 03 ${ascii("abc")}`],
  ["2b 0d 00 01 02 03", "2b 0d 00 01 02 03"],
  ["03 0000 007d", `03 fa ${"00".repeat(250)}`],
  ["5a 01 02 03 04", "5a 00 01"],
  ["41 00", "c1 01"],
  ["03 ffff 0001", "83 02"],
  ["10 0000 0001 02 0000", "90 04"],
];

/** MBAP length, then the PDU's byte count / quantity fields where the function code has them. */
function modbusLengths(pdu: Uint8Array, isRequest: boolean): LengthField[] {
  const out: LengthField[] = [be(4, 2)];
  const fc = pdu[7] ?? 0;
  if (isRequest && fc >= 1 && fc <= 4) out.push(be(10, 2));
  if (isRequest && (fc === 15 || fc === 16)) out.push(be(10, 2), be(12, 1));
  if (!isRequest && fc >= 1 && fc <= 4) out.push(be(8, 1));
  if (fc === 20 || fc === 21 || fc === 23 || fc === 12 || fc === 17) out.push(be(8, 1));
  return out;
}

export function modbusSeeds(): Seed[] {
  const seeds: Seed[] = [];
  MODBUS_PDUS.forEach(([req, resp], i) => {
    const q = adu(0x100 + i, 1 + (i % 3), req);
    const r = adu(0x100 + i, 1 + (i % 3), resp);
    seeds.push({ dir: 0, bytes: q, lengths: modbusLengths(q, true) }, { dir: 1, bytes: r, lengths: modbusLengths(r, false) });
  });
  seeds.push({ dir: 0, bytes: adu(7, 1, "03 0000 0001", 0x1234), lengths: [be(4, 2)] });
  const mbapLength = (h: Uint8Array): number => 6 + (((h[4] ?? 0) << 8) | (h[5] ?? 0));
  // One real message per (direction, function code, length): the big capture repeats a few polls thousands of times.
  const kinds = new Set<string>();
  for (const p of captureMessages("modbus", 502, 7, mbapLength)) {
    const kind = `${p.dir}/${p.bytes[7]}/${p.bytes.length}`;
    if (kinds.has(kind)) continue;
    kinds.add(kind);
    seeds.push({ ...p, lengths: modbusLengths(p.bytes, p.dir === 0) });
  }
  return seeds;
}

/** UA TCP message size, then the first string/array length of the message type where it is known (Part 6 §7.1.2). */
function opcuaLengths(b: Uint8Array): LengthField[] {
  const type = String.fromCharCode(b[0] ?? 0, b[1] ?? 0, b[2] ?? 0);
  const out: LengthField[] = [le(4, 4)];
  if (type === "HEL") out.push(le(28, 4));
  if (type === "ERR") out.push(le(12, 4));
  if (type === "OPN") out.push(le(12, 4));
  // MSG/CLO: after the symmetric and sequence headers and the 4-byte type NodeId comes the request header, whose
  // authentication token, audit entry id and additional header hold lengths; the mutator's "absurd-word" covers the rest.
  if ((type === "MSG" || type === "CLO") && b.length > 32) out.push(le(28, 4), le(b.length - 8, 4), le(b.length - 4, 4));
  return out;
}

export function opcuaSeeds(): Seed[] {
  const built = [
    { dir: 0 as Dir, bytes: hel("opc.tcp://plc.example:4840/ua") },
    { dir: 1 as Dir, bytes: ack() },
    { dir: 1 as Dir, bytes: err(0x80010000, "BadUnexpectedError") },
    { dir: 0 as Dir, bytes: opn(0, 1, openRequest(1, 0, 1, 600000)) },
  ];
  const uaSize = (h: Uint8Array): number => new DataView(h.buffer, h.byteOffset, 8).getUint32(4, true);
  const whole = captureMessages("opcua", 4840, 8, uaSize);
  // Raw segments too: a few captures start mid-message or have gaps, which whole-message cutting drops.
  const raw = capturePayloads("opcua", 4840).map(({ dir, bytes }) => ({ dir, bytes }));
  // Multi-chunk messages (Part 6 §6.7.2: C … C F, or C … A to abort), rare in the captures: every 8th whole MSG again
  // as 2–4 chunks; one seed holds the whole chunk sequence.
  const chunked = whole
    .filter((m, i) => i % 8 === 0 && m.bytes.length > 40 && String.fromCharCode(...m.bytes.subarray(0, 4)) === "MSGF")
    .map((m, i) => ({ dir: m.dir, bytes: rechunk(m.bytes, 2 + (i % 3), i % 5 === 4) }));
  return [...built, ...whole, ...chunked, ...raw].map((p) => ({ dir: p.dir, bytes: p.bytes, lengths: opcuaLengths(p.bytes) }));
}

/** One MSG chunk cut into `parts` chunks with their own headers and sequence numbers; the last is F, or A (abort). */
function rechunk(msg: Uint8Array, parts: number, abort: boolean): Uint8Array {
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const channel = v.getUint32(8, true);
  const token = v.getUint32(12, true);
  const seq = v.getUint32(16, true);
  const requestId = v.getUint32(20, true);
  const body = msg.subarray(24);
  const step = Math.ceil(body.length / parts);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < parts; i++) {
    const part = body.subarray(i * step, Math.min(body.length, (i + 1) * step));
    const last = i === parts - 1;
    const out = new Uint8Array(24 + part.length);
    const w = new DataView(out.buffer);
    out.set([0x4d, 0x53, 0x47, last ? (abort ? 0x41 : 0x46) : 0x43]);
    w.setUint32(4, out.length, true);
    w.setUint32(8, channel, true);
    w.setUint32(12, token, true);
    w.setUint32(16, (seq + i) >>> 0, true);
    w.setUint32(20, requestId, true);
    out.set(part, 24);
    chunks.push(out);
  }
  return concat(...chunks);
}

function dnsName(name: string): Uint8Array {
  return concat(...name.split(".").map((l) => concat(Uint8Array.of(l.length), new TextEncoder().encode(l))), Uint8Array.of(0));
}

function dnsRr(name: Uint8Array, type: number, rdata: Uint8Array): Uint8Array {
  return concat(name, u16(type), u16(1), u32(300), u16(rdata.length), rdata);
}

/** DNS messages (RFC 1035 §4.1): queries and answers with A, AAAA, CNAME (with a compression pointer), TXT, MX. */
function dnsMessages(): { dir: Dir; bytes: Uint8Array; lengths: LengthField[] }[] {
  const counts: LengthField[] = [be(4, 2), be(6, 2), be(8, 2), be(10, 2)];
  const q = (id: number, name: string, type: number): Uint8Array => concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName(name), u16(type), u16(1));
  const ptr = Uint8Array.of(0xc0, 0x0c);
  const answer = concat(
    u16(0x1234), u16(0x8180), u16(1), u16(4), u16(0), u16(1),
    dnsName("historian.plant.example"), u16(1), u16(1),
    dnsRr(ptr, 5, concat(Uint8Array.of(3), new TextEncoder().encode("srv"), ptr)),
    dnsRr(ptr, 1, Uint8Array.of(10, 1, 2, 3)),
    dnsRr(ptr, 28, new Uint8Array(16).fill(0x20)),
    dnsRr(ptr, 16, concat(Uint8Array.of(5), new TextEncoder().encode("hello"))),
    dnsRr(ptr, 15, concat(u16(10), ptr)),
  );
  const nx = concat(u16(0x4321), u16(0x8183), u16(1), u16(0), u16(0), u16(0), dnsName("nope.example"), u16(1), u16(1));
  return [
    { dir: 0, bytes: q(0x1234, "historian.plant.example", 1), lengths: counts },
    { dir: 0, bytes: q(0x2222, "example.com", 28), lengths: counts },
    { dir: 1, bytes: answer, lengths: [...counts, be(answer.length - 4 - 2 - 2 - 4 - 2 - 2, 2)] },
    { dir: 1, bytes: nx, lengths: counts },
  ];
}

export function dnsSeeds(): Seed[] {
  return dnsMessages();
}

/** The same messages over TCP (RFC 7766): each preceded by its 2-byte length. */
export function dnsTcpSeeds(): Seed[] {
  return dnsMessages().map((m) => ({
    dir: m.dir,
    bytes: concat(u16(m.bytes.length), m.bytes),
    lengths: [be(0, 2), ...m.lengths.map((f) => ({ ...f, off: f.off + 2 }))],
  }));
}

export function httpSeeds(): Seed[] {
  const t = (s: string): Uint8Array => new TextEncoder().encode(s);
  const msgs: [Dir, string][] = [
    [0, "GET /api/v1/tags?plant=1 HTTP/1.1\r\nHost: historian.example\r\nUser-Agent: otwatch-fuzz/1.0\r\nAccept: */*\r\n\r\n"],
    [0, "POST /login HTTP/1.1\r\nHost: hmi.example\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 27\r\n\r\nuser=operator&pass=secret12"],
    [0, "PUT /files/recipe.csv HTTP/1.1\r\nHost: hmi.example\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"],
    [1, "HTTP/1.1 200 OK\r\nServer: lighttpd\r\nContent-Type: text/html\r\nContent-Length: 13\r\n\r\n<html></html>"],
    [1, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n"],
    [1, "HTTP/1.0 404 Not Found\r\nConnection: close\r\n\r\n"],
    [1, "HTTP/1.1 304 Not Modified\r\nETag: \"abc\"\r\n\r\n"],
  ];
  return msgs.map(([dir, s]) => ({ dir, bytes: t(s), lengths: [], text: true }));
}

function ext(type: number, body: Uint8Array): Uint8Array {
  return concat(u16(type), u16(body.length), body);
}

function handshakeRecord(hsType: number, body: Uint8Array): Uint8Array {
  const hs = concat(Uint8Array.of(hsType, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff), body);
  return concat(Uint8Array.of(0x16, 3, 1), u16(hs.length), hs);
}

export function tlsSeeds(): Seed[] {
  const sni = new TextEncoder().encode("scada.plant.example");
  const exts = concat(
    ext(0x0a0a, new Uint8Array(0)),
    ext(0, concat(u16(sni.length + 3), Uint8Array.of(0), u16(sni.length), sni)),
    ext(10, concat(u16(6), u16(0x001d), u16(0x0017), u16(0x0018))),
    ext(11, Uint8Array.of(1, 0)),
    ext(13, concat(u16(4), u16(0x0403), u16(0x0804))),
    ext(16, concat(u16(9), Uint8Array.of(2), new TextEncoder().encode("h2"), Uint8Array.of(5), new TextEncoder().encode("mqtt/"))),
    ext(43, Uint8Array.of(4, 3, 4, 3, 3)),
  );
  const chBody = concat(u16(0x0303), new Uint8Array(32).fill(7), Uint8Array.of(32), new Uint8Array(32).fill(9),
    concat(u16(6), u16(0x1301), u16(0xc02f), u16(0x009c)), Uint8Array.of(1, 0), u16(exts.length), exts);
  const shExts = concat(ext(43, u16(0x0304)), ext(16, concat(u16(3), Uint8Array.of(2), new TextEncoder().encode("h2"))));
  const shBody = concat(u16(0x0303), new Uint8Array(32).fill(3), Uint8Array.of(0), u16(0x1301), Uint8Array.of(0), u16(shExts.length), shExts);
  const ch = handshakeRecord(1, chBody);
  const sh = handshakeRecord(2, shBody);
  // Record length, handshake length, session id length, cipher list length, extensions length.
  const chLens = [be(3, 2), be(6, 3), be(43, 1), be(76, 2), be(76 + 2 + 6 + 2, 2)];
  const shLens = [be(3, 2), be(6, 3), be(43, 1), be(47, 2)];
  const ccs = Uint8Array.of(0x14, 3, 3, 0, 1, 1);
  const app = concat(Uint8Array.of(0x17, 3, 3), u16(24), new Uint8Array(24).fill(0xaa));
  const alert = Uint8Array.of(0x15, 3, 3, 0, 2, 2, 40);
  return [
    { dir: 0, bytes: ch, lengths: chLens },
    { dir: 1, bytes: sh, lengths: shLens },
    { dir: 1, bytes: ccs, lengths: [be(3, 2)] },
    { dir: 0, bytes: app, lengths: [be(3, 2)] },
    { dir: 1, bytes: app, lengths: [be(3, 2)] },
    { dir: 1, bytes: alert, lengths: [be(3, 2)] },
  ];
}
