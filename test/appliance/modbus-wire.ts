// A minimal Modbus/TCP server and client on raw sockets for the service tests (one request per chunk, answered at
// once): FC3 read holding registers returns address-derived values, FC6 write single register is echoed.
import { connect, createServer, type Server, type Socket } from "node:net";

export function mbap(tid: number, unit: number, pdu: Buffer): Buffer {
  const h = Buffer.alloc(7);
  h.writeUInt16BE(tid, 0);
  h.writeUInt16BE(0, 2);
  h.writeUInt16BE(pdu.length + 1, 4);
  h.writeUInt8(unit, 6);
  return Buffer.concat([h, pdu]);
}

export async function startModbusServer(host: string, port: number): Promise<Server> {
  const server = createServer((s) => {
    s.on("data", (req) => {
      const tid = req.readUInt16BE(0);
      const unit = req.readUInt8(6);
      const fc = req.readUInt8(7);
      if (fc === 3) {
        const qty = req.readUInt16BE(10);
        const pdu = Buffer.alloc(2 + qty * 2);
        pdu[0] = 3;
        pdu[1] = qty * 2;
        for (let i = 0; i < qty; i++) pdu.writeUInt16BE((req.readUInt16BE(8) + i) & 0xffff, 2 + i * 2);
        s.write(mbap(tid, unit, pdu));
      } else {
        s.write(req.subarray(0, 12));
      }
    });
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => server.listen(port, host, () => r()));
  return server;
}

export class ModbusWireClient {
  private tid = 1;
  private constructor(private readonly sock: Socket) {}

  static async connect(host: string, port: number, localAddress: string): Promise<ModbusWireClient> {
    const sock = connect({ host, port, localAddress });
    await new Promise<void>((r, j) => sock.once("connect", () => r()).once("error", j));
    return new ModbusWireClient(sock);
  }

  private async call(pdu: Buffer): Promise<Buffer> {
    const reply = new Promise<Buffer>((r) => this.sock.once("data", r));
    this.sock.write(mbap(this.tid++, 1, pdu));
    return reply;
  }

  readHolding(addr: number, qty: number): Promise<Buffer> {
    const pdu = Buffer.alloc(5);
    pdu[0] = 3;
    pdu.writeUInt16BE(addr, 1);
    pdu.writeUInt16BE(qty, 3);
    return this.call(pdu);
  }

  writeRegister(addr: number, value: number): Promise<Buffer> {
    const pdu = Buffer.alloc(5);
    pdu[0] = 6;
    pdu.writeUInt16BE(addr, 1);
    pdu.writeUInt16BE(value, 3);
    return this.call(pdu);
  }

  close(): Promise<void> {
    return new Promise((r) => {
      this.sock.end(() => r());
      this.sock.on("close", () => r());
    });
  }
}
