// Scenario generator, the live attacks: what each planned attack does against the real peers on loopback (an FC6 write
// out of the learned range, an FC5 coil write, FC43/FC8 reconnaissance from the EWS, an enterprise host reading a PLC,
// an OPC UA write to a node never written, a polling stop). The port scan and the beacon are synthesised offline.
import { connect } from "node:net";
import { AttributeIds } from "node-opcua";
import { closeModbus, connectModbus } from "../../peers/modbus-peers.ts";
import { connectOpcuaClient, DataType } from "../../peers/opcua-peers.ts";
import type { LiveContext } from "./live.ts";
import { host, MODBUS_PORT, PLC1, PLC2 } from "./plant.ts";
import type { PlannedAttack } from "./schedule.ts";

export async function runLiveAttack(ctx: LiveContext, a: PlannedAttack): Promise<void> {
  switch (a.key) {
    case "oor-write":
      await ctx.plc1.serial.run(async () => {
        await ctx.plc1.client.writeRegister(PLC1.setpoint.address, 1900);
        await ctx.plc1.client.readHoldingRegisters(PLC1.setpoint.address, 1);
      });
      return;
    case "coil-write":
      await ctx.plc2.serial.run(async () => {
        await ctx.plc2.client.writeCoil(7, true);
        await ctx.plc2.client.readCoils(0, 16);
      });
      return;
    case "loss-of-view":
      ctx.plc1.paused = true;
      await ctx.clock.sleep(a.durationS);
      ctx.plc1.paused = false;
      return;
    case "recon":
      for (const [role, unit] of [["plc1", PLC1.unit], ["plc2", PLC2.unit]] as const) {
        const c = await connectModbus(host(role).lo, MODBUS_PORT, host("ews").lo, unit);
        try {
          await c.readDeviceIdentification(1, 0);
          await c.readDeviceIdentification(2, 0);
        } finally {
          await closeModbus(c);
        }
        await rawFc8(host(role).lo, host("ews").lo, unit);
        await ctx.clock.sleep(3);
      }
      return;
    case "it-to-ot": {
      const c = await connectModbus(host("plc2").lo, MODBUS_PORT, host("ws3").lo, PLC2.unit);
      try {
        const end = ctx.clock.now() + a.durationS;
        do {
          await c.readHoldingRegisters(200, 40);
          await c.readCoils(0, 32);
        } while ((await ctx.clock.sleep(5)) && ctx.clock.now() < end);
      } finally {
        await closeModbus(c);
      }
      return;
    }
    case "opcua-new-node": {
      const c = await connectOpcuaClient({ endpoint: ctx.scada.endpoint, localAddress: host("hmi").lo, pkiDir: ctx.pkiDir, applicationName: "hmi-2" });
      try {
        await c.session.write({ nodeId: "ns=1;s=Chlorine.DoseLimit", attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 14.5 } } });
        await c.session.read({ nodeId: "ns=1;s=Chlorine.DoseLimit", attributeId: AttributeIds.Value });
      } finally {
        await c.close();
      }
      return;
    }
    default:
      throw new Error(`${a.key} is not a live attack`);
  }
}

/**
 * FC8 Diagnostics, sub-function 0 (Return Query Data), sent over a raw socket: modbus-serial's client has no FC8. The
 * modbus-serial server answers with exception 01 (illegal function), as many real PLCs do.
 */
export function rawFc8(server: string, localAddress: string, unit: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: server, port: MODBUS_PORT, localAddress }, () => {
      s.write(Buffer.from([0x13, 0x37, 0, 0, 0, 6, unit, 0x08, 0x00, 0x00, 0xa5, 0x37]));
    });
    const timer = setTimeout(() => s.end(), 2000);
    s.once("data", () => {
      clearTimeout(timer);
      s.end();
    });
    s.once("close", () => resolve());
    s.once("error", reject);
  });
}
