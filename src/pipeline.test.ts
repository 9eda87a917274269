// Pipeline glue: dissector selection (port, then probe on any port), the single catch-all at the session boundary,
// gaps reaching the session, ticks and idle expiry by packet time, event order at the end of a flow, UDP datagrams.
import { describe, expect, it } from "vitest";
import type { Dissector, EventBase, FlowEndEvent, GapEvent, WeirdEvent } from "./core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_SYN } from "./core/types.ts";
import { Pipeline } from "./pipeline.ts";
import { newToyLog, packet, toyDissector, toyPdu, type ToyLog } from "./flow/fixtures.ts";
import { Registry } from "./flow/registry.ts";

const C = "10.1.0.1";
const S = "10.1.0.2";
const PSH_ACK = 0x18;

function setup(dissectors: (log: ToyLog) => Dissector[]) {
  const log = newToyLog();
  const events: EventBase[] = [];
  const p = new Pipeline({ dissectors: dissectors(log), onEvent: (e) => events.push(e) });
  return { p, log, events };
}

/** A client that opens a connection and sends `pdus` one per segment, the server answering each with "re:<body>". */
function converse(p: Pipeline, sport: number, dport: number, bodies: string[], t0 = 1, client = C) {
  let cseq = 1000;
  let sseq = 5000;
  let ts = t0;
  p.handlePacket(packet({ src: client, dst: S, sport, dport, ts, flags: TCP_SYN, seq: cseq - 1 }));
  p.handlePacket(packet({ src: S, dst: client, sport: dport, dport: sport, ts, flags: TCP_SYN | TCP_ACK, seq: sseq - 1, ack: cseq }));
  for (const b of bodies) {
    ts += 0.01;
    const req = toyPdu(b);
    p.handlePacket(packet({ src: client, dst: S, sport, dport, ts, flags: PSH_ACK, seq: cseq, ack: sseq, payload: req }));
    cseq += req.length;
    const res = toyPdu(`re:${b}`);
    p.handlePacket(packet({ src: S, dst: client, sport: dport, dport: sport, ts, flags: PSH_ACK, seq: sseq, ack: cseq, payload: res }));
    sseq += res.length;
  }
  return { cseq, sseq, ts };
}

describe("Pipeline dissector selection", () => {
  it("picks the dissector by server port", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000] })]);
    converse(p, 40000, 7000, ["a", "b"]);
    expect(log.pdus.map((x) => `${x.dir}:${x.body}`)).toEqual(["0:a", "1:re:a", "0:b", "1:re:b"]);
    expect(events[0]).toMatchObject({ type: "flow.start", service: "toy" });
    expect(p.counters.get("session.created.toy")).toBe(1);
  });

  it("finds the protocol by content on a non-standard port, and replays the probed bytes to the session", () => {
    const { p, log } = setup((l) => [toyDissector(l, { name: "other", ports: [1] }), toyDissector(l, { ports: [7000] })]);
    // The first dissector in the list also says yes to "TY": list order decides.
    converse(p, 40000, 9999, ["first", "second"]);
    expect(log.pdus.map((x) => x.body)).toEqual(["first", "re:first", "second", "re:second"]);
    expect(p.counters.get("registry.probed.other")).toBe(1);
  });

  it("waits when a probe asks for more bytes, then delivers everything", () => {
    const { p, log } = setup((l) => [toyDissector(l, { ports: [7000] })]);
    const pdu = toyPdu("split");
    p.handlePacket(packet({ src: C, dst: S, sport: 40001, dport: 9999, ts: 1, flags: PSH_ACK, seq: 1, payload: pdu.subarray(0, 1) }));
    p.handlePacket(packet({ src: C, dst: S, sport: 40001, dport: 9999, ts: 1, flags: PSH_ACK, seq: 2, payload: pdu.subarray(1) }));
    expect(log.pdus.map((x) => x.body)).toEqual(["split"]);
  });

  it("gives up on content no probe accepts and counts it", () => {
    const { p, log } = setup((l) => [toyDissector(l, { ports: [7000] })]);
    p.handlePacket(packet({ src: C, dst: S, sport: 40002, dport: 8443, ts: 1, flags: PSH_ACK, seq: 1, payload: "GET / HTTP/1.1\r\n" }));
    p.handlePacket(packet({ src: C, dst: S, sport: 40002, dport: 8443, ts: 1, flags: PSH_ACK, seq: 17, payload: toyPdu("late") }));
    expect(log.pdus).toEqual([]);
    expect(p.counters.get("registry.unidentified.tcp")).toBe(1);
  });

  it("registry: the first dissector to claim a port keeps it; transports are separate", () => {
    const l = newToyLog();
    const a = toyDissector(l, { name: "a", ports: [1, 2] });
    const b = toyDissector(l, { name: "b", ports: [2, 3] });
    const u: Dissector = { ...toyDissector(l, { name: "u", ports: [2] }), transport: "udp" };
    const r = new Registry([a, b, u]);
    expect(r.byPort("tcp", 2)?.name).toBe("a");
    expect(r.byPort("tcp", 3)?.name).toBe("b");
    expect(r.byPort("udp", 2)?.name).toBe("u");
    expect(r.isServerPort("udp", 3)).toBe(false);
    expect(r.candidates("tcp").map((d) => d.name)).toEqual(["a", "b"]);
  });
});

