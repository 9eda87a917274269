// Scenario generator, ground truth: the labels file (same shape as ../shared/scenarios/*.labels.json, read by its
// score.mjs) with each attack's window, attacker, targets and packet count measured on the written capture, and the
// site.yaml (same schema as ../shared/scenarios/site.yaml) describing the plant's zones and conduits.
import { writeFileSync } from "node:fs";
import type { OutRecord } from "./pcap-out.ts";
import { CONDUITS, host, ZONES, type Role } from "./plant.ts";
import { targetAddresses, type PlannedAttack } from "./schedule.ts";

export interface LabelledAttack {
  readonly plan: PlannedAttack;
  readonly start: number;
  readonly end: number;
}

function iso(s: number): string {
  const us = Math.round(s * 1e6);
  return new Date(Math.floor(us / 1000)).toISOString().replace("Z", `${String(us % 1000).padStart(3, "0")}Z`);
}

function inCidr(ip: string, cidr: string): boolean {
  const [net = "", bits = "32"] = cidr.split("/");
  const n = (a: string): number => a.split(".").reduce((v, p) => v * 256 + Number(p), 0);
  const block = 2 ** (32 - Number(bits));
  return Math.floor(n(ip) / block) === Math.floor(n(net) / block);
}

function matches(ip: string, specs: readonly string[]): boolean {
  return specs.some((s) => (s.includes("/") ? inCidr(ip, s) : ip === s));
}

/** Frames between the attacker and a target (either direction) inside [start, end]. */
export function countAttackPackets(records: readonly OutRecord[], attacker: string, targets: readonly string[], start: number, end: number): number {
  let n = 0;
  for (const r of records) {
    if (r.ts < start || r.ts > end) continue;
    const d = r.data;
    if (d.length < 34 || d[12] !== 0x08 || d[13] !== 0) continue;
    const src = `${d[26]}.${d[27]}.${d[28]}.${d[29]}`;
    const dst = `${d[30]}.${d[31]}.${d[32]}.${d[33]}`;
    if ((src === attacker && matches(dst, targets)) || (dst === attacker && matches(src, targets))) n++;
  }
  return n;
}

export interface LabelsInput {
  readonly name: string;
  readonly seed: number;
  readonly scale: number;
  readonly base: number;
  readonly totalS: number;
  readonly learnS: number;
  readonly records: readonly OutRecord[];
  readonly attacks: readonly LabelledAttack[];
}

export function buildLabels(o: LabelsInput): Record<string, unknown> {
  let first = Infinity;
  let last = -Infinity;
  for (const r of o.records) (first = Math.min(first, r.ts)), (last = Math.max(last, r.ts));
  const learnUntil = o.base + o.learnS;
  const sorted = [...o.attacks].sort((a, b) => a.start - b.start);
  return {
    pcap: `${o.name}.pcap`,
    scenario: o.name,
    generator: `npm run scenario:generate -- --out DIR --name ${o.name} --seed ${o.seed} --minutes ${o.totalS / 60} --time-scale ${o.scale}`,
    seed: o.seed,
    first_packet: first,
    first_packet_iso: iso(first),
    last_packet: last,
    last_packet_iso: iso(last),
    capture_start: o.base,
    capture_end: o.base + o.totalS,
    learn_until: iso(learnUntil),
    learn_until_epoch: learnUntil,
    learn_until_offset_s: Math.round((learnUntil - first) * 1000) / 1000,
    test_period_seconds: o.totalS - o.learnS,
    time_scale: `live traffic recorded on loopback with a ${o.scale}x fast clock, timestamps multiplied by ${o.scale}`,
    match_rule: "anomaly matches if start-5s <= ts <= end+120s and (src or dst) is the attacker or a target (targets may be CIDR)",
    attacks: sorted.map((a, i) => {
      const attacker = host(a.plan.attacker as Role).ip;
      const targets = targetAddresses(a.plan);
      return {
        id: `A${String(i + 1).padStart(2, "0")}`,
        kind: a.plan.kind,
        protocol: a.plan.protocol,
        mitre: a.plan.mitre,
        technique: a.plan.mitre[0],
        description: a.plan.description,
        attacker,
        src: attacker,
        targets,
        dst_ports: a.plan.dstPorts,
        packets: countAttackPackets(o.records, attacker, targets, a.start, a.end),
        start: Math.round(a.start * 1e6) / 1e6,
        end: Math.round(a.end * 1e6) / 1e6,
        start_iso: iso(a.start),
        end_iso: iso(a.end),
      };
    }),
  };
}

export function writeSiteYaml(path: string, site: string): void {
  const lines = [`site: ${site}`, "zones:"];
  for (const z of ZONES) lines.push(`  - { name: ${(z.name + ",").padEnd(13)} level: ${(String(z.level) + ",").padEnd(4)} cidrs: [${z.cidr}] }`);
  lines.push("conduits:");
  for (const c of CONDUITS) lines.push(`  - { from: ${c.from}, to: ${c.to}, service: ${c.service} }`);
  writeFileSync(path, lines.join("\n") + "\n");
}
