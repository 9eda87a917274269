// Decodes what an independent implementation encodes: node-opcua's generated encoders (a test peer, never a runtime
// dependency) write requests and responses with every kind of value; our decoders must read back the same fields.
// The body is prefixed with the encoding NodeId, as in a MSG (Part 6 §6.7.2.1). The node-opcua-* packages come with the
// pinned node-opcua devDependency; importing them one by one loads in half the time of the node-opcua umbrella package.
import { createHash } from "node:crypto";
import { BinaryStream } from "node-opcua-binary-stream";
import { DataValue } from "node-opcua-data-value";
import { coerceNodeId, makeExpandedNodeId, resolveNodeId } from "node-opcua-nodeid";
import { StatusCodes } from "node-opcua-status-code";
import {
  ActivateSessionRequest, BrowseResponse, CallRequest, CreateSessionRequest, DataChangeNotification, GetEndpointsResponse,
  OpenSecureChannelRequest, PublishResponse, ReadRequest, ReadResponse, UserNameIdentityToken, WriteRequest,
} from "node-opcua-types";
import { DataType, Variant, VariantArrayType } from "node-opcua-variant";
import { describe, expect, it } from "vitest";
import { decodeMessage } from "./message.ts";

interface Encodable {
  encode(s: BinaryStream): void;
  binaryStoreSize(): number;
  schema: { encodingDefaultBinary?: { value: unknown } };
}

/** Type id NodeId (four-byte encoding) + node-opcua's binary body. */
function encode(obj: Encodable): Uint8Array {
  const s = new BinaryStream(obj.binaryStoreSize());
  obj.encode(s);
  const id = Number(obj.schema.encodingDefaultBinary?.value);
  return Uint8Array.from([0x01, 0x00, id & 0xff, id >> 8, ...s.buffer.subarray(0, s.length)]);
}