describe("Pipeline session boundary", () => {
  it("catches an exception escaping a session: counted, reported, session detached, other flows unaffected", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000], throwOn: "boom" })]);
    converse(p, 40000, 7000, ["ok", "boom", "after"]);
    converse(p, 40001, 7000, ["x", "y"]);
    expect(p.counters.get("internal.toy.exception")).toBe(1);
    const w = events.filter((e): e is WeirdEvent => e.type === "weird");
    expect(w).toHaveLength(1);
    expect(w[0]).toMatchObject({ proto: "toy", name: "internal-error", flow: "F0" });
    expect(w[0]?.detail).toContain("toy failure on boom");
    expect(log.pdus.filter((x) => x.flow === "F0").map((x) => x.body)).toEqual(["ok", "re:ok"]);
    expect(log.pdus.filter((x) => x.flow === "F1").map((x) => x.body)).toEqual(["x", "re:x", "y", "re:y"]);
    p.finish();
    // The detached session gets no onEnd; the healthy one does.
    expect(log.ends).toEqual(["F1"]);
  });

  it("a throwing probe counts as an internal error and as a 'no'", () => {
    const l = newToyLog();
    const bad: Dissector = { ...toyDissector(l, { name: "bad", ports: [1] }), probe: () => { throw new RangeError("probe bug"); } };
    const events: EventBase[] = [];
    const p = new Pipeline({ dissectors: [bad, toyDissector(l, { ports: [7000] })], onEvent: (e) => events.push(e) });
    converse(p, 40000, 9999, ["z"]);
    expect(p.counters.get("internal.bad.exception")).toBe(1);
    expect(l.pdus.map((x) => x.body)).toEqual(["z", "re:z"]);
  });

  it("a broken decoder frame is caught and counted", () => {
    const { p } = setup(() => []);
    // A frame whose data getter throws stands in for a decoder bug.
    const frame = { index: 1, ts: 1, linkType: 1, iface: 0, origLen: 60, get data(): Uint8Array { throw new Error("bug"); } };
    p.handleFrame(frame);
    expect(p.counters.get("internal.decode.exception")).toBe(1);
    expect(p.packets).toBe(1);
  });
});

