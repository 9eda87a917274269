// Scenario generator, the live part: real peers on loopback (modbus-serial PLCs, node-opcua SCADA server) and the
// plant's clients (HMI poller and operator, DMZ historian, EWS) doing normal work on a fast clock, then the live attacks
// of the plan at their scenario times. tcpdump records everything on lo; the caller rewrites the file offline.
import { join } from "node:path";
import { AttributeIds, TimestampsToReturn } from "node-opcua";
import { startFileCapture } from "../../peers/tcpdump.ts";
import { closeModbus, connectModbus, startPlc, type ModbusClient, type Plc } from "../../peers/modbus-peers.ts";
import { connectOpcuaClient, DataType, startOpcuaPlant, type OpcuaPeerClient, type OpcuaPlant } from "../../peers/opcua-peers.ts";
import { FastClock, Serial } from "./clock.ts";
import { between, EWS_BROWSE_EVERY_S, HISTORIAN, HMI_UA, host, MODBUS_PORT, OPCUA_METHODS, OPCUA_PORT, OPCUA_VARIABLES, PLC1, PLC2 } from "./plant.ts";
import { type AttackId, type Plan, type PlannedAttack } from "./schedule.ts";
import { runLiveAttack } from "./live-attacks.ts";

export interface Window {
  startReal: number;
  endReal: number;
}

export interface LiveResult {
  readonly pcap: string;
  readonly t0: number;
  readonly scale: number;
  readonly windows: Map<AttackId, Window>;
  /** Packets tcpdump reported as dropped by the kernel (the capture then has gaps). */
  readonly captureDropped: number;
}

const node = (id: string): string => `ns=1;s=${id}`;

export interface Poller {
  readonly client: ModbusClient;
  readonly serial: Serial;
  paused: boolean;
}

export interface LiveContext {
  readonly clock: FastClock;
  readonly r: () => number;
  readonly plc1: Poller;
  readonly plc2: Poller;
  readonly scada: OpcuaPlant;
  readonly pkiDir: string;
  readonly log: (msg: string) => void;
}

async function poll(clock: FastClock, p: Poller, spec: typeof PLC1 | typeof PLC2, phaseS: number): Promise<void> {
  let next = phaseS;
  while (await clock.until(next)) {
    if (!p.paused) {
      await p.serial.run(async () => {
        for (const q of spec.polls) {
          if (q.fc === 3) await p.client.readHoldingRegisters(q.address, q.quantity);
          else if (q.fc === 4) await p.client.readInputRegisters(q.address, q.quantity);
          else await p.client.readCoils(q.address, q.quantity);
        }
      });
    }
    next += spec.periodS;
  }
}

async function operatorModbus(ctx: LiveContext): Promise<void> {
  const { clock, r } = ctx;
  let nextSet = between(r, 60, 200);
  let nextPumps = between(r, 120, 400);
  while (await clock.until(Math.min(nextSet, nextPumps))) {
    if (nextSet <= nextPumps && ctx.plc1.paused) {
      // The HMI has lost its view of PLC-1 (loss-of-view attack): the operator does not write to it either.
      nextSet += 30;
    } else if (nextSet <= nextPumps) {
      const v = Math.round(between(r, PLC1.setpoint.min, PLC1.setpoint.max));
      await ctx.plc1.serial.run(() => ctx.plc1.client.writeRegister(PLC1.setpoint.address, v));
      nextSet += between(r, 240, 420);
    } else {
      const a = Math.round(between(r, PLC2.pumpSpeeds.min, PLC2.pumpSpeeds.max));
      const b = Math.round(between(r, PLC2.pumpSpeeds.min, PLC2.pumpSpeeds.max));
      await ctx.plc2.serial.run(() => ctx.plc2.client.writeRegisters(PLC2.pumpSpeeds.address, [a, b]));
      nextPumps += between(r, 480, 720);
    }
  }
}

async function historian(ctx: LiveContext, c: OpcuaPeerClient): Promise<void> {
  const { clock } = ctx;
  const sub = await c.session.createSubscription2({
    requestedPublishingInterval: (HISTORIAN.publishingS * 1000) / clock.scale,
    requestedLifetimeCount: 6000,
    requestedMaxKeepAliveCount: 10,
    maxNotificationsPerPublish: 100,
    publishingEnabled: true,
    priority: 1,
  });
  await sub.monitorItems(
    HISTORIAN.subscribed.map((id) => ({ nodeId: node(id), attributeId: AttributeIds.Value })),
    { samplingInterval: (HISTORIAN.publishingS * 1000) / clock.scale, discardOldest: true, queueSize: 1 },
    TimestampsToReturn.Both,
  );
  let next = 20;
  while (await clock.until(next)) {
    await c.session.read(HISTORIAN.read.map((id) => ({ nodeId: node(id), attributeId: AttributeIds.Value })));
    next += HISTORIAN.readEveryS;
  }
  await sub.terminate();
}

async function hmiOpcua(ctx: LiveContext, c: OpcuaPeerClient): Promise<void> {
  const { clock, r } = ctx;
  let nextRead = 5;
  let nextWrite = between(r, 90, 300);
  while (await clock.until(Math.min(nextRead, nextWrite))) {
    if (nextRead <= nextWrite) {
      await c.session.read(HMI_UA.read.map((id) => ({ nodeId: node(id), attributeId: AttributeIds.Value })));
      nextRead += HMI_UA.readEveryS;
    } else {
      const value = Math.round(between(r, HMI_UA.write.min, HMI_UA.write.max) * 10) / 10;
      await c.session.write({ nodeId: node(HMI_UA.write.node), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value } } });
      nextWrite += between(r, 360, 600);
    }
  }
}

