// Real peers (issue 2 item 9, OPC UA part): a node-opcua server (127.51.1.2, non-4840 port so the dissector is found by
// its content probe) and node-opcua clients bound to their own loopback addresses browse, read, write and call while
// tcpdump records the exchange; the file is replayed through the real pipeline. With SecurityMode None every service
// must come out with its node ids and values; with SignAndEncrypt (Basic256Sha256) only metadata is readable: the
// channel's policy and mode (learned from the first MSG: the OPN body that carries it is RSA-encrypted), the client and server certificate thumbprints (SHA-1 of the DER node-opcua sends) and per-message sizes.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AttributeIds } from "node-opcua";
import { freePort } from "../../src/services/free-port.ts";
import type { OpcuaChannelEvent, OpcuaSecureMessageEvent, OpcuaServiceEvent } from "../../protocols/opcua/events.ts";
import { startFileCapture } from "../peers/tcpdump.ts";
import {
  clientCertificateDer,
  connectOpcuaClient,
  DataType,
  MessageSecurityMode,
  SecurityPolicy,
  startOpcuaPlant,
  type OpcuaPlant,
} from "../peers/opcua-peers.ts";
import { decodeCapture, ofType } from "../peers/replay.ts";

const SERVER = "127.51.1.2";
const OPERATOR = "127.51.1.10";
const SECURE_CLIENT = "127.51.1.11";
const BASIC256SHA256 = "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256";

const dir = mkdtempSync(join(tmpdir(), "otwatch-opcua-peer-"));
let plant: OpcuaPlant;
let port = 0;

beforeAll(async () => {
  port = await freePort(SERVER);
  plant = await startOpcuaPlant({
    host: SERVER,
    port,
    pkiDir: join(dir, "pki"),
    variables: [
      { id: "Kiln3.Temperature", type: "Double", initial: 812.5 },
      { id: "Kiln3.FanSpeed", type: "UInt16", initial: 1450 },
      { id: "Kiln3.Setpoint", type: "Double", initial: 800, writable: true },
      { id: "Kiln3.Enabled", type: "Boolean", initial: true, writable: true },
    ],
    methods: [{ id: "Kiln3.StartPurge", inputs: [{ name: "seconds", type: "UInt32" }, { name: "reason", type: "String" }] }],
  });
}, 30_000);