describe("Pipeline streams, time and end of flow", () => {
  it("tells the session about a gap (flow.gap event) and the framer resumes at the next PDU", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000] })]);
    const { cseq, sseq, ts } = converse(p, 40000, 7000, ["a"]);
    const lost = toyPdu("lost");
    const next = toyPdu("next");
    // "lost" never reaches the capture; the server's ACK covers it and "next".
    p.handlePacket(packet({ src: C, dst: S, sport: 40000, dport: 7000, ts: ts + 1, flags: PSH_ACK, seq: cseq + lost.length, ack: sseq, payload: next }));
    p.handlePacket(packet({ src: S, dst: C, sport: 7000, dport: 40000, ts: ts + 1, flags: TCP_ACK, seq: sseq, ack: cseq + lost.length + next.length }));
    const gaps = events.filter((e): e is GapEvent => e.type === "flow.gap");
    expect(gaps).toHaveLength(1);
    expect(gaps[0]).toMatchObject({ dir: 0, bytes: lost.length, src: C, dst: S });
    expect(log.gaps).toEqual([{ flow: "F0", dir: 0, bytes: lost.length }]);
    expect(log.pdus.map((x) => x.body)).toEqual(["a", "re:a", "next"]);
  });

  it("ticks sessions once per second of packet time and expires idle flows by packet time", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000], tick: true })]);
    converse(p, 40000, 7000, ["a"], 100);
    const ticks0 = log.ticks;
    // Unrelated traffic advances packet time by 10 s in 0.25 s steps.
    for (let t = 100.25; t <= 110; t += 0.25) p.handlePacket(packet({ src: "10.9.9.9", dst: S, sport: 5353, dport: 5353, ts: t, proto: 17, payload: "x" }));
    expect(log.ticks - ticks0).toBe(10);
    // 300 s of TCP idleness later (packet time), the flow ends as idle.
    p.handlePacket(packet({ src: "10.9.9.9", dst: S, sport: 5353, dport: 5353, ts: 100 + 301, proto: 17, payload: "x" }));
    const ends = events.filter((e): e is FlowEndEvent => e.type === "flow.end");
    expect(ends.map((e) => [e.flow, e.reason])).toContainEqual(["F0", "idle"]);
    expect(log.ends).toEqual(["F0"]);
  });

  it("advance() moves packet time without packets: ticks and idle expiry (live capture during silence)", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000], tick: true })]);
    converse(p, 40000, 7000, ["a"], 100);
    const t0 = log.ticks;
    for (let s = 1; s <= 5; s++) p.advance(100 + s);
    expect(log.ticks - t0).toBe(5);
    p.advance(99); // never backwards
    expect(p.lastTs).toBe(105);
    p.advance(100 + 301);
    expect(events.filter((e): e is FlowEndEvent => e.type === "flow.end").map((e) => e.reason)).toEqual(["idle"]);
  });

  it("emits session events before flow.end, ends TCP on FIN, and everything else at finish as eof", () => {
    const { p, log, events } = setup((l) => [toyDissector(l, { ports: [7000] })]);
    const { cseq, sseq, ts } = converse(p, 40000, 7000, ["a"]);
    converse(p, 40001, 7000, ["b"]);
    p.handlePacket(packet({ src: C, dst: S, sport: 40000, dport: 7000, ts: ts + 1, flags: TCP_FIN | TCP_ACK, seq: cseq, ack: sseq }));
    p.handlePacket(packet({ src: S, dst: C, sport: 7000, dport: 40000, ts: ts + 1, flags: TCP_FIN | TCP_ACK, seq: sseq, ack: cseq + 1 }));
    p.finish();
    const types = events.map((e) => `${e.type}:${e.flow}`);
    expect(types.indexOf("toy:F0")).toBeLessThan(types.indexOf("flow.end:F0"));
    const ends = events.filter((e): e is FlowEndEvent => e.type === "flow.end");
    expect(ends.map((e) => [e.flow, e.reason, e.established])).toEqual([
      ["F0", "fin", true],
      ["F1", "eof", true],
    ]);
    expect(log.ends).toEqual(["F0", "F1"]);
    expect(p.counters.get("flow.active")).toBe(0);
  });

  it("gives a UDP dissector each datagram as one PDU", () => {
    const l = newToyLog();
    const udp: Dissector = { ...toyDissector(l, { name: "utoy", ports: [4000] }), transport: "udp", framing: undefined };
    const events: EventBase[] = [];
    const p = new Pipeline({ dissectors: [udp], onEvent: (e) => events.push(e) });
    p.handlePacket(packet({ src: C, dst: S, sport: 50000, dport: 4000, ts: 1, proto: 17, payload: toyPdu("d1") }));
    p.handlePacket(packet({ src: S, dst: C, sport: 4000, dport: 50000, ts: 1, proto: 17, payload: toyPdu("d2") }));
    p.handlePacket(packet({ src: C, dst: S, sport: 50001, dport: 6000, ts: 1, proto: 17, payload: toyPdu("probed") }));
    expect(l.pdus.map((x) => `${x.flow}:${x.dir}:${x.body}`)).toEqual(["F0:0:d1", "F0:1:d2", "F1:0:probed"]);
    expect(events[0]).toMatchObject({ type: "flow.start", transport: "udp", src: C, dport: 4000 });
  });

  it("surfaces impossible TCP flag combinations as weird events", () => {
    const { p, events } = setup(() => []);
    p.handlePacket(packet({ src: C, dst: S, sport: 40000, dport: 80, ts: 1, flags: TCP_SYN | TCP_FIN }));
    p.handlePacket(packet({ src: C, dst: S, sport: 40001, dport: 80, ts: 1, flags: 0 }));
    const w = events.filter((e): e is WeirdEvent => e.type === "weird").map((e) => [e.proto, e.name]);
    expect(w).toEqual([
      ["tcp", "syn-fin"],
      ["tcp", "null-flags"],
    ]);
  });
});

