// Byte fixtures for each decoded service (OPC UA Part 4 §5): real open62541 messages annotated field by field where a
// capture has them, built with the fixture writer otherwise. Bodies start at the encoding NodeId (Part 6 §6.7.2.1).
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { hex, w } from "../fixtures.ts";
import { decodeMessage } from "../message.ts";
import { serviceName } from "./registry.ts";

const AUTH = `04 01 00 39 12 16 15 46 f3 6d 34 fe cf fc bf ba cb 4c 14  # AuthenticationToken: guid, ns 1`;
const REQ_HEADER_TAIL = (handle: string): string => `
  ${handle}                    # RequestHandle
  00 00 00 00                  # ReturnDiagnostics
  ff ff ff ff                  # AuditEntryId null
  00 00 00 00                  # TimeoutHint
  00 00 00                     # AdditionalHeader: null NodeId, no body`;

describe("Read (Part 4 §5.10.2)", () => {
  it("decodes the request: node ids and attribute ids (open62541 mainloop frame 84)", () => {
    const m = decodeMessage(hex(`01 00 77 02   # ReadRequest 631
      ${AUTH}
      be d6 8b 4f 2d d1 d5 01      # Timestamp
      ${REQ_HEADER_TAIL("15 00 00 00")}
      00 00 00 00 00 00 00 00      # MaxAge 0.0
      00 00 00 00                  # TimestampsToReturn Source
      01 00 00 00                  # NodesToRead: 1
      03 01 00 0a 00 00 00 74 68 65 2e 61 6e 73 77 65 72  # NodeId ns=1;s=the.answer
      0d 00 00 00                  # AttributeId 13 Value
      ff ff ff ff                  # IndexRange null
      00 00 ff ff ff ff            # DataEncoding: ns 0, null name`), false);
    expect(m.kind).toBe("request");
    expect(m.requestHandle).toBe(21);
    expect(m.details).toEqual({ nodes: ["ns=1;s=the.answer"], attributes: [13] });
    expect(m.malformed).toBeUndefined();
  });
  it("decodes the response: per-node status (frame 86)", () => {
    const m = decodeMessage(hex(`01 00 7a 02   # ReadResponse 634
      cc 89 93 4f 2d d1 d5 01      # Timestamp
      15 00 00 00                  # RequestHandle 21
      00 00 00 00                  # ServiceResult Good
      00                           # ServiceDiagnostics empty
      ff ff ff ff                  # StringTable null
      00 00 00                     # AdditionalHeader
      01 00 00 00                  # Results: 1
      02 00 00 34 80               # DataValue: status only, BadNodeIdUnknown
      ff ff ff ff                  # DiagnosticInfos null`), true);
    expect(m.serviceResult).toBe(0);
    expect(m.details).toEqual({ values: [{ type: "Null", value: "" }], results: [0x80340000] });
    expect(m.statusCodes).toEqual([0x80340000]);
  });
  it("keeps at most OPCUA_MAX_OPERANDS operands, and what a truncated body had up to the field that ended it", () => {
    const rq = w().nodeId(631, 0).requestHeader(1).f64(0).u32(0).i32(1001);
    for (let i = 0; i < 1001; i++) rq.nodeId(i % 200).u32(13).string(undefined).u16(0).string(undefined);
    const all = decodeMessage(rq.done(), false).details;
    expect(all?.nodes?.length).toBe(1000);
    expect(all?.attributes?.length).toBe(1000);
    expect(all?.nodes?.[999]).toBe("i=199");
    // Second operand cut after its NodeId: its node is kept, its attribute is not.
    const cut = w().nodeId(631, 0).requestHeader(1).f64(0).u32(0).i32(2).nodeId(85).u32(13).string(undefined).u16(0)
      .string(undefined).stringNodeId(2, "Line1").u16(0).done();
    const m = decodeMessage(cut, false);
    expect(m.malformed).toMatch(/need 4 bytes at \d+, have 2/);
    expect(m.details).toEqual({ nodes: ["i=85", "ns=2;s=Line1"], attributes: [13] });
    const rs = w().nodeId(634, 0).responseHeader(1).i32(1001);
    for (let i = 0; i < 1001; i++) rs.u8(1).u8(6).i32(i);
    const vals = decodeMessage(rs.i32(-1).done(), false).details;
    expect(vals?.values?.length).toBe(1000);
    expect(vals?.results?.length).toBe(1000);
    expect(vals?.values?.[999]).toEqual({ type: "Int32", value: "999" });
  });
  it("renders read values", () => {
    const body = w().nodeId(634, 0).responseHeader(3).i32(2).u8(1).u8(11).f64(12.5).u8(3).u8(6).i32(-7).u32(0x00000000).i32(-1).done();
    expect(decodeMessage(body, false).details).toEqual({
      values: [{ type: "Double", value: "12.5" }, { type: "Int32", value: "-7" }], results: [0, 0],
    });
  });
});

