// UA TCP transport and secure conversation headers (OPC UA Part 6 §7.1, §6.7.2) as annotated bytes, and the chunk
// assembler's bounds.
import { describe, expect, it } from "vitest";
import { OPCUA_MAX_ASSEMBLIES, OPCUA_MAX_ASSEMBLY_BYTES } from "./constants.ts";
import { hex } from "./fixtures.ts";
import { ChunkAssembler, readError, readHello, readSecureChunk } from "./transport.ts";
import { Cursor } from "./types/cursor.ts";

describe("UA TCP messages (Part 6 §7.1.2)", () => {
  it("reads HEL (python-opcua capture frame 7 layout)", () => {
    const c = new Cursor(hex(`48 45 4c 46  4a 00 00 00   # "HEL" "F" size 74
      00 00 00 00                  # ProtocolVersion 0
      00 00 01 00  00 00 01 00     # ReceiveBufferSize, SendBufferSize 65536
      00 00 00 00  00 00 00 00     # MaxMessageSize, MaxChunkCount 0 (no limit)
      2a 00 00 00 6f 70 63 2e 74 63 70 3a 2f 2f 6c 6f 63 61 6c 68 6f 73 74 3a 34 38 34 30 2f 66 72 65 65 6f 70 63 75 61 2f 73 65 72 76 65 72 2f`));
    c.skip(8);
    expect(readHello(c, true)).toEqual({
      protocolVersion: 0, receiveBufferSize: 65536, sendBufferSize: 65536, maxMessageSize: 0, maxChunkCount: 0,
      endpointUrl: "opc.tcp://localhost:4840/freeopcua/server/",
    });
  });
  it("reads ERR", () => {
    const c = new Cursor(hex("45 52 52 46 14 00 00 00  0a 00 7c 80  04 00 00 00 62 75 73 79  # Error 0x807c000a, Reason 'busy'"));
    c.skip(8);
    expect(readError(c)).toEqual({ error: 0x807c000a, reason: "busy" });
  });
});

describe("secure conversation headers (Part 6 §6.7.2)", () => {
  it("reads the OPN asymmetric header and sequence header", () => {
    const sc = readSecureChunk(hex(`4f 50 4e 46  3c 00 00 00   # "OPN" "F"
      00 00 00 00                  # SecureChannelId 0 (new channel)
      0c 00 00 00 68 74 74 70 3a 2f 2f 78 2f 23 4e 6f   # SecurityPolicyUri (12 bytes, shortened)
      03 00 00 00 30 82 01         # SenderCertificate (3 bytes)
      ff ff ff ff                  # ReceiverCertificateThumbprint null
      01 00 00 00  02 00 00 00     # SequenceNumber 1, RequestId 2
      01 00 be 01                  # body: OpenSecureChannelRequest type id 446`), "OPN", false);
    expect(sc).toMatchObject({ chunk: "F", size: 60, channelId: 0, policyUri: "http://x/#No", sequenceNumber: 1, requestId: 2 });
    expect([...(sc.senderCert ?? [])]).toEqual([0x30, 0x82, 0x01]);
    expect(sc.receiverThumbprint).toBeUndefined();
    expect([...sc.body]).toEqual([1, 0, 0xbe, 1]);
  });
  it("reads the MSG symmetric header; leaves the sequence header alone when encrypted", () => {
    const bytes = hex(`4d 53 47 43  1c 00 00 00   # "MSG" "C"
      04 00 00 00  05 00 00 00     # SecureChannelId 4, TokenId 5
      09 00 00 00  0a 00 00 00     # SequenceNumber 9, RequestId 10
      aa bb cc dd`);
    expect(readSecureChunk(bytes, "MSG", false)).toMatchObject({ chunk: "C", channelId: 4, tokenId: 5, sequenceNumber: 9, requestId: 10 });
    const enc = readSecureChunk(bytes, "MSG", true);
    expect(enc).toMatchObject({ channelId: 4, tokenId: 5, sequenceNumber: undefined, requestId: undefined });
    expect(enc.body.length).toBe(12);
  });
});