describe("decoding node-opcua's encodings", () => {
  it("WriteRequest with values of many built-in types and every NodeId encoding", () => {
    const values: [string, Variant, { type: string; value: string }][] = [
      ["ns=2;s=Line2.Speed", new Variant({ dataType: DataType.Double, value: 12.5 }), { type: "Double", value: "12.5" }],
      ["ns=1;i=1001", new Variant({ dataType: DataType.Boolean, value: true }), { type: "Boolean", value: "true" }],
      ["i=2258", new Variant({ dataType: DataType.String, value: "auto" }), { type: "String", value: "auto" }],
      ["ns=3;g=72962B91-FA75-4AE6-8D28-B404DC7DAF63", new Variant({ dataType: DataType.Int32, arrayType: VariantArrayType.Array, value: [1, -2, 3] }),
        { type: "Int32[]", value: "[1,-2,3]" }],
      ["ns=4;b=3q2+7w==", new Variant({ dataType: DataType.UInt16, value: 65535 }), { type: "UInt16", value: "65535" }],
      ["ns=2;i=70000", new Variant({ dataType: DataType.NodeId, value: resolveNodeId("ns=2;s=Pump1") }), { type: "NodeId", value: "ns=2;s=Pump1" }],
      ["ns=2;s=Setpoint", new Variant({ dataType: DataType.Float, value: 0.5 }), { type: "Float", value: "0.5" }],
      ["ns=2;s=Bytes", new Variant({ dataType: DataType.ByteString, value: Buffer.from([1, 2, 255]) }), { type: "ByteString", value: "0102ff" }],
      ["ns=2;s=When", new Variant({ dataType: DataType.DateTime, value: new Date("2024-05-01T12:00:00Z") }), { type: "DateTime", value: "2024-05-01T12:00:00.000Z" }],
      ["ns=2;s=Status", new Variant({ dataType: DataType.StatusCode, value: StatusCodes.BadNodeIdUnknown }), { type: "StatusCode", value: "0x80340000" }],
    ];
    const req = new WriteRequest({
      nodesToWrite: values.map(([n, v]) => ({ nodeId: coerceNodeId(n), attributeId: 13, value: new DataValue({ value: v }) })),
    });
    const m = decodeMessage(encode(req as unknown as Encodable), false);
    expect(m.malformed).toBeUndefined();
    expect(m.details?.writes?.map((x) => x.node)).toEqual(values.map(([n]) => n.replace("g=72962B91-FA75-4AE6-8D28-B404DC7DAF63", "g=72962b91-fa75-4ae6-8d28-b404dc7daf63")));
    expect(m.details?.writes?.map((x) => x.value)).toEqual(values.map(([, , v]) => v));
  });

  it("ReadRequest and ReadResponse", () => {
    const rq = new ReadRequest({ nodesToRead: [{ nodeId: coerceNodeId("ns=1;s=A"), attributeId: 13 }, { nodeId: coerceNodeId("i=2256"), attributeId: 5 }] });
    expect(decodeMessage(encode(rq as unknown as Encodable), false).details).toEqual({ nodes: ["ns=1;s=A", "i=2256"], attributes: [13, 5] });
    const rs = new ReadResponse({ results: [new DataValue({ value: new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0, 5] }) }),
      new DataValue({ statusCode: StatusCodes.BadNodeIdUnknown })] });
    const d = decodeMessage(encode(rs as unknown as Encodable), false).details;
    expect(d?.values?.[0]).toEqual({ type: "Int64", value: "5" });
    expect(d?.results).toEqual([0, 0x80340000]);
  });

  it("CallRequest", () => {
    const rq = new CallRequest({ methodsToCall: [{ objectId: coerceNodeId("ns=2;s=Line2"), methodId: coerceNodeId("ns=2;s=Line2.Start"),
      inputArguments: [new Variant({ dataType: DataType.UInt32, value: 3 }), new Variant({ dataType: DataType.String, value: "fast" })] }] });
    expect(decodeMessage(encode(rq as unknown as Encodable), false).details?.calls).toEqual([{
      object: "ns=2;s=Line2", method: "ns=2;s=Line2.Start", args: [{ type: "UInt32", value: "3" }, { type: "String", value: "fast" }],
    }]);
  });

  it("CreateSessionRequest and ActivateSessionRequest (UserName token)", () => {
    const cert = Buffer.from("3082010a0282010100c0ffee", "hex");
    const cs = new CreateSessionRequest({
      clientDescription: { applicationUri: "urn:ews:client", productUri: "urn:ews", applicationName: { text: "EWS" } },
      serverUri: "urn:plc", endpointUrl: "opc.tcp://10.1.2.3:4840", sessionName: "eng-1", clientCertificate: cert,
    });
    expect(decodeMessage(encode(cs as unknown as Encodable), false).details).toEqual({
      clientUri: "urn:ews:client", productUri: "urn:ews", applicationName: "EWS", serverUri: "urn:plc",
      endpointUrl: "opc.tcp://10.1.2.3:4840", sessionName: "eng-1", clientCertThumbprint: createHash("sha1").update(cert).digest("hex"),
    });
    const as = new ActivateSessionRequest({ userIdentityToken: new UserNameIdentityToken({ policyId: "user", userName: "operator",
      password: Buffer.from("secret") }) });
    expect(decodeMessage(encode(as as unknown as Encodable), false).details).toEqual({ identityToken: "username", policyId: "user", userName: "operator" });
  });

  it("GetEndpointsResponse, BrowseResponse, PublishResponse with a DataChangeNotification", () => {
    const ge = new GetEndpointsResponse({ endpoints: [{ endpointUrl: "opc.tcp://plc:4840", securityMode: 3,
      securityPolicyUri: "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256", server: { applicationUri: "urn:plc" } }] });
    expect(decodeMessage(encode(ge as unknown as Encodable), false).details?.endpoints).toEqual([
      { url: "opc.tcp://plc:4840", policy: "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256", mode: "SignAndEncrypt" },
    ]);
    const br = new BrowseResponse({ results: [{ statusCode: StatusCodes.Good, references: [
      { referenceTypeId: resolveNodeId("i=35"), isForward: true, nodeId: makeExpandedNodeId(coerceNodeId("ns=2;s=Pump1")), browseName: { name: "Pump1", namespaceIndex: 2 } },
      { referenceTypeId: resolveNodeId("i=47"), isForward: true, nodeId: makeExpandedNodeId(coerceNodeId("ns=2;s=Pump2")) },
    ] }] });
    expect(decodeMessage(encode(br as unknown as Encodable), false).details).toEqual({ results: [0], referenceCount: 2 });
    const dcn = new DataChangeNotification({ monitoredItems: [{ clientHandle: 1, value: new DataValue({ value: new Variant({ dataType: DataType.Double, value: 7.25 }) }) }] });
    const pr = new PublishResponse({ subscriptionId: 9, notificationMessage: { sequenceNumber: 3, notificationData: [dcn] } });
    expect(decodeMessage(encode(pr as unknown as Encodable), false).details).toEqual({
      subscriptionId: 9, values: [{ type: "Double", value: "7.25" }], itemCount: 1, results: [],
    });
  });

  it("OpenSecureChannelRequest", () => {
    const o = new OpenSecureChannelRequest({ requestType: 1, securityMode: 2, requestedLifetime: 300000 });
    expect(decodeMessage(encode(o as unknown as Encodable), false).openRequest).toEqual({ requestType: 1, securityMode: 2, requestedLifetime: 300000 });
  });
});
