// The bundled demo capture (appliance/demo, made by test/scenarios/generate): readable, small, decodes without internal
// errors or protocol anomalies, its learning window holds no attack traffic, and every labelled attack is in the file
// where its label says — the attacker exchanging packets with its targets inside [start, end] doing what the label
// describes (the decoded Modbus function codes and values, the OPC UA node written, the scan's SYNs, the beacon's TLS).
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { loadSiteConfig } from "../../src/config/site.ts";
import { TCP_ACK, TCP_SYN, type EventBase, type FlowEndEvent } from "../../src/core/types.ts";
import type { ModbusTransactionEvent } from "../../protocols/modbus/events.ts";
import type { OpcuaServiceEvent } from "../../protocols/opcua/events.ts";
import type { TlsClientHelloEvent } from "../../src/detect/behaviour/types.ts";
import { repoRoot } from "../helpers/shared.ts";
import { decodeCapture, ofType, type Decoded } from "../peers/replay.ts";
import { countAttackPackets } from "./generate/labels.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Counters } from "../../src/core/counters.ts";

const DEMO = join(repoRoot, "appliance/demo");
const PCAP = join(DEMO, "plant-demo.pcap");

interface Attack {
  id: string;
  kind: string;
  attacker: string;
  targets: string[];
  dst_ports: number[];
  packets: number;
  start: number;
  end: number;
}
interface Labels {
  first_packet: number;
  last_packet: number;
  learn_until_epoch: number;
  attacks: Attack[];
}

const labels = JSON.parse(readFileSync(`${PCAP}.labels.json`, "utf8")) as Labels;
let decoded: Decoded;
const records: { ts: number; data: Uint8Array }[] = [];

beforeAll(async () => {
  decoded = await decodeCapture(PCAP);
  await readCapture(PCAP, (f) => records.push({ ts: f.ts, data: f.data.slice() }), new Counters());
}, 30_000);

const attack = (kind: string): Attack => {
  const a = labels.attacks.find((x) => x.kind === kind);
  if (!a) throw new Error(`no ${kind} attack in the labels`);
  return a;
};
const inside = (e: EventBase, a: Attack): boolean => e.ts >= a.start && e.ts <= a.end;
const between = (e: EventBase, a: string, b: string): boolean => e.src === a && e.dst === b;