describe("ChunkAssembler", () => {
  const b = (n: number, v = 1): Uint8Array => new Uint8Array(n).fill(v);
  it("returns a lone final chunk as is and concatenates C, C, F in order", () => {
    const a = new ChunkAssembler();
    const f = b(3);
    expect(a.add(0, 1, "F", f)).toEqual({ kind: "complete", body: f });
    expect(a.add(0, 2, "C", b(2, 1)).kind).toBe("pending");
    expect(a.add(1, 2, "C", b(1, 9)).kind).toBe("pending"); // other direction, same request id: separate
    expect(a.add(0, 2, "C", b(2, 2)).kind).toBe("pending");
    const r = a.add(0, 2, "F", b(1, 3));
    expect(r.kind === "complete" ? [...r.body] : []).toEqual([1, 1, 2, 2, 3]);
    expect(a.size).toBe(1);
    expect(a.bytes).toBe(1);
  });
  it("copies intermediate chunks (the segment they came in may be reused)", () => {
    const a = new ChunkAssembler();
    const seg = b(4, 7);
    a.add(0, 1, "C", seg);
    seg.fill(0);
    const r = a.add(0, 1, "F", b(1, 8));
    expect(r.kind === "complete" ? [...r.body] : []).toEqual([7, 7, 7, 7, 8]);
  });
  it("discards on abort and frees the bytes", () => {
    const a = new ChunkAssembler();
    a.add(0, 1, "C", b(100));
    expect(a.add(0, 1, "A", b(8)).kind).toBe("aborted");
    expect(a.size).toBe(0);
    expect(a.bytes).toBe(0);
  });
  it("bounds concurrent assemblies and the bytes they hold", () => {
    const a = new ChunkAssembler();
    for (let i = 0; i < OPCUA_MAX_ASSEMBLIES; i++) expect(a.add(0, i, "C", b(1)).kind).toBe("pending");
    expect(a.add(0, 9999, "C", b(1))).toEqual({ kind: "dropped", reason: "too-many-assemblies" });
    const big = new ChunkAssembler();
    expect(big.add(0, 1, "C", new Uint8Array(OPCUA_MAX_ASSEMBLY_BYTES - 10)).kind).toBe("pending");
    expect(big.add(1, 1, "C", b(20))).toEqual({ kind: "dropped", reason: "message-too-large" });
    expect(big.add(0, 1, "C", b(20))).toEqual({ kind: "dropped", reason: "message-too-large" });
    expect(big.bytes).toBe(0);
  });
  it("reserves every copied byte from the session budget and drops the message being assembled when refused", () => {
    let held = 0;
    const budget = {
      reserve: (n: number) => (held + n > 100 ? false : ((held += n), true)),
      release: (n: number) => void (held -= n),
    };
    const a = new ChunkAssembler();
    expect(a.add(0, 1, "F", b(500), budget).kind).toBe("complete"); // a lone final chunk is not copied: nothing reserved
    expect(a.add(0, 1, "C", b(60), budget).kind).toBe("pending");
    expect(a.add(0, 2, "C", b(30), budget).kind).toBe("pending");
    expect(held).toBe(90);
    expect(a.add(0, 1, "C", b(20), budget)).toEqual({ kind: "dropped", reason: "budget" });
    expect([held, a.bytes, a.size]).toEqual([30, 30, 1]);
    expect(a.add(0, 3, "C", b(80), budget)).toEqual({ kind: "dropped", reason: "budget" });
    expect(a.add(0, 2, "F", b(5), budget).kind).toBe("complete");
    // The rest of a dropped message is skipped up to its final chunk, then the request id starts afresh.
    expect(a.add(0, 1, "C", b(1), budget).kind).toBe("skipped");
    expect(a.add(0, 1, "F", b(1), budget).kind).toBe("skipped");
    expect(a.add(0, 1, "F", b(2), budget)).toEqual({ kind: "complete", body: b(2) });
    a.add(1, 4, "C", b(10), budget);
    a.reset(1, budget);
    expect(held).toBe(0);
  });
  it("forgets one direction's partial messages after a gap", () => {
    const a = new ChunkAssembler();
    a.add(0, 1, "C", b(5));
    a.add(1, 1, "C", b(6));
    a.reset(0);
    expect(a.size).toBe(1);
    expect(a.bytes).toBe(6);
  });
});
