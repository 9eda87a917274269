// Scenario generator, the attack plan: which attacks run, when (scenario seconds, seeded), and what their labels say.
// The first part of the capture (learnFraction) is normal traffic only; attacks fill the rest in slots, the beacon spans
// the whole detection period. Kinds and fields follow ../shared/scenarios/*.labels.json.
import { between, host, MODBUS_PORT, OPCUA_PORT, PLC1, PLC2, type Role } from "./plant.ts";

export type AttackId = "oor-write" | "coil-write" | "recon" | "it-to-ot" | "opcua-new-node" | "loss-of-view" | "port-scan" | "beacon";

export interface PlannedAttack {
  readonly key: AttackId;
  readonly kind: string;
  readonly protocol: string;
  readonly mitre: readonly string[];
  readonly attacker: Role;
  readonly targets: readonly (Role | string)[];
  readonly dstPorts: readonly number[];
  readonly description: string;
  /** Scenario seconds. */
  readonly startS: number;
  /** Planned duration (loss of view, IT→OT session, beacon); short attacks end when their last answer arrives. */
  readonly durationS: number;
  /** Live attacks run against the real peers; synthetic ones are built offline. */
  readonly live: boolean;
}

export const SCAN_PORTS = [21, 22, 80, 102, 443, 502, 1911, 2222, 4840, 20000, 44818, 47808];
export const BEACON = { port: 443, periodS: 75, jitter: 0.05, sni: "telemetry.cdn-edge-update.net" };

interface Template {
  key: AttackId;
  weight: number;
  make(startS: number, slotS: number): Omit<PlannedAttack, "key" | "startS">;
}

const TEMPLATES: readonly Template[] = [
  {
    key: "oor-write", weight: 1,
    make: () => ({
      kind: "modbus_fc6_out_of_range", protocol: "modbus", mitre: ["T0836", "T0855"], attacker: "hmi", targets: ["plc1"],
      dstPorts: [MODBUS_PORT], durationS: 0, live: true,
      description: `HMI writes holding register ${PLC1.setpoint.address} of PLC-1 (unit ${PLC1.unit}; learned range ${PLC1.setpoint.min}..${PLC1.setpoint.max}) with 1900 using FC6, then reads it back`,
    }),
  },
  {
    key: "recon", weight: 1,
    make: () => ({
      kind: "modbus_recon_fc43_fc8", protocol: "modbus", mitre: ["T0888", "T0846"], attacker: "ews", targets: ["plc1", "plc2"],
      dstPorts: [MODBUS_PORT], durationS: 0, live: true,
      description: "Engineering workstation (never a Modbus client) sends FC43/14 Read Device Identification (basic and regular) and FC8 diagnostics (return query data) to both PLCs",
    }),
  },
  {
    key: "loss-of-view", weight: 2,
    make: (_s, slot) => ({
      kind: "modbus_loss_of_view", protocol: "modbus", mitre: ["T0829"], attacker: "hmi", targets: ["plc1"],
      dstPorts: [MODBUS_PORT], durationS: Math.min(240, Math.round(slot * 0.8)), live: true,
      description: `HMI stops polling PLC-1 (normally every ${PLC1.periodS} s) while its TCP connection stays open`,
    }),
  },
  {
    key: "coil-write", weight: 1,
    make: () => ({
      kind: "modbus_fc5_new_coil_write", protocol: "modbus", mitre: ["T0855", "T0831"], attacker: "hmi", targets: ["plc2"],
      dstPorts: [MODBUS_PORT], durationS: 0, live: true,
      description: `HMI forces coil 7 of PLC-2 (unit ${PLC2.unit}) ON with FC5 (coils are only read in normal traffic), then reads the coils back`,
    }),
  },
  {
    key: "it-to-ot", weight: 1,
    make: (_s, slot) => ({
      kind: "it_to_ot_modbus_read", protocol: "modbus", mitre: ["T0886", "T0801"], attacker: "ws3", targets: ["plc2"],
      dstPorts: [MODBUS_PORT], durationS: Math.min(90, Math.round(slot * 0.5)), live: true,
      description: "Enterprise workstation connects straight to PLC-2:502 (skipping the DMZ) and reads holding registers 200-239 and coils 0-31 every 5 s",
    }),
  },
  {
    key: "port-scan", weight: 1,
    make: () => ({
      kind: "port_scan", protocol: "tcp", mitre: ["T0846", "T1046"], attacker: "jump", targets: ["192.168.60.0/24"],
      dstPorts: SCAN_PORTS, durationS: 0, live: false,
      description: `DMZ jump host SYN-scans the control network 192.168.60.1-254 on ${SCAN_PORTS.length} IT/OT ports (the PLCs answer SYN-ACK on 502, RST otherwise)`,
    }),
  },
  {
    key: "opcua-new-node", weight: 1,
    make: () => ({
      kind: "opcua_write_new_node", protocol: "opcua", mitre: ["T0836", "T0855"], attacker: "hmi", targets: ["scada"],
      dstPorts: [OPCUA_PORT], durationS: 0, live: true,
      description: "HMI host opens a new OPC UA session and writes ns=1;s=Chlorine.DoseLimit = 14.5 (never written; the operator only writes Filter2.FlowSetpoint)",
    }),
  },
];

export interface Plan {
  readonly totalS: number;
  readonly learnS: number;
  readonly attacks: readonly PlannedAttack[];
}

/** Learning takes the first `learnFraction` of `minutes`; attacks are spread over the rest, seeded. */
export function planAttacks(minutes: number, learnFraction: number, r: () => number): Plan {
  const totalS = Math.round(minutes * 60);
  const learnS = Math.round(totalS * learnFraction);
  const detectS = totalS - learnS;
  const weights = TEMPLATES.reduce((n, t) => n + t.weight, 0);
  const unit = (detectS - 20) / weights;
  const attacks: PlannedAttack[] = [];
  let at = learnS + 10;
  for (const t of TEMPLATES) {
    const slot = unit * t.weight;
    const startS = Math.round(at + between(r, 0.1, 0.25) * slot);
    attacks.push({ key: t.key, startS, ...t.make(startS, slot) });
    at += slot;
  }
  const beaconStart = learnS + Math.round(between(r, 5, 20));
  attacks.push({
    key: "beacon", kind: "c2_beaconing", protocol: "tls", mitre: ["T0869", "T1071.001"], attacker: "ews", targets: ["external"],
    dstPorts: [BEACON.port], startS: beaconStart, durationS: totalS - 15 - beaconStart, live: false,
    description: `Engineering workstation opens a TLS session to internet host 198.51.100.23:${BEACON.port} (SNI ${BEACON.sni}) every ${BEACON.periodS} s +/- ${BEACON.jitter * 100}%`,
  });
  return { totalS, learnS, attacks: attacks.sort((a, b) => a.startS - b.startS) };
}

/** Label targets as addresses: roles resolved, CIDRs kept. */
export function targetAddresses(a: PlannedAttack): string[] {
  return a.targets.map((t) => (t.includes("/") ? t : host(t as Role).ip));
}
