// Scenario generator, the plant: a small water-treatment site ("riverside") with its zones, hosts (loopback address used
// while generating, plant address and MAC written into the capture), PLC register maps and OPC UA nodes. Deliberately
// unlike ../shared/scenarios (other subnets, unit ids, registers, node names, periods) so tests built on it do not
// flatter detectors tuned to that plant. MAC OUIs are real vendors' (IEEE registry) so asset inventory shows vendors.

import { seededRandom as rng } from "../../fixtures/seeded-random.ts";

export { rng };

export interface Zone {
  readonly name: string;
  readonly level: number;
  readonly cidr: string;
  /** Gateway (firewall interface) in this zone: host .1 with its own MAC. */
  readonly gateway: string;
}

export const ZONES: readonly Zone[] = [
  { name: "enterprise", level: 4, cidr: "10.60.0.0/16", gateway: "10.60.0.1" },
  { name: "dmz", level: 3.5, cidr: "10.70.5.0/24", gateway: "10.70.5.1" },
  { name: "supervisory", level: 2, cidr: "192.168.50.0/24", gateway: "192.168.50.1" },
  { name: "control", level: 1, cidr: "192.168.60.0/24", gateway: "192.168.60.1" },
];

export const CONDUITS = [
  { from: "dmz", to: "supervisory", service: "opcua" },
  { from: "enterprise", to: "dmz", service: "rdp" },
] as const;

export type Role =
  | "plc1" | "plc2" | "hmi" | "ews" | "scada" | "historian" | "jump" | "ws1" | "ws2" | "ws3" | "dns" | "external";

export interface Host {
  readonly role: Role;
  readonly description: string;
  /** Address used on lo while generating (distinct 127.x per host). */
  readonly lo: string;
  /** Address written into the capture. */
  readonly ip: string;
  readonly mac: string;
  readonly zone: string;
}

// OUIs: 00:0e:8c Siemens, 00:80:f4 Telemecanique (Schneider), 00:0c:29 VMware, b8:ca:3a Dell, 3c:52:82 HP,
// 00:50:56 VMware, 00:a0:45 Phoenix Contact, 00:1b:17 Palo Alto Networks (gateways and the internet side).
export const HOSTS: readonly Host[] = [
  { role: "plc1", description: "PLC-1 filtration (Modbus/TCP 502, unit 3)", lo: "127.77.60.31", ip: "192.168.60.31", mac: "00:0e:8c:4a:31:07", zone: "control" },
  { role: "plc2", description: "PLC-2 dosing (Modbus/TCP 502, unit 5)", lo: "127.77.60.32", ip: "192.168.60.32", mac: "00:80:f4:12:6b:32", zone: "control" },
  { role: "hmi", description: "HMI: Modbus poller + OPC UA operator client", lo: "127.77.50.11", ip: "192.168.50.11", mac: "b8:ca:3a:71:50:11", zone: "supervisory" },
  { role: "ews", description: "engineering workstation: periodic OPC UA browse", lo: "127.77.50.12", ip: "192.168.50.12", mac: "3c:52:82:0e:50:12", zone: "supervisory" },
  { role: "scada", description: "SCADA OPC UA server (port 4840)", lo: "127.77.50.20", ip: "192.168.50.20", mac: "00:a0:45:9c:50:20", zone: "supervisory" },
  { role: "historian", description: "historian (DMZ): OPC UA subscription and reads", lo: "127.77.5.15", ip: "10.70.5.15", mac: "00:50:56:a4:05:15", zone: "dmz" },
  { role: "jump", description: "jump host (DMZ): RDP from the enterprise", lo: "127.77.5.40", ip: "10.70.5.40", mac: "00:50:56:a4:05:40", zone: "dmz" },
  { role: "ws1", description: "enterprise workstation", lo: "127.77.12.21", ip: "10.60.12.21", mac: "3c:52:82:5d:12:21", zone: "enterprise" },
  { role: "ws2", description: "enterprise workstation", lo: "127.77.12.22", ip: "10.60.12.22", mac: "3c:52:82:5d:12:22", zone: "enterprise" },
  { role: "ws3", description: "enterprise workstation", lo: "127.77.12.23", ip: "10.60.12.23", mac: "3c:52:82:5d:12:23", zone: "enterprise" },
  { role: "dns", description: "enterprise DNS resolver", lo: "127.77.0.53", ip: "10.60.0.53", mac: "00:0c:29:3e:00:53", zone: "enterprise" },
  { role: "external", description: "internet host (beacon destination)", lo: "127.77.99.23", ip: "198.51.100.23", mac: "00:1b:17:00:99:01", zone: "internet" },
];

