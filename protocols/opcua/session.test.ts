// Session behaviour: HEL/ACK/ERR, secure channel open/renew/close, request/response pairing by request id, faults,
// unsolicited responses, timeouts by packet time, flood bound, chunk reassembly (C,C,F and abort A), encrypted and
// signed-only channels, malformed bodies.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { OPCUA_MAX_CHUNKS, OPCUA_MAX_PENDING, OPCUA_REQUEST_TIMEOUT_S } from "./constants.ts";
import type {
  OpcuaChannelEvent, OpcuaErrorEvent, OpcuaHelloEvent, OpcuaSecureMessageEvent, OpcuaServiceEvent,
} from "./events.ts";
import { ack, err, FLOW, hel, msg, openRequest, openResponse, opn, RecordingContext, sealed, w } from "./fixtures.ts";
import { OpcuaSession } from "./session.ts";

const BASIC = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

function setup(): { s: OpcuaSession; ctx: RecordingContext; at: (frame: number, ts: number) => RecordingContext } {
  const s = new OpcuaSession(FLOW);
  const ctx = new RecordingContext();
  const at = (frame: number, ts: number): RecordingContext => {
    ctx.frame = frame;
    ctx.ts = ts;
    return ctx;
  };
  return { s, ctx, at };
}

/** Opens a None channel 7 with token 3 (frames 1–2). */
function openNone(s: OpcuaSession, at: (f: number, t: number) => RecordingContext): void {
  s.onPdu(0, opn(0, 1, openRequest(0, 0, 1, 600000)), at(1, 1000));
  s.onPdu(1, opn(7, 1, openResponse(0, 7, 3)), at(2, 1000.001));
}

const readRequest = (handle: number, node = 85): Uint8Array =>
  w().nodeId(631, 0).requestHeader(handle).f64(0).u32(0).i32(1).nodeId(node).u32(13).string(undefined).u16(0).string(undefined).done();
const readResponse = (handle: number, result = 0): Uint8Array =>
  w().nodeId(634, 0).responseHeader(handle, result).i32(1).u8(1).u8(6).i32(42).i32(-1).done();

