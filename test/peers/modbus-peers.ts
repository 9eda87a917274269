// Test peer helper: modbus-serial TCP servers acting as PLCs (holding/input registers, coils, discrete inputs and device
// identification held in plain arrays the test can inspect) and clients bound to chosen loopback source addresses.
import modbus from "modbus-serial";

const ModbusRTU = modbus.default;
export type ModbusClient = InstanceType<typeof ModbusRTU>;

export interface PlcSpec {
  readonly host: string;
  readonly port: number;
  /** Unit id the server answers (modbus-serial ignores requests for other units). */
  readonly unit: number;
  readonly holdingSize?: number;
  readonly coilCount?: number;
  /** Input register value by address (a live process value). */
  readonly input?: (addr: number) => number;
  readonly discrete?: (addr: number) => boolean;
  readonly identity?: { vendor: string; product: string; revision: string };
}

export interface Plc {
  readonly holding: number[];
  readonly coils: boolean[];
  close(): Promise<void>;
}

export async function startPlc(spec: PlcSpec): Promise<Plc> {
  const holding = new Array<number>(spec.holdingSize ?? 2048).fill(0);
  const coils = new Array<boolean>(spec.coilCount ?? 256).fill(false);
  const id = spec.identity ?? { vendor: "otwatch test vendor", product: "PLC", revision: "1.0" };
  const vector = {
    getHoldingRegister: (addr: number) => holding[addr] ?? 0,
    getInputRegister: (addr: number) => (spec.input ? spec.input(addr) : (addr * 7 + 3) & 0xffff),
    getCoil: (addr: number) => coils[addr] ?? false,
    getDiscreteInput: (addr: number) => (spec.discrete ? spec.discrete(addr) : addr % 3 === 0),
    setRegister: (addr: number, value: number) => {
      holding[addr] = value;
    },
    setCoil: (addr: number, value: boolean) => {
      coils[addr] = value;
    },
    readDeviceIdentification: () => ({ 0: id.vendor, 1: id.product, 2: id.revision }),
  };
  const server = new modbus.ServerTCP(vector, { host: spec.host, port: spec.port, unitID: spec.unit });
  await new Promise<void>((resolve, reject) => {
    server.on("initialized", () => resolve());
    server.on("error", (e: unknown) => reject(e instanceof Error ? e : new Error(String(e))));
  });
  return {
    holding,
    coils,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export async function connectModbus(host: string, port: number, localAddress: string, unit: number, timeoutMs = 2000): Promise<ModbusClient> {
  const client = new ModbusRTU();
  await client.connectTCP(host, { port, localAddress });
  client.setID(unit);
  client.setTimeout(timeoutMs);
  return client;
}

export function closeModbus(client: ModbusClient): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!client.isOpen) return resolve();
    client.close(() => resolve());
  });
}