describe("bundled demo capture (appliance/demo)", () => {
  it("is a small, readable capture matching its labels and site config", () => {
    expect(statSync(PCAP).size).toBeLessThanOrEqual(3.2 * 1024 * 1024);
    expect(decoded.packets).toBe(records.length);
    expect(records[0]!.ts).toBeCloseTo(labels.first_packet, 5);
    expect(records.at(-1)!.ts).toBeCloseTo(labels.last_packet, 5);
    const span = labels.last_packet - labels.first_packet;
    expect(span).toBeGreaterThan(50 * 60);
    const learn = labels.learn_until_epoch - labels.first_packet;
    expect(learn).toBeGreaterThanOrEqual(30 * 60);
    expect(learn).toBeLessThanOrEqual(40 * 60);
    expect(labels.attacks.length).toBeGreaterThanOrEqual(6);
    expect(labels.attacks.every((a) => a.start >= labels.learn_until_epoch && a.end <= labels.last_packet)).toBe(true);
    const site = loadSiteConfig(join(DEMO, "site.yaml"));
    expect(site.zones.map((z) => z.name)).toEqual(["enterprise", "dmz", "supervisory", "control"]);
  });

  it("decodes with no internal error and no protocol anomaly", () => {
    expect(decoded.counters.sum("internal.")).toBe(0);
    expect(ofType(decoded.events, "weird")).toEqual([]);
    expect(decoded.counters.get("capture.truncated-record")).toBe(0);
    const modbus = ofType<ModbusTransactionEvent>(decoded.events, "modbus");
    expect(modbus.length).toBeGreaterThan(3000);
    expect(modbus.filter((e) => e.status === "timeout" || e.status === "unsolicited")).toEqual([]);
    expect(ofType<OpcuaServiceEvent>(decoded.events, "opcua.service").filter((s) => s.service === "Publish").length).toBeGreaterThan(300);
  });

  it("has every labelled attack's packets inside its window, and the label's packet count", () => {
    for (const a of labels.attacks) {
      const n = countAttackPackets(records, a.attacker, a.targets, a.start, a.end);
      expect({ id: a.id, n }).toEqual({ id: a.id, n: a.packets });
      if (a.kind === "modbus_loss_of_view") expect(n).toBe(0);
      else expect(n).toBeGreaterThan(0);
    }
  });

  it("shows what each attack did, decoded", () => {
    const mb = ofType<ModbusTransactionEvent>(decoded.events, "modbus");
    const ua = ofType<OpcuaServiceEvent>(decoded.events, "opcua.service");

    const oor = attack("modbus_fc6_out_of_range");
    const oorWrites = mb.filter((e) => inside(e, oor) && between(e, oor.attacker, oor.targets[0]!) && e.fc === 6);
    expect(oorWrites.map((e) => e.request?.values)).toEqual([[1900]]);

    const coil = attack("modbus_fc5_new_coil_write");
    expect(mb.filter((e) => inside(e, coil) && between(e, coil.attacker, coil.targets[0]!) && e.fc === 5).map((e) => [e.request?.address, e.request?.values])).toEqual([[7, [1]]]);

    const recon = attack("modbus_recon_fc43_fc8");
    for (const t of recon.targets) {
      const fcs = mb.filter((e) => inside(e, recon) && between(e, recon.attacker, t)).map((e) => `${e.fc}:${e.status}`);
      expect(fcs).toEqual(["43:ok", "43:ok", "8:exception"]);
    }

    const it2ot = attack("it_to_ot_modbus_read");
    const reads = mb.filter((e) => inside(e, it2ot) && between(e, it2ot.attacker, it2ot.targets[0]!));
    expect(reads.length).toBeGreaterThanOrEqual(4);
    expect(new Set(reads.map((e) => e.fc))).toEqual(new Set([3, 1]));

    const lov = attack("modbus_loss_of_view");
    const polls = mb.filter((e) => between(e, lov.attacker, lov.targets[0]!));
    expect(polls.filter((e) => inside(e, lov))).toEqual([]);
    expect(polls.some((e) => e.ts < lov.start && e.ts > lov.start - 10)).toBe(true);
    expect(polls.some((e) => e.ts > lov.end && e.ts < lov.end + 10)).toBe(true);

    const node = attack("opcua_write_new_node");
    const writes = ua.filter((s) => inside(s, node) && between(s, node.attacker, node.targets[0]!) && s.service === "Write");
    expect(writes.map((s) => s.request?.writes?.map((w) => [w.node, w.value.value]))).toEqual([[["ns=1;s=Chlorine.DoseLimit", "14.5"]]]);

    const scan = attack("port_scan");
    const fromAttacker = (d: Uint8Array): boolean => d.subarray(26, 30).join(".") === scan.attacker;
    // Synthesised frames: 20-byte IPv4 header, so the TCP flags sit at offset 14 + 20 + 13.
    const syns = records.filter((r) => r.ts >= scan.start && r.ts <= scan.end && r.data[23] === 6 && fromAttacker(r.data) && (r.data[47]! & (TCP_SYN | TCP_ACK)) === TCP_SYN);
    expect(syns.length).toBe(254 * scan.dst_ports.length);
    const rejected = ofType<FlowEndEvent>(decoded.events, "flow.end").filter((f) => f.src === scan.attacker && f.rejected);
    expect(rejected.length).toBeGreaterThan(200);

    const beacon = attack("c2_beaconing");
    const hellos = ofType<TlsClientHelloEvent>(decoded.events, "tls.client-hello").filter((h) => inside(h, beacon) && between(h, beacon.attacker, beacon.targets[0]!));
    expect(hellos.length).toBeGreaterThanOrEqual(10);
    const gaps = hellos.slice(1).map((h, i) => h.ts - hellos[i]!.ts);
    expect(Math.min(...gaps)).toBeGreaterThan(60);
    expect(Math.max(...gaps)).toBeLessThan(90);
  });

  it("keeps the learning window free of attack traffic", () => {
    const before = (e: EventBase): boolean => e.ts < labels.learn_until_epoch;
    const mb = ofType<ModbusTransactionEvent>(decoded.events, "modbus").filter(before);
    expect(mb.filter((e) => ![1, 3, 4, 6, 16].includes(e.fc))).toEqual([]);
    // Only the HMI (the poller, later abused) speaks Modbus while learning: no EWS recon, no enterprise host.
    expect([...new Set(mb.map((e) => e.src))]).toEqual([attack("modbus_fc6_out_of_range").attacker]);
    expect(mb.filter((e) => e.fc === 6 && (e.request?.values?.[0] ?? 0) > 1000)).toEqual([]);
    const writes = ofType<OpcuaServiceEvent>(decoded.events, "opcua.service").filter((s) => before(s) && s.service === "Write");
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.flatMap((s) => s.request?.writes?.map((w) => w.node) ?? []).every((n) => n === "ns=1;s=Filter2.FlowSetpoint")).toBe(true);
    const scan = attack("port_scan");
    expect(decoded.events.filter((e) => before(e) && e.src === scan.attacker && e.type === "flow.start" && e.dport !== 3389)).toEqual([]);
  });
});