describe("Write (Part 4 §5.10.4)", () => {
  it("decodes node, attribute, value type and value (open62541 mainloop frame 88)", () => {
    const m = decodeMessage(hex(`01 00 a1 02   # WriteRequest 673
      ${AUTH}
      b2 8f 93 4f 2d d1 d5 01      # Timestamp
      ${REQ_HEADER_TAIL("16 00 00 00")}
      01 00 00 00                  # NodesToWrite: 1
      03 01 00 0a 00 00 00 74 68 65 2e 61 6e 73 77 65 72  # ns=1;s=the.answer
      0d 00 00 00                  # AttributeId 13 Value
      ff ff ff ff                  # IndexRange null
      01                           # DataValue: value only
      06 01 00 00 00               # Variant Int32 1`), false);
    expect(m.details).toEqual({
      nodes: ["ns=1;s=the.answer"], attributes: [13],
      writes: [{ node: "ns=1;s=the.answer", attribute: 13, value: { type: "Int32", value: "1" } }],
    });
  });
  it("decodes the per-node results (frame 90)", () => {
    const m = decodeMessage(hex(`01 00 a4 02  ac 4c 9b 4f 2d d1 d5 01  16 00 00 00  00 00 00 00  00  ff ff ff ff  00 00 00
      01 00 00 00  00 00 34 80     # Results: [BadNodeIdUnknown]
      ff ff ff ff`), true);
    expect(m.details).toEqual({ results: [0x80340000] });
    expect(m.statusCodes).toEqual([]); // Results are opcua.Results in Wireshark, not opcua.StatusCode
  });
});

describe("Call (Part 4 §5.11.2)", () => {
  it("decodes object, method and arguments (open62541 mainloop frame 120)", () => {
    const m = decodeMessage(hex(`01 00 c8 02   # CallRequest 712
      ${AUTH}
      92 79 ba 4f 2d d1 d5 01
      ${REQ_HEADER_TAIL("19 00 00 00")}
      01 00 00 00                  # MethodsToCall: 1
      00 55                        # ObjectId i=85
      01 01 4d f4                  # MethodId ns=1;i=62541
      01 00 00 00                  # InputArguments: 1
      0c 0c 00 00 00 48 65 6c 6c 6f 20 53 65 72 76 65 72  # String "Hello Server"`), false);
    expect(m.details).toEqual({
      nodes: ["i=85", "ns=1;i=62541"],
      calls: [{ object: "i=85", method: "ns=1;i=62541", args: [{ type: "String", value: "Hello Server" }] }],
    });
  });
  it("decodes results and output arguments (frame 122)", () => {
    const m = decodeMessage(hex(`01 00 cb 02  a0 95 c2 4f 2d d1 d5 01  19 00 00 00  00 00 00 00  00  ff ff ff ff  00 00 00
      01 00 00 00                  # Results: 1
      00 00 34 80                  # StatusCode BadNodeIdUnknown
      ff ff ff ff  ff ff ff ff     # InputArgumentResults, InputArgumentDiagnosticInfos: null
      ff ff ff ff                  # OutputArguments null
      ff ff ff ff                  # DiagnosticInfos null`), false);
    expect(m.details).toEqual({ results: [0x80340000], values: [] });
  });
});