describe("OpcuaSession", () => {
  it("emits opcua.hello when the ACK arrives, unacknowledged at the end otherwise, and opcua.error for ERR", () => {
    const { s, ctx, at } = setup();
    s.onPdu(0, hel("opc.tcp://plc:4840/ua"), at(1, 1000));
    s.onPdu(1, ack(), at(2, 1000.01));
    s.onPdu(0, hel("opc.tcp://other:4840"), at(3, 1001));
    s.onPdu(1, err(0x807f0000, "Endpoint unknown"), at(4, 1001.01));
    s.onEnd(at(5, 1002));
    const hellos = ctx.of<OpcuaHelloEvent>("opcua.hello");
    expect(hellos.map((h) => [h.frame, h.endpointUrl, h.acknowledged])).toEqual([
      [1, "opc.tcp://plc:4840/ua", true],
      [3, "opc.tcp://other:4840", false],
    ]);
    expect(hellos[0]).toMatchObject({ receiveBufferSize: 65536, src: "10.0.0.1", dst: "10.0.0.2", dport: 4840 });
    expect(ctx.of<OpcuaErrorEvent>("opcua.error")).toMatchObject([{ error: 0x807f0000, reason: "Endpoint unknown", frame: 4 }]);
  });

  it("emits opcua.channel for open, renew and close with ids, policy and mode", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    s.onPdu(0, opn(7, 5, openRequest(5, 1, 1, 600000)), at(10, 1300));
    s.onPdu(1, opn(7, 5, openResponse(5, 7, 4)), at(11, 1300.001));
    s.onPdu(0, msg(7, 4, 6, w().nodeId(452, 0).requestHeader(6).done(), "F", "CLO"), at(12, 1400));
    const ch = ctx.of<OpcuaChannelEvent>("opcua.channel");
    expect(ch.map((c) => [c.action, c.channelId, c.tokenId, c.frame])).toEqual([
      ["open", 7, 3, 1], ["renew", 7, 4, 10], ["close", 7, 4, 12],
    ]);
    expect(ch[0]).toMatchObject({ securityMode: "None", requestedLifetime: 600000, serviceResult: 0,
      securityPolicy: "http://opcfoundation.org/UA/SecurityPolicy#None" });
    expect(ctx.weirds).toEqual([]);
  });

  it("pairs responses with requests by request id, in any order", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    s.onPdu(0, msg(7, 3, 10, readRequest(100, 85)), at(3, 1001));
    s.onPdu(0, msg(7, 3, 11, readRequest(101, 86)), at(4, 1001.5));
    s.onPdu(1, msg(7, 3, 11, readResponse(101)), at(5, 1001.6));
    s.onPdu(1, msg(7, 3, 10, readResponse(100)), at(6, 1002));
    const ev = ctx.of<OpcuaServiceEvent>("opcua.service");
    expect(ev.map((e) => [e.service, e.requestId, e.requestHandle, e.request?.nodes?.[0], e.requestFrame, e.responseFrame, e.status]))
      .toEqual([["Read", 11, 101, "i=86", 4, 5, "ok"], ["Read", 10, 100, "i=85", 3, 6, "ok"]]);
    expect(ev[1]).toMatchObject({
      frame: 3, ts: 1001, channelId: 7, tokenId: 3, requestType: 631, responseType: 634, serviceResult: 0,
      response: { values: [{ type: "Int32", value: "42" }], results: [0] }, securityMode: "None",
    });
    expect(ev[1]?.rtt).toBeCloseTo(1, 6);
  });

  it("marks ServiceFault responses as fault and Bad service results as bad", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    s.onPdu(0, msg(7, 3, 10, readRequest(1)), at(3, 1001));
    s.onPdu(1, msg(7, 3, 10, w().nodeId(397, 0).responseHeader(1, 0x80250000).done()), at(4, 1001.1));
    s.onPdu(0, msg(7, 3, 11, readRequest(2)), at(5, 1002));
    s.onPdu(1, msg(7, 3, 11, readResponse(2, 0x800e0000)), at(6, 1002.1));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service").map((e) => [e.service, e.status, e.serviceResult, e.responseType]))
      .toEqual([["Read", "fault", 0x80250000, 397], ["Read", "bad", 0x800e0000, 634]]);
  });

  it("pairs by message type, not direction (reverse connect: the UA client is the TCP server)", () => {
    const { s, ctx, at } = setup();
    s.onPdu(1, msg(7, 3, 10, readRequest(1)), at(1, 1000));
    s.onPdu(0, msg(7, 3, 10, readResponse(1)), at(2, 1000.1));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service")).toMatchObject([{ service: "Read", status: "ok", requestFrame: 1, responseFrame: 2 }]);
  });

  it("reports a response without request as unsolicited", () => {
    const { s, ctx, at } = setup();
    s.onPdu(1, msg(7, 3, 99, readResponse(5)), at(1, 1000));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service")).toMatchObject([
      { service: "Read", status: "unsolicited", requestId: 99, responseFrame: 1, responseType: 634 },
    ]);
  });

  it("times requests out by packet time on tick, and flushes the rest at the end", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    s.onPdu(0, msg(7, 3, 10, readRequest(1)), at(3, 1001));
    s.onPdu(0, msg(7, 3, 11, readRequest(2)), at(4, 1001 + OPCUA_REQUEST_TIMEOUT_S / 2));
    s.onTick(at(5, 1001 + OPCUA_REQUEST_TIMEOUT_S - 1));
    expect(ctx.of("opcua.service")).toEqual([]);
    s.onTick(at(6, 1001 + OPCUA_REQUEST_TIMEOUT_S));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service").map((e) => [e.requestId, e.status, e.frame])).toEqual([[10, "timeout", 3]]);
    s.onEnd(at(7, 1001 + OPCUA_REQUEST_TIMEOUT_S + 1));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service").map((e) => [e.requestId, e.status])).toEqual([[10, "timeout"], [11, "timeout"]]);
  });

  it("stops pairing at OPCUA_MAX_PENDING unanswered requests and flags the flow flooded once", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    for (let i = 0; i < OPCUA_MAX_PENDING + 10; i++) s.onPdu(0, msg(7, 3, 100 + i, readRequest(i)), at(3 + i, 1001));
    expect(ctx.weirds.map((x) => x.name)).toEqual(["flooded"]);
    expect(ctx.counts.get("opcua.pending.flooded")).toBe(10);
    s.onEnd(at(9999, 1002));
    expect(ctx.of("opcua.service")).toHaveLength(OPCUA_MAX_PENDING);
  });

  it("reassembles a message sent as chunks C, C, F", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    const body = readRequest(7, 2258);
    const parts = [body.subarray(0, 10), body.subarray(10, 30), body.subarray(30)];
    s.onPdu(0, msg(7, 3, 20, parts[0] ?? new Uint8Array(), "C"), at(3, 1001));
    s.onPdu(0, msg(7, 3, 20, parts[1] ?? new Uint8Array(), "C"), at(4, 1001));
    s.onPdu(0, msg(7, 3, 20, parts[2] ?? new Uint8Array(), "F"), at(5, 1001));
    s.onPdu(1, msg(7, 3, 20, readResponse(7)), at(6, 1001.2));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service")).toMatchObject([
      { service: "Read", requestId: 20, requestFrame: 5, request: { nodes: ["i=2258"], attributes: [13] }, status: "ok" },
    ]);
    expect(ctx.weirds).toEqual([]);
  });

  it("discards the chunks of a message aborted with 'A'", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    const body = readRequest(7);
    s.onPdu(0, msg(7, 3, 20, body.subarray(0, 12), "C"), at(3, 1001));
    s.onPdu(0, msg(7, 3, 20, w().u32(0x80060000).string("too big").done(), "A"), at(4, 1001));
    s.onPdu(0, msg(7, 3, 20, body.subarray(12), "F"), at(5, 1001)); // a stray final chunk: not a message start
    expect(ctx.counts.get("opcua.chunk.aborted")).toBe(1);
    s.onEnd(at(6, 1002));
    const ev = ctx.of<OpcuaServiceEvent>("opcua.service");
    expect(ev.every((e) => e.request?.nodes === undefined)).toBe(true);
  });

  it("drops a message of more than OPCUA_MAX_CHUNKS chunks", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    for (let i = 0; i <= OPCUA_MAX_CHUNKS; i++) s.onPdu(0, msg(7, 3, 30, new Uint8Array([i & 0xff]), "C"), at(3 + i, 1001));
    expect(ctx.weirds.map((x) => x.name)).toEqual(["too-many-chunks"]);
  });

  it("turns an encrypted channel into metadata events, never a failure", () => {
    const { s, ctx, at } = setup();
    const cert = new Uint8Array(600).fill(7);
    const serverCert = new Uint8Array(500).fill(1);
    s.onPdu(0, opn(0, 0, new Uint8Array(256).fill(0xa5), BASIC, cert), at(1, 1000));
    s.onPdu(1, opn(9, 0, new Uint8Array(256).fill(0x5a), BASIC, serverCert), at(2, 1000.01));
    s.onPdu(0, sealed(9, 1, new Uint8Array(200).fill(0xc3)), at(3, 1000.02));
    s.onPdu(1, sealed(9, 1, new Uint8Array(400).fill(0x3c)), at(4, 1000.03));
    s.onPdu(0, Uint8Array.from([...msg(9, 1, 0, new Uint8Array(40)).subarray(0, 16), ...new Uint8Array(40).fill(0xee)]).map((b, i) =>
      i < 3 ? "CLO".charCodeAt(i) : b), at(5, 1000.04));
    expect(ctx.of<OpcuaChannelEvent>("opcua.channel")).toMatchObject([
      { action: "open", channelId: 9, securityPolicy: BASIC, frame: 1,
        clientCertThumbprint: createHash("sha1").update(cert).digest("hex"),
        serverCertThumbprint: createHash("sha1").update(serverCert).digest("hex") },
      { action: "close", channelId: 9, tokenId: 1 },
    ]);
    expect(ctx.of<OpcuaSecureMessageEvent>("opcua.secure-msg").map((e) => [e.dir, e.size, e.tokenId, e.securityMode])).toEqual([
      [0, 216, 1, "SignAndEncrypt"], [1, 416, 1, "SignAndEncrypt"],
    ]);
    expect(ctx.of("opcua.service")).toEqual([]);
    expect(ctx.weirds).toEqual([]);
  });

  it("decodes a signed-only channel (clear body after the sequence header)", () => {
    const { s, ctx, at } = setup();
    s.onPdu(0, opn(0, 0, new Uint8Array(256).fill(0xa5), BASIC), at(1, 1000));
    s.onPdu(1, opn(9, 0, new Uint8Array(256).fill(0x5a), BASIC), at(2, 1000.01));
    const sig = new Uint8Array(32).fill(0x99);
    s.onPdu(0, msg(9, 1, 2, Uint8Array.from([...readRequest(3, 2258), ...sig])), at(3, 1000.02));
    s.onPdu(1, msg(9, 1, 2, Uint8Array.from([...readResponse(3), ...sig])), at(4, 1000.03));
    expect(ctx.of<OpcuaServiceEvent>("opcua.service")).toMatchObject([
      { service: "Read", securityMode: "Sign", securityPolicy: BASIC, request: { nodes: ["i=2258"] }, status: "ok" },
    ]);
    expect(ctx.of("opcua.secure-msg")).toEqual([]);
  });

  it("reports a truncated body as malformed and still pairs what it decoded", () => {
    const { s, ctx, at } = setup();
    openNone(s, at);
    const body = readRequest(5);
    s.onPdu(0, msg(7, 3, 10, body.subarray(0, body.length - 3)), at(3, 1001)); // cut inside DataEncoding
    s.onPdu(1, msg(7, 3, 10, readResponse(5)), at(4, 1001.1));
    expect(ctx.weirds.map((x) => x.name)).toEqual(["malformed"]);
    expect(ctx.of<OpcuaServiceEvent>("opcua.service")).toMatchObject([
      { service: "Read", requestHandle: 5, status: "ok", request: { nodes: ["i=85"], attributes: [13] } },
    ]);
  });

  it("reports a truncated header or an unknown message type as malformed", () => {
    const { s, ctx, at } = setup();
    s.onPdu(0, Uint8Array.from([0x4d, 0x53, 0x47, 0x46, 12, 0, 0, 0, 1, 0, 0, 0]), at(1, 1000));
    s.onPdu(0, Uint8Array.from([0x58, 0x59, 0x5a, 0x46, 12, 0, 0, 0, 1, 0, 0, 0]), at(2, 1000));
    expect(ctx.weirds.map((x) => x.name)).toEqual(["malformed", "malformed"]);
  });
});