describe("Pipeline under random input", () => {
  it("survives random TCP/UDP segments (seq, flags, garbage, split PDUs) with no internal error and bounded state", () => {
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    const l = newToyLog();
    const events: EventBase[] = [];
    const p = new Pipeline({
      dissectors: [toyDissector(l, { ports: [7000], tick: true })],
      onEvent: (e) => events.push(e),
      limits: { maxFlows: 50, maxOooSegments: 8, maxOooBytes: 4096 },
    });
    const seqs = new Map<number, number>();
    let maxActive = 0;
    for (let i = 0; i < 30_000; i++) {
      const sport = 40000 + rnd(80);
      const toServer = rnd(2) === 0;
      const dport = [7000, 9999, 502][rnd(3)] as number;
      const kind = rnd(6);
      let payload: Uint8Array;
      if (kind === 0) payload = Uint8Array.from({ length: rnd(40) }, () => rnd(256));
      else if (kind === 1) payload = toyPdu("x".repeat(rnd(30))).subarray(0, 1 + rnd(20));
      else if (kind === 2) payload = Uint8Array.of(0x54, 0x59, rnd(256), rnd(256), 1, 2);
      else payload = toyPdu(`p${i}`);
      const key = sport * 2 + (toServer ? 0 : 1);
      const base = seqs.get(key) ?? rnd(2 ** 32);
      const seq = rnd(10) === 0 ? rnd(2 ** 32) : (base + (rnd(5) === 0 ? rnd(3000) - 1000 : 0)) >>> 0;
      seqs.set(key, (seq + payload.length) >>> 0);
      const flags = [0x18, 0x10, 0x02, 0x12, 0x11, 0x04, 0x00, 0x03][rnd(8)] as number;
      const pk = toServer
        ? packet({ src: C, dst: S, sport, dport, ts: i * 0.05, flags, seq, ack: rnd(2 ** 32), payload })
        : packet({ src: S, dst: C, sport: dport, dport: sport, ts: i * 0.05, flags, seq, ack: rnd(2 ** 32), payload });
      if (rnd(20) === 0) pk.proto = 17;
      p.handlePacket(pk);
      maxActive = Math.max(maxActive, p.activeFlows);
    }
    expect(maxActive).toBe(50);
    p.finish();
    expect(p.bufferedBytes).toEqual({ ooo: 0, assembly: 0 });
    expect(p.counters.sum("internal.")).toBe(0);
    expect(p.counters.get("flow.evicted") + p.counters.get("flow.expired.idle")).toBeGreaterThan(0);
    expect(p.counters.get("tcp.gap")).toBeGreaterThan(0);
    expect(l.pdus.length).toBeGreaterThan(1000);
    const starts = events.filter((e) => e.type === "flow.start").length;
    expect(events.filter((e) => e.type === "flow.end").length).toBe(starts);
  });
});