describe("ActivateSession (Part 4 §5.6.3)", () => {
  it("decodes a UserName identity token (open62541 mainloop frame 44)", () => {
    const m = decodeMessage(hex(`01 00 d3 01   # ActivateSessionRequest 467
      ${AUTH}
      c0 ec 1e 4f 2d d1 d5 01
      05 00 00 00  00 00 00 00  ff ff ff ff  c0 27 09 00  00 00 00   # handle 5 … TimeoutHint 600000, no AdditionalHeader
      ff ff ff ff ff ff ff ff      # ClientSignature: null algorithm, null signature
      ff ff ff ff                  # ClientSoftwareCertificates null
      ff ff ff ff                  # LocaleIds null
      01 00 44 01                  # UserIdentityToken type 324 UserNameIdentityToken
      01 36 00 00 00               # binary body, 54 bytes
      19 00 00 00 6f 70 65 6e 36 32 35 34 31 2d 75 73 65 72 6e 61 6d 65 2d 70 6f 6c 69 63 79  # PolicyId
      05 00 00 00 75 73 65 72 31   # UserName "user1"
      08 00 00 00 70 61 73 73 77 6f 72 64  # Password (clear, policy None)
      ff ff ff ff                  # EncryptionAlgorithm null
      ff ff ff ff ff ff ff ff      # UserTokenSignature`), false);
    expect(m.details).toEqual({ policyId: "open62541-username-policy", userName: "user1", identityToken: "username" });
    expect(m.malformed).toBeUndefined();
  });
  it("names the other token types by ExtensionObject type id", () => {
    const token = (id: number): string | undefined => {
      const b = w().nodeId(467, 0).requestHeader(1).string(undefined).bytes(undefined).i32(-1).i32(-1)
        .nodeId(id, 0).u8(1).i32(7).string("pol").string(undefined).bytes(undefined).done();
      return decodeMessage(b, false).details?.identityToken;
    };
    expect(token(321)).toBe("anonymous");
    expect(token(327)).toBe("certificate");
    expect(token(940)).toBe("issued");
    expect(token(999)).toBe("unknown");
  });
});

const app = (uri: string): ReturnType<typeof w> =>
  w().string(uri).string("urn:product").u8(2).string("My App").u32(1).string(undefined).string(undefined).i32(1).string("opc.tcp://h:4840");
const endpoint = (mode: number, policy: string): Uint8Array =>
  w().string("opc.tcp://h:4840").raw(app("urn:server").done()).bytes(undefined).u32(mode).string(policy)
    .i32(1).string("anon").u32(0).string(undefined).string(undefined).string(undefined).string("http://tp").u8(0).done();
const BASIC = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

describe("discovery and session services", () => {
  it("GetEndpoints (Part 4 §5.5.4): endpoint URL; endpoints with policy and mode", () => {
    const rq = w().nodeId(428, 0).requestHeader(1).string("opc.tcp://h:4840").i32(-1).i32(0).done();
    expect(decodeMessage(rq, false).details).toEqual({ endpointUrl: "opc.tcp://h:4840" });
    const rs = w().nodeId(431, 0).responseHeader(1).i32(2).raw(endpoint(1, "http://opcfoundation.org/UA/SecurityPolicy#None"))
      .raw(endpoint(3, BASIC)).done();
    expect(decodeMessage(rs, false).details).toEqual({
      endpoints: [
        { url: "opc.tcp://h:4840", policy: "http://opcfoundation.org/UA/SecurityPolicy#None", mode: "None" },
        { url: "opc.tcp://h:4840", policy: BASIC, mode: "SignAndEncrypt" },
      ],
    });
  });
  it("FindServers (Part 4 §5.5.2): server application", () => {
    const rq = w().nodeId(422, 0).requestHeader(1).string("opc.tcp://h:4840").i32(-1).i32(-1).done();
    expect(decodeMessage(rq, false).details).toEqual({ endpointUrl: "opc.tcp://h:4840" });
    const rs = w().nodeId(425, 0).responseHeader(1).i32(1).raw(app("urn:server").done()).done();
    expect(decodeMessage(rs, false).details).toEqual({ serverUri: "urn:server", productUri: "urn:product", applicationName: "My App" });
  });
  it("CreateSession (Part 4 §5.6.2): application URIs, endpoint, session name, certificate thumbprint", () => {
    const cert = new Uint8Array([0x30, 0x82, 1, 2, 3]);
    const rq = w().nodeId(461, 0).requestHeader(1).raw(app("urn:client").done()).string("urn:server").string("opc.tcp://h:4840")
      .string("Session1").bytes(new Uint8Array(32)).bytes(cert).f64(60000).u32(0).done();
    expect(decodeMessage(rq, false).details).toEqual({
      clientUri: "urn:client", productUri: "urn:product", applicationName: "My App", serverUri: "urn:server",
      endpointUrl: "opc.tcp://h:4840", sessionName: "Session1",
      clientCertThumbprint: createHash("sha1").update(cert).digest("hex"),
    });
    const rs = w().nodeId(464, 0).responseHeader(1).nodeId(7, 1).u8(4).u16(1).raw(new Uint8Array(16)).f64(60000)
      .bytes(undefined).bytes(undefined).i32(1).raw(endpoint(2, BASIC)).i32(-1).string(undefined).bytes(undefined).u32(0).done();
    const m = decodeMessage(rs, false);
    expect(m.details).toEqual({ endpoints: [{ url: "opc.tcp://h:4840", policy: BASIC, mode: "Sign" }] });
    expect(m.malformed).toBeUndefined();
  });
  it("CloseSession (Part 4 §5.6.4)", () => {
    expect(decodeMessage(w().nodeId(473, 0).requestHeader(9).u8(1).done(), false)).toMatchObject({ kind: "request", requestHandle: 9, details: {} });
    expect(decodeMessage(w().nodeId(476, 0).responseHeader(9).done(), false)).toMatchObject({ kind: "response", serviceResult: 0 });
  });
  it("RegisterServer2 (Part 4 §5.5.6): the registering server", () => {
    const rs = w().string("urn:rogue").string("urn:p").i32(1).u8(2).string("Rogue").u32(0).string(undefined).i32(1)
      .string("opc.tcp://rogue:4840").string(undefined).u8(1);
    const rq = w().nodeId(12211, 0).requestHeader(1).raw(rs.done()).i32(1).nodeId(12901, 0).u8(1).i32(8).string("mdns").done();
    expect(decodeMessage(rq, false).details).toEqual({
      serverUri: "urn:rogue", productUri: "urn:p", applicationName: "Rogue", endpointUrl: "opc.tcp://rogue:4840",
    });
  });
});