export const GATEWAY_MAC = "00:1b:17:00:01:01";

export function host(role: Role): Host {
  const h = HOSTS.find((x) => x.role === role);
  if (!h) throw new Error(`no host with role ${role}`);
  return h;
}

export const MODBUS_PORT = 502;
export const OPCUA_PORT = 4840;

/** PLC register maps and what the HMI polls; periods in scenario seconds. */
export const PLC1 = {
  unit: 3,
  identity: { vendor: "Siemens", product: "CPU 1214C (Modbus/TCP)", revision: "V4.5" },
  polls: [
    { fc: 3 as const, address: 0, quantity: 12 },
    { fc: 4 as const, address: 100, quantity: 8 },
  ],
  periodS: 2,
  /** Filter bed flow setpoint the operator adjusts (FC6). */
  setpoint: { address: 10, min: 480, max: 540 },
};

export const PLC2 = {
  unit: 5,
  identity: { vendor: "Schneider Electric", product: "M221 dosing", revision: "1.6.2" },
  polls: [
    { fc: 3 as const, address: 200, quantity: 16 },
    { fc: 1 as const, address: 0, quantity: 16 },
  ],
  periodS: 4,
  /** Dosing pump speeds the operator writes together (FC16). */
  pumpSpeeds: { address: 220, min: 30, max: 45 },
};

/** OPC UA address space of the SCADA server (namespace 1, string ids). */
export const OPCUA_VARIABLES = [
  { id: "Filter2.FlowRate", type: "Double", initial: 131.4, drift: 0.6 },
  { id: "Filter2.Turbidity", type: "Double", initial: 0.42, drift: 0.01 },
  { id: "Filter2.FlowSetpoint", type: "Double", initial: 130, writable: true },
  { id: "Filter2.BackwashActive", type: "Boolean", initial: false },
  { id: "Chlorine.Residual", type: "Double", initial: 1.12, drift: 0.02 },
  { id: "Chlorine.DoseRate", type: "Double", initial: 3.8, drift: 0.05 },
  { id: "Chlorine.DoseLimit", type: "Double", initial: 6, writable: true },
  { id: "Reservoir.Level", type: "Double", initial: 71.5, drift: 0.2 },
  { id: "Reservoir.InletValve", type: "UInt16", initial: 55 },
] as const;

export const OPCUA_METHODS = [{ id: "Filter2.StartBackwash", inputs: [{ name: "minutes", type: "UInt32" as const }] }];

/** Historian subscription and periodic read; HMI operator reads and the one node it writes. */
export const HISTORIAN = {
  subscribed: ["Filter2.FlowRate", "Chlorine.Residual", "Reservoir.Level", "Filter2.Turbidity"],
  publishingS: 5,
  readEveryS: 60,
  read: ["Chlorine.DoseRate", "Reservoir.InletValve", "Filter2.BackwashActive"],
};

export const HMI_UA = {
  readEveryS: 30,
  read: ["Filter2.FlowRate", "Chlorine.Residual", "Reservoir.Level"],
  write: { node: "Filter2.FlowSetpoint", min: 120, max: 140 },
};

export const EWS_BROWSE_EVERY_S = 600;

export function between(r: () => number, min: number, max: number): number {
  return min + (max - min) * r();
}
