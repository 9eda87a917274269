// `npm run scenario:generate -- --out DIR [--seed N] [--minutes M] [--name NAME] [--time-scale S] [--learn-fraction F]`
// Produces a labelled plant capture from real peers (issue 3 item 7): the plant runs on loopback on a fast clock while
// tcpdump records it, the capture is rewritten offline to plant addresses, MACs and stretched timestamps, synthesised
// ARP/DNS/RDP background plus the port scan and beacon are merged by time, and DIR receives NAME.pcap,
// NAME.pcap.labels.json and site.yaml. Plan, values and synthesised traffic follow the seed; live timing does not.
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { buildLabels, writeSiteYaml, type LabelledAttack } from "./labels.ts";
import { runLive } from "./live.ts";
import { writePcapFile, type OutRecord } from "./pcap-out.ts";
import { host, rng } from "./plant.ts";
import { rewriteLoopbackCapture } from "./rewrite.ts";
import { planAttacks } from "./schedule.ts";
import { decodeCapture } from "../../peers/replay.ts";
import { arpTraffic, beacon, dnsTraffic, portScan, rdpTraffic } from "./synth.ts";

export interface GenerateOptions {
  readonly out: string;
  readonly name: string;
  readonly seed: number;
  readonly minutes: number;
  readonly scale: number;
  readonly learnFraction: number;
  readonly log?: (m: string) => void;
}

export interface GenerateResult {
  readonly pcap: string;
  readonly labels: string;
  readonly site: string;
  readonly packets: number;
  readonly bytes: number;
  /** Self-check of the written file through the pipeline: both 0 for a clean capture. */
  readonly gaps: number;
  readonly weird: number;
}

/** Scenario epoch of time 0: a weekday morning, shifted by the seed so different seeds give different dates. */
function baseEpoch(seed: number): number {
  return Date.UTC(2026, 2, 9, 5, 40, 0) / 1000 + (seed % 20) * 86400;
}

export async function generateScenario(o: GenerateOptions): Promise<GenerateResult> {
  const log = o.log ?? (() => undefined);
  const plan = planAttacks(o.minutes, o.learnFraction, rng(o.seed * 7919 + 1));
  const base = baseEpoch(o.seed);
  const tmp = mkdtempSync(join(tmpdir(), "otwatch-scenario-"));
  try {
    log(`running the plant on lo for ${plan.totalS} scenario s (${Math.round(plan.totalS / o.scale)} s real, scale ${o.scale})`);
    const live = await runLive(plan, { dir: tmp, scale: o.scale, r: rng(o.seed * 7919 + 2), log });
    if (live.captureDropped > 0) log(`  WARNING: tcpdump dropped ${live.captureDropped} packets (machine busy?): the capture has gaps`);
    const rw = await rewriteLoopbackCapture(live.pcap, { t0: live.t0, scale: o.scale, base });
    for (const [why, n] of rw.dropped) log(`  ${n} loopback frames outside the plant map dropped (${why})`);
    const records: OutRecord[] = rw.records;
    const end = base + plan.totalS;
    const r = rng(o.seed * 7919 + 3);
    arpTraffic(records, base, end, r);
    dnsTraffic(records, base, end, r);
    rdpTraffic(records, base, end, r);
    const attacks: LabelledAttack[] = [];
    const toScenario = (real: number): number => base + (real - live.t0) * o.scale;
    for (const a of plan.attacks) {
      if (a.key === "port-scan") {
        const s = portScan(records, base + a.startS, host(a.attacker), r);
        attacks.push({ plan: a, ...s });
      } else if (a.key === "beacon") {
        const s = beacon(records, base + a.startS, base + a.startS + a.durationS, host(a.attacker), r);
        attacks.push({ plan: a, ...s });
      } else {
        const w = live.windows.get(a.key);
        if (!w) throw new Error(`live attack ${a.key} did not run (the plant stopped before its start?)`);
        // A little slack around the recorded window: the first request and last answer sit inside it.
        attacks.push({ plan: a, start: toScenario(w.startReal) - 0.01, end: toScenario(w.endReal) + 0.05 });
      }
    }
    mkdirSync(o.out, { recursive: true });
    const pcap = join(o.out, `${o.name}.pcap`);
    const packets = writePcapFile(pcap, records);
    const labels = `${pcap}.labels.json`;
    const doc = buildLabels({ name: o.name, seed: o.seed, scale: o.scale, base, totalS: plan.totalS, learnS: plan.learnS, records, attacks });
    writeFileSync(labels, JSON.stringify(doc, null, 2) + "\n");
    const site = join(o.out, "site.yaml");
    writeSiteYaml(site, "riverside-water");
    const check = await decodeCapture(pcap);
    const gaps = check.events.filter((e) => e.type === "flow.gap").length;
    const weird = check.events.filter((e) => e.type === "weird").length;
    if (gaps + weird > 0 || check.counters.sum("internal.") > 0) {
      log(`  WARNING: ${gaps} gaps, ${weird} protocol anomalies in the written capture (lost packets?): rerun before committing it`);
    }
    return { pcap, labels, site, packets, bytes: statSync(pcap).size, gaps, weird };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: "string" },
      name: { type: "string", default: "plant-demo" },
      seed: { type: "string", default: "1" },
      minutes: { type: "string", default: "56" },
      "time-scale": { type: "string", default: "10" },
      "learn-fraction": { type: "string", default: "0.65" },
    },
  });
  if (!values.out) {
    process.stderr.write("usage: npm run scenario:generate -- --out DIR [--seed N] [--minutes M] [--name NAME] [--time-scale S] [--learn-fraction F]\n");
    process.exit(2);
  }
  const num = (k: string, v: string | undefined): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${k} must be a positive number, got ${v}`);
    return n;
  };
  const res = await generateScenario({
    out: values.out,
    name: values.name ?? "plant-demo",
    seed: Math.floor(num("seed", values.seed)),
    minutes: num("minutes", values.minutes),
    scale: num("time-scale", values["time-scale"]),
    learnFraction: num("learn-fraction", values["learn-fraction"]),
    log: (m) => process.stderr.write(m + "\n"),
  });
  process.stderr.write(`wrote ${res.pcap} (${res.packets} packets, ${res.bytes} bytes), ${res.labels}, ${res.site}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`scenario:generate failed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exit(1);
    },
  );
}