describe("view services", () => {
  it("Browse (Part 4 §5.8.2): nodes to browse; result status and reference count", () => {
    const rq = w().nodeId(527, 0).requestHeader(1).nodeId(0).raw(new Uint8Array(8)).u32(0).u32(0).i32(2)
      .nodeId(85).u32(0).nodeId(33).u8(1).u32(0).u32(63)
      .stringNodeId(2, "Line1").u32(0).nodeId(33).u8(1).u32(0).u32(63).done();
    expect(decodeMessage(rq, false).details).toEqual({ nodes: ["i=85", "ns=2;s=Line1"] });
    const ref = w().nodeId(35).u8(1).nodeId(2253).u16(0).string("Server").u8(2).string("Server").u32(1).nodeId(2004).done();
    const rs = w().nodeId(530, 0).responseHeader(1).i32(1).u32(0).bytes(undefined).i32(2).raw(ref).raw(ref).i32(-1).done();
    const m = decodeMessage(rs, true);
    expect(m.details).toEqual({ results: [0], referenceCount: 2 });
    expect(m.nodeIds?.map((n) => n.numeric)).toEqual([0, 35, 2253, 2004, 35, 2253, 2004]);
  });
  it("BrowseNext (Part 4 §5.8.3)", () => {
    const rq = w().nodeId(533, 0).requestHeader(1).u8(0).i32(1).bytes(new Uint8Array([1, 2])).done();
    expect(decodeMessage(rq, false).details).toEqual({ itemCount: 1 });
    const rs = w().nodeId(536, 0).responseHeader(1).i32(1).u32(0x80000000).bytes(undefined).i32(0).i32(-1).done();
    expect(decodeMessage(rs, false).details).toEqual({ results: [0x80000000], referenceCount: 0 });
  });
  it("TranslateBrowsePathsToNodeIds (Part 4 §5.8.4): starting nodes; targets", () => {
    const rq = w().nodeId(554, 0).requestHeader(1).i32(1).nodeId(84).i32(2)
      .nodeId(33).u8(0).u8(1).u16(0).string("Objects").nodeId(33).u8(0).u8(1).u16(2).string("Pump").done();
    expect(decodeMessage(rq, false).details).toEqual({ nodes: ["i=84"] });
    const rs = w().nodeId(557, 0).responseHeader(1).i32(1).u32(0).i32(1).nodeId(2, 2).u32(0xffffffff).i32(-1).done();
    expect(decodeMessage(rs, false).details).toEqual({ results: [0], nodes: ["ns=2;i=2"] });
  });
});

