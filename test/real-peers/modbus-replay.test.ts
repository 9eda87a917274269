// Real peers (issue 2 item 9, Modbus part): a modbus-serial TCP server (127.50.2.1) and client (127.50.2.2) talk over
// loopback on a free, non-standard port while tcpdump writes the exchange to a pcap; the file is replayed through the
// real pipeline and every read and write the client made must come out as a paired transaction with its values. The
// port is not 502, so the dissector is found by its content probe.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import modbus from "modbus-serial";
import { Counters } from "../../src/core/counters.ts";
import type { EventBase } from "../../src/core/types.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { freePort } from "../../src/services/free-port.ts";
import type { ModbusTransactionEvent } from "../../protocols/modbus/events.ts";
import { modbusDissector } from "../../protocols/modbus/index.ts";
import { startFileCapture } from "../peers/tcpdump.ts";

const ModbusRTU = modbus.default;
const SERVER = "127.50.2.1";
const CLIENT = "127.50.2.2";
const UNIT = 17;

const dir = mkdtempSync(join(tmpdir(), "otwatch-modbus-peer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A small PLC: holding registers, input registers, coils and discrete inputs in plain arrays. */
function plc() {
  const holding = new Array<number>(200).fill(0);
  const coils = new Array<boolean>(64).fill(false);
  const vector = {
    getHoldingRegister: (addr: number) => holding[addr] ?? 0,
    getInputRegister: (addr: number) => (addr * 7 + 3) & 0xffff,
    getCoil: (addr: number) => coils[addr] ?? false,
    getDiscreteInput: (addr: number) => addr % 3 === 0,
    setRegister: (addr: number, value: number) => {
      holding[addr] = value;
    },
    setCoil: (addr: number, value: boolean) => {
      coils[addr] = value;
    },
    readDeviceIdentification: () => ({ 0: "otwatch test vendor", 1: "PLC-7", 2: "2.4" }),
  };
  return vector;
}

describe("Modbus/TCP between real peers (modbus-serial), captured by tcpdump, replayed", () => {
  it("reports every read and write with its values", async () => {
    const port = await freePort(SERVER);
    const file = join(dir, "modbus.pcap");
    const tcpdump = await startFileCapture(file, `host ${SERVER} and tcp port ${port}`);
    const server = new modbus.ServerTCP(plc(), { host: SERVER, port, unitID: UNIT });
    await new Promise<void>((resolve) => server.on("initialized", () => resolve()));
    const client = new ModbusRTU();
    try {
      await client.connectTCP(SERVER, { port, localAddress: CLIENT });
      client.setID(UNIT);
      await client.writeRegisters(100, [11, 22, 33]);
      expect((await client.readHoldingRegisters(100, 3)).data).toEqual([11, 22, 33]);
      await client.writeRegister(150, 4321);
      await client.writeCoil(5, true);
      await client.writeCoils(8, [true, false, true, true]);
      expect((await client.readCoils(0, 16)).data.slice(0, 12)).toEqual([
        false, false, false, false, false, true, false, false, true, false, true, true,
      ]);
      expect((await client.readInputRegisters(10, 2)).data).toEqual([73, 80]);
      await client.readDiscreteInputs(0, 7);
      await client.readDeviceIdentification(1, 0);
    } finally {
      await new Promise<void>((resolve) => client.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await tcpdump.stop();
    }

    const counters = new Counters();
    const events: ModbusTransactionEvent[] = [];
    const pipeline = new Pipeline({
      dissectors: [modbusDissector],
      counters,
      onEvent: (e: EventBase) => {
        if (e.type === "modbus") events.push(e as ModbusTransactionEvent);
      },
    });
    await readCapture(file, (f) => pipeline.handleFrame(f), counters);
    pipeline.finish();

    expect(counters.sum("internal.")).toBe(0);
    expect(counters.sum("weird.modbus.")).toBe(0);
    const common = { status: "ok", unit: UNIT, src: CLIENT, dst: SERVER, dport: port };
    const seen = events.map((e) => ({
      ...common,
      status: e.status,
      unit: e.unit,
      src: e.src,
      dst: e.dst,
      dport: e.dport,
      fc: e.fc,
      request: e.request && { address: e.request.address, quantity: e.request.quantity, values: e.request.values },
      response: e.response && { values: e.response.values, objects: e.response.objects },
    }));
    expect(seen).toEqual([
      { ...common, fc: 16, request: { address: 100, quantity: 3, values: [11, 22, 33] }, response: { values: undefined, objects: undefined } },
      { ...common, fc: 3, request: { address: 100, quantity: 3, values: undefined }, response: { values: [11, 22, 33], objects: undefined } },
      { ...common, fc: 6, request: { address: 150, quantity: undefined, values: [4321] }, response: { values: [4321], objects: undefined } },
      { ...common, fc: 5, request: { address: 5, quantity: undefined, values: [1] }, response: { values: [1], objects: undefined } },
      { ...common, fc: 15, request: { address: 8, quantity: 4, values: [1, 0, 1, 1] }, response: { values: undefined, objects: undefined } },
      {
        ...common,
        fc: 1,
        request: { address: 0, quantity: 16, values: undefined },
        response: { values: [0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0], objects: undefined },
      },
      { ...common, fc: 4, request: { address: 10, quantity: 2, values: undefined }, response: { values: [73, 80], objects: undefined } },
      { ...common, fc: 2, request: { address: 0, quantity: 7, values: undefined }, response: { values: [1, 0, 0, 1, 0, 0, 1], objects: undefined } },
      {
        ...common,
        fc: 43,
        request: { address: undefined, quantity: undefined, values: undefined },
        response: {
          values: undefined,
          objects: [
            { id: 0, value: "otwatch test vendor" },
            { id: 1, value: "PLC-7" },
            { id: 2, value: "2.4" },
          ],
        },
      },
    ]);
    // Pairing keeps the request's frame on the event and a positive response time.
    for (const e of events) {
      expect(e.frame).toBe(e.request?.frame);
      expect(e.response!.frame).toBeGreaterThan(e.request!.frame);
      expect(e.rtt).toBeGreaterThanOrEqual(0);
    }
  }, 30_000);
});