async function ewsBrowse(ctx: LiveContext): Promise<void> {
  const { clock, r } = ctx;
  let next = between(r, 30, 120);
  while (await clock.until(next)) {
    const c = await connectOpcuaClient({ endpoint: ctx.scada.endpoint, localAddress: host("ews").lo, pkiDir: ctx.pkiDir, applicationName: "ews" });
    try {
      await c.session.browse("i=85");
      for (const o of ["Filter2", "Chlorine", "Reservoir"]) await c.session.browse(node(o));
      await c.session.read(["Filter2.FlowSetpoint", "Chlorine.DoseLimit"].map((id) => ({ nodeId: node(id), attributeId: AttributeIds.Value })));
    } finally {
      await c.close();
    }
    next += EWS_BROWSE_EVERY_S * between(r, 0.85, 1.15);
  }
}

function processValue(id: string, amplitude: number, r: () => number, initial: number): (v: number) => number {
  const lo = initial - amplitude * 20;
  const hi = initial + amplitude * 20;
  return (v) => Math.round(Math.min(hi, Math.max(lo, v + (r() - 0.5) * amplitude)) * 1000) / 1000;
}

/** Runs the plant on lo for plan.totalS scenario seconds and records the live attacks' real time windows. */
export async function runLive(plan: Plan, opts: { dir: string; scale: number; r: () => number; log: (m: string) => void }): Promise<LiveResult> {
  const { r, log } = opts;
  const pcap = join(opts.dir, "live.pcap");
  const pkiDir = join(opts.dir, "pki");
  const cap = await startFileCapture(pcap, "net 127.77.0.0/16");
  const plcs: Plc[] = [];
  let scada: OpcuaPlant | undefined;
  const clients: ModbusClient[] = [];
  const ua: OpcuaPeerClient[] = [];
  const windows = new Map<AttackId, Window>();
  let clock: FastClock | undefined;
  try {
    const tick = (): number => (clock ? clock.now() : 0);
    plcs.push(await startPlc({ host: host("plc1").lo, port: MODBUS_PORT, unit: PLC1.unit, identity: PLC1.identity, input: (a) => 2000 + a * 13 + Math.round(Math.sin(tick() / 300 + a) * 40) }));
    plcs.push(await startPlc({ host: host("plc2").lo, port: MODBUS_PORT, unit: PLC2.unit, identity: PLC2.identity, discrete: (a) => (a + Math.floor(tick() / 900)) % 4 === 0 }));
    plcs[0]!.holding.splice(0, 12, 812, 640, 55, 0, 1, 3200, 2900, 12, 480, 75, 500, 20);
    plcs[1]!.holding.splice(200, 16, 38, 41, 3, 1, 0, 7, 112, 96, 1500, 0, 0, 4, 2, 88, 63, 1);
    plcs[1]!.coils.splice(0, 8, true, false, true, true, false, false, false, true);
    scada = await startOpcuaPlant({
      host: host("scada").lo,
      port: OPCUA_PORT,
      pkiDir,
      productUri: "urn:riverside:scada",
      variables: OPCUA_VARIABLES.map((v) => ({
        id: v.id, type: v.type, initial: v.initial, writable: "writable" in v ? v.writable : false,
        drift: "drift" in v && typeof v.initial === "number" ? processValue(v.id, v.drift, r, v.initial) : undefined,
      })),
      methods: OPCUA_METHODS,
    });
    clock = new FastClock(opts.scale);
    const ctx: LiveContext = {
      clock, r, pkiDir, log, scada,
      plc1: { client: await connectModbus(host("plc1").lo, MODBUS_PORT, host("hmi").lo, PLC1.unit), serial: new Serial(), paused: false },
      plc2: { client: await connectModbus(host("plc2").lo, MODBUS_PORT, host("hmi").lo, PLC2.unit), serial: new Serial(), paused: false },
    };
    clients.push(ctx.plc1.client, ctx.plc2.client);
    ua.push(await connectOpcuaClient({ endpoint: scada.endpoint, localAddress: host("historian").lo, pkiDir, applicationName: "historian" }));
    ua.push(await connectOpcuaClient({ endpoint: scada.endpoint, localAddress: host("hmi").lo, pkiDir, applicationName: "hmi" }));
    const tasks: Promise<void>[] = [
      poll(clock, ctx.plc1, PLC1, 0.5),
      poll(clock, ctx.plc2, PLC2, 1.2),
      operatorModbus(ctx),
      historian(ctx, ua[0]!),
      hmiOpcua(ctx, ua[1]!),
      ewsBrowse(ctx),
      ...plan.attacks.filter((a) => a.live).map((a) => attackAt(ctx, a, windows)),
    ];
    const progress = setInterval(() => log(`  scenario ${Math.round(clock!.now())} / ${plan.totalS} s`), 30_000);
    await clock.until(plan.totalS);
    clearInterval(progress);
    clock.stop();
    await Promise.all(tasks);
  } finally {
    clock?.stop();
    for (const c of clients) await closeModbus(c);
    for (const c of ua) await c.close().catch(() => undefined);
    await scada?.stop();
    for (const p of plcs) await p.close();
    await cap.stop();
  }
  return { pcap, t0: clock.t0, scale: opts.scale, windows, captureDropped: cap.dropped() };
}

async function attackAt(ctx: LiveContext, a: PlannedAttack, windows: Map<AttackId, Window>): Promise<void> {
  if (!(await ctx.clock.until(a.startS))) return;
  ctx.log(`  attack ${a.key} at scenario ${a.startS} s`);
  const startReal = ctx.clock.real();
  await runLiveAttack(ctx, a);
  windows.set(a.key, { startReal, endReal: ctx.clock.real() });
}