describe("subscription services", () => {
  it("CreateSubscription (Part 4 §5.13.2)", () => {
    const rq = w().nodeId(787, 0).requestHeader(1).f64(500).u32(10000).u32(10).u32(0).u8(1).u8(0).done();
    expect(decodeMessage(rq, false).details).toEqual({ publishingInterval: 500 });
    const rs = w().nodeId(790, 0).responseHeader(1).u32(42).f64(1000).u32(10000).u32(10).done();
    expect(decodeMessage(rs, false).details).toEqual({ subscriptionId: 42, publishingInterval: 1000 });
  });
  it("CreateMonitoredItems (Part 4 §5.12.2)", () => {
    const rq = w().nodeId(751, 0).requestHeader(1).u32(42).u32(2).i32(1)
      .stringNodeId(1, "the.answer").u32(13).string(undefined).u16(0).string(undefined)
      .u32(2).u32(1).f64(250).nodeId(0).u8(0).u32(1).u8(1).done();
    expect(decodeMessage(rq, false).details).toEqual({ subscriptionId: 42, nodes: ["ns=1;s=the.answer"], attributes: [13], itemCount: 1 });
    const rs = w().nodeId(754, 0).responseHeader(1).i32(1).u32(0).u32(7).f64(250).u32(1).nodeId(0).u8(0).i32(-1).done();
    expect(decodeMessage(rs, false).details).toEqual({ results: [0], itemCount: 1 });
  });
  it("Publish (Part 4 §5.13.5): acknowledgements; DataChangeNotification values", () => {
    const rq = w().nodeId(826, 0).requestHeader(1).i32(1).u32(42).u32(3).done();
    expect(decodeMessage(rq, false).details).toEqual({ itemCount: 1 });
    const dcn = w().i32(2).u32(1).u8(1).u8(6).i32(5).u32(2).u8(3).u8(1).u8(0).u32(0x80000000).i32(-1).done();
    const rs = w().nodeId(829, 0).responseHeader(1).u32(42).i32(1).u32(4).u8(0).u32(4).raw(new Uint8Array(8))
      .i32(1).nodeId(811, 0).u8(1).bytes(dcn).i32(0).i32(-1).done();
    const m = decodeMessage(rs, true);
    expect(m.details).toEqual({
      subscriptionId: 42, values: [{ type: "Int32", value: "5" }, { type: "Boolean", value: "false" }], results: [], itemCount: 2,
    });
    expect(m.statusCodes).toEqual([0x80000000]);
    expect(m.skipped).toBe(0);
  });
  it("DeleteSubscriptions (Part 4 §5.13.8)", () => {
    expect(decodeMessage(w().nodeId(847, 0).requestHeader(1).i32(1).u32(42).done(), false).details).toEqual({ itemCount: 1, subscriptionId: 42 });
  });
});

describe("faults, channels and unknown services", () => {
  it("ServiceFault (Part 4 §7.35) carries only the ServiceResult", () => {
    const m = decodeMessage(w().nodeId(397, 0).responseHeader(4, 0x80010000).done(), false);
    expect(m).toMatchObject({ kind: "response", typeId: 397, serviceResult: 0x80010000, requestHandle: 4 });
  });
  it("OpenSecureChannel request and response (Part 4 §5.5.2)", () => {
    const rq = w().nodeId(446, 0).requestHeader(0).u32(0).u32(1).u32(3).bytes(new Uint8Array(32)).u32(3600000).done();
    expect(decodeMessage(rq, false).openRequest).toEqual({ requestType: 1, securityMode: 3, requestedLifetime: 3600000 });
    const rs = w().nodeId(449, 0).responseHeader(0).u32(0).u32(9).u32(14).raw(new Uint8Array(8)).u32(3600000).bytes(undefined).done();
    expect(decodeMessage(rs, false).openResponse).toEqual({ channelId: 9, tokenId: 14, revisedLifetime: 3600000 });
  });
  it("names every standard service from its type id and reads the header of those not decoded", () => {
    expect(serviceName(664)).toBe("HistoryRead");
    expect(serviceName(12345)).toBe("Unknown(12345)");
    const m = decodeMessage(w().nodeId(667, 0).responseHeader(2, 0x80740000).u8(1).u8(2).done(), false);
    expect(m).toMatchObject({ kind: "response", serviceResult: 0x80740000, details: undefined, skipped: 1 });
  });
  it("keeps the header of a truncated body and reports it malformed", () => {
    const full = w().nodeId(631, 0).requestHeader(77).f64(0).u32(0).i32(3).nodeId(85).u32(13).done();
    const m = decodeMessage(full, false);
    expect(m.requestHandle).toBe(77);
    expect(m.malformed).toMatch(/need|array length/);
  });
});