afterAll(async () => {
  await plant?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("OPC UA between real peers (node-opcua), captured by tcpdump, replayed", () => {
  it("reports browse, read, write (with values) and call (with arguments) as service events", async () => {
    const file = join(dir, "opcua-none.pcap");
    const cap = await startFileCapture(file, `host ${SERVER} and tcp port ${port}`);
    try {
      const c = await connectOpcuaClient({ endpoint: plant.endpoint, localAddress: OPERATOR, pkiDir: join(dir, "pki"), applicationName: "operator" });
      try {
        const browsed = await c.session.browse("ns=1;s=Kiln3");
        expect(browsed.references?.length).toBe(5);
        const read = await c.session.read([
          { nodeId: "ns=1;s=Kiln3.Temperature", attributeId: AttributeIds.Value },
          { nodeId: "ns=1;s=Kiln3.FanSpeed", attributeId: AttributeIds.Value },
        ]);
        expect(read.map((d) => d.value.value)).toEqual([812.5, 1450]);
        const w = await c.session.write([
          { nodeId: "ns=1;s=Kiln3.Setpoint", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 815.25 } } },
          { nodeId: "ns=1;s=Kiln3.Enabled", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Boolean, value: false } } },
        ]);
        expect(w.map((s) => s.value)).toEqual([0, 0]);
        const call = await c.session.call({
          objectId: "ns=1;s=Kiln3",
          methodId: "ns=1;s=Kiln3.StartPurge",
          inputArguments: [
            { dataType: DataType.UInt32, value: 45 },
            { dataType: DataType.String, value: "shift change" },
          ],
        });
        expect(call.statusCode.value).toBe(0);
      } finally {
        await c.close();
      }
    } finally {
      await cap.stop();
    }
    expect(plant.values.get("Kiln3.Setpoint")).toBe(815.25);
    expect(plant.calls).toEqual([{ method: "Kiln3.StartPurge", args: [45, "shift change"] }]);

    const { events, counters } = await decodeCapture(file);
    expect(counters.sum("internal.")).toBe(0);
    expect(ofType(events, "weird")).toEqual([]);
    const services = ofType<OpcuaServiceEvent>(events, "opcua.service");
    // Every service call of the session is paired, from the operator's address to the server's, with mode None.
    for (const s of services) {
      expect({ src: s.src, dst: s.dst, dport: s.dport, status: s.status, mode: s.securityMode }).toEqual({
        src: OPERATOR, dst: SERVER, dport: port, status: "ok", mode: "None",
      });
    }
    const names = services.map((s) => s.service);
    expect(names).toEqual(expect.arrayContaining(["GetEndpoints", "CreateSession", "ActivateSession", "Browse", "Read", "Write", "Call", "CloseSession"]));

    const browse = services.filter((s) => s.service === "Browse" && s.request?.nodes?.includes("ns=1;s=Kiln3"));
    expect(browse).toHaveLength(1);
    expect(browse[0]!.response?.referenceCount).toBe(5);

    const read = services.filter((s) => s.service === "Read" && s.request?.nodes?.includes("ns=1;s=Kiln3.Temperature"));
    expect(read).toHaveLength(1);
    expect(read[0]!.request?.nodes).toEqual(["ns=1;s=Kiln3.Temperature", "ns=1;s=Kiln3.FanSpeed"]);
    expect(read[0]!.response?.values).toEqual([
      { type: "Double", value: "812.5" },
      { type: "UInt16", value: "1450" },
    ]);

    const writes = services.filter((s) => s.service === "Write");
    expect(writes).toHaveLength(1);
    expect(writes[0]!.request?.writes).toEqual([
      { node: "ns=1;s=Kiln3.Setpoint", attribute: 13, value: { type: "Double", value: "815.25" } },
      { node: "ns=1;s=Kiln3.Enabled", attribute: 13, value: { type: "Boolean", value: "false" } },
    ]);
    expect(writes[0]!.response?.results).toEqual([0, 0]);

    const calls = services.filter((s) => s.service === "Call");
    expect(calls).toHaveLength(1);
    expect(calls[0]!.request?.calls).toEqual([
      { object: "ns=1;s=Kiln3", method: "ns=1;s=Kiln3.StartPurge", args: [{ type: "UInt32", value: "45" }, { type: "String", value: "shift change" }] },
    ]);
    expect(calls[0]!.response?.results).toEqual([0]);
  }, 40_000);

  it("reports a SignAndEncrypt channel as metadata: policy, mode, client certificate thumbprint, message sizes", async () => {
    const file = join(dir, "opcua-encrypted.pcap");
    const cap = await startFileCapture(file, `host ${SERVER} and tcp port ${port}`);
    let thumbprint = "";
    try {
      const c = await connectOpcuaClient({
        endpoint: plant.endpoint,
        localAddress: SECURE_CLIENT,
        pkiDir: join(dir, "pki"),
        applicationName: "secure",
        mode: MessageSecurityMode.SignAndEncrypt,
        policy: SecurityPolicy.Basic256Sha256,
      });
      try {
        thumbprint = createHash("sha1").update(clientCertificateDer(c)).digest("hex");
        const v = await c.session.read({ nodeId: "ns=1;s=Kiln3.Setpoint", attributeId: AttributeIds.Value });
        expect(typeof v.value.value).toBe("number");
        await c.session.write({ nodeId: "ns=1;s=Kiln3.Setpoint", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 790 } } });
      } finally {
        await c.close();
      }
    } finally {
      await cap.stop();
    }
    expect(plant.values.get("Kiln3.Setpoint")).toBe(790);

    const { events, counters } = await decodeCapture(file);
    expect(counters.sum("internal.")).toBe(0);
    expect(ofType(events, "weird")).toEqual([]);
    expect(ofType(events, "opcua.error")).toEqual([]);
    const channels = ofType<OpcuaChannelEvent>(events, "opcua.channel");
    // node-opcua first opens an unencrypted discovery channel (GetEndpoints), then the encrypted one.
    const discovery = channels.filter((c) => c.securityPolicy.endsWith("#None"));
    expect(discovery.map((c) => [c.action, c.securityMode])).toEqual([["open", "None"], ["close", "None"]]);
    const secure = channels.filter((c) => c.securityPolicy === BASIC256SHA256);
    expect(secure.map((c) => c.action)).toEqual(["open", "close"]);
    const [open, close] = secure as [OpcuaChannelEvent, OpcuaChannelEvent];
    expect({ src: open.src, dst: open.dst, dport: open.dport }).toEqual({ src: SECURE_CLIENT, dst: SERVER, dport: port });
    // The mode travels inside the RSA-encrypted OPN body: unknown at open, established from the first MSG (ciphertext).
    expect(open.securityMode).toBe("unknown");
    expect(close.securityMode).toBe("SignAndEncrypt");
    expect(open.clientCertThumbprint).toBe(thumbprint);
    expect(open.serverCertThumbprint).toBe(createHash("sha1").update(plant.server.getCertificate()).digest("hex"));
    expect(open.channelId).toBeGreaterThan(0);
    const ch = close;
    expect(ch.channelId).toBe(open.channelId);

    const msgs = ofType<OpcuaSecureMessageEvent>(events, "opcua.secure-msg").filter((m) => m.flow === ch.flow);
    // CreateSession, ActivateSession, Read, Write, CloseSession: at least one request and one response each.
    expect(msgs.filter((m) => m.dir === 0).length).toBeGreaterThanOrEqual(5);
    expect(msgs.filter((m) => m.dir === 1).length).toBeGreaterThanOrEqual(5);
    for (const m of msgs) {
      expect({ channel: m.channelId, token: m.tokenId, mode: m.securityMode, policy: m.securityPolicy }).toEqual({
        channel: ch.channelId, token: ch.tokenId, mode: "SignAndEncrypt", policy: BASIC256SHA256,
      });
      // Clear part: message header (8), channel id (4), token id (4); the rest is whole AES blocks of 16 bytes.
      expect((m.size - 16) % 16).toBe(0);
      expect(m.size).toBeGreaterThan(16 + 32);
    }
    // Nothing of the encrypted session was decoded as a service on that flow.
    expect(ofType<OpcuaServiceEvent>(events, "opcua.service").filter((s) => s.flow === ch.flow)).toEqual([]);
  }, 40_000);
});
