// Real peers, live (issue 2 item 9): the same kind of exchange as the replay tests, but tcpdump on `lo` feeds the pipeline
// directly through startLiveCapture (the `otwatch capture` path), with no file in between. A modbus-serial PLC and a
// node-opcua server each talk to a client on its own loopback address; the BPF filter keeps only these hosts.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AttributeIds } from "node-opcua";
import { startLiveCapture } from "../../src/capture/live.ts";
import { freePort } from "../../src/services/free-port.ts";
import type { ModbusTransactionEvent } from "../../protocols/modbus/events.ts";
import type { OpcuaServiceEvent } from "../../protocols/opcua/events.ts";
import { closeModbus, connectModbus, startPlc, type Plc } from "../peers/modbus-peers.ts";
import { connectOpcuaClient, DataType, startOpcuaPlant, type OpcuaPlant } from "../peers/opcua-peers.ts";
import { createCollector, ofType } from "../peers/replay.ts";

const PLC = "127.51.2.2";
const HMI = "127.51.2.1";
const SCADA = "127.51.2.7";
const EWS = "127.51.2.6";
const UNIT = 9;

const dir = mkdtempSync(join(tmpdir(), "otwatch-live-peer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("live capture from lo straight into the pipeline", () => {
  it("decodes Modbus reads/writes and OPC UA browse/read/write/call as they happen", async () => {
    const mbPort = await freePort(PLC);
    const uaPort = await freePort(SCADA);
    const { pipeline, decoded } = createCollector();
    const live = startLiveCapture({
      iface: "lo",
      filter: `(host ${PLC} and tcp port ${mbPort}) or (host ${SCADA} and tcp port ${uaPort})`,
      onFrame: (f) => pipeline.handleFrame(f),
      counters: decoded.counters,
      statsIntervalMs: 0,
    });
    let plc: Plc | undefined;
    let scada: OpcuaPlant | undefined;
    try {
      plc = await startPlc({ host: PLC, port: mbPort, unit: UNIT, input: (a) => 1000 + a });
      scada = await startOpcuaPlant({
        host: SCADA,
        port: uaPort,
        pkiDir: join(dir, "pki"),
        variables: [
          { id: "Boiler1.Pressure", type: "Double", initial: 4.25 },
          { id: "Boiler1.Limit", type: "Double", initial: 6, writable: true },
        ],
        methods: [{ id: "Boiler1.Vent", inputs: [{ name: "percent", type: "Double" }] }],
      });
      await live.ready;
      const mb = await connectModbus(PLC, mbPort, HMI, UNIT);
      try {
        await mb.writeRegister(40, 1234);
        expect((await mb.readHoldingRegisters(38, 4)).data).toEqual([0, 0, 1234, 0]);
        expect((await mb.readInputRegisters(7, 2)).data).toEqual([1007, 1008]);
        await mb.writeCoils(3, [true, true, false]);
      } finally {
        await closeModbus(mb);
      }
      const c = await connectOpcuaClient({ endpoint: scada.endpoint, localAddress: EWS, pkiDir: join(dir, "pki"), applicationName: "ews" });
      try {
        await c.session.browse("ns=1;s=Boiler1");
        await c.session.read({ nodeId: "ns=1;s=Boiler1.Pressure", attributeId: AttributeIds.Value });
        await c.session.write({ nodeId: "ns=1;s=Boiler1.Limit", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 5.5 } } });
        await c.session.call({ objectId: "ns=1;s=Boiler1", methodId: "ns=1;s=Boiler1.Vent", inputArguments: [{ dataType: DataType.Double, value: 12.5 }] });
      } finally {
        await c.close();
      }
    } finally {
      await new Promise((r) => setTimeout(r, 300));
      await live.stop();
      await plc?.close();
      await scada?.stop();
    }
    await live.done;
    pipeline.finish();

    expect(live.stats().dropped).toBe(0);
    expect(decoded.counters.sum("internal.")).toBe(0);
    expect(ofType(decoded.events, "weird")).toEqual([]);

    const mb = ofType<ModbusTransactionEvent>(decoded.events, "modbus").map((e) => ({
      src: e.src, dst: e.dst, dport: e.dport, unit: e.unit, fc: e.fc, status: e.status,
      address: e.request?.address, req: e.request?.values, resp: e.response?.values,
    }));
    const common = { src: HMI, dst: PLC, dport: mbPort, unit: UNIT, status: "ok" };
    expect(mb).toEqual([
      { ...common, fc: 6, address: 40, req: [1234], resp: [1234] },
      { ...common, fc: 3, address: 38, req: undefined, resp: [0, 0, 1234, 0] },
      { ...common, fc: 4, address: 7, req: undefined, resp: [1007, 1008] },
      { ...common, fc: 15, address: 3, req: [1, 1, 0], resp: undefined },
    ]);

    const ua = ofType<OpcuaServiceEvent>(decoded.events, "opcua.service");
    expect(ua.every((s) => s.src === EWS && s.dst === SCADA && s.dport === uaPort && s.status === "ok")).toBe(true);
    const browse = ua.find((s) => s.service === "Browse" && s.request?.nodes?.includes("ns=1;s=Boiler1"));
    expect(browse?.response?.referenceCount).toBe(3);
    const read = ua.find((s) => s.service === "Read" && s.request?.nodes?.[0] === "ns=1;s=Boiler1.Pressure");
    expect(read?.response?.values).toEqual([{ type: "Double", value: "4.25" }]);
    expect(ua.filter((s) => s.service === "Write").map((s) => s.request?.writes)).toEqual([
      [{ node: "ns=1;s=Boiler1.Limit", attribute: 13, value: { type: "Double", value: "5.5" } }],
    ]);
    expect(ua.filter((s) => s.service === "Call").map((s) => s.request?.calls)).toEqual([
      [{ object: "ns=1;s=Boiler1", method: "ns=1;s=Boiler1.Vent", args: [{ type: "Double", value: "12.5" }] }],
    ]);
  }, 40_000);
});
