// New-flow speed of the full Sensor (pipeline, detection with every protocol and behaviour analyzer, inventory, metrics;
// no sinks) under a SYN flood / scan: a Modbus plant is learned for LEARN_SECONDS of packet time, then a few scanners send
// FLOOD_SYNS unanswered SYNs to many hosts and ports while the plant keeps polling. Prints packets/s, new flows/s (over the
// whole run and over the flood part alone), peak RSS and live heap after a full GC. Not part of `npm test`:
//   npx tsx test/bench/flood-speed.ts [--zones] [syns]
//   npx tsx test/bench/flood-speed.ts --write <file.pcap> [syns]   the capture only (for profiling)
// The measurement runs in a fresh process (--expose-gc) so its peak RSS is its own.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Counters } from "../../src/core/counters.ts";
import type { EventBase } from "../../src/core/types.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import { Sensor } from "../../appliance/sensor.ts";
import { parseSiteConfig, type SiteConfig } from "../../src/config/site.ts";
import { ethIpv4Tcp } from "../fixtures/capture-builder.ts";
import { plantFrames, writeFrames } from "../appliance/modbus-frames.ts";

const LEARN_SECONDS = 300;
const PLANT_PAIRS = 20;
const FLOOD_SYNS = 500_000;
const SCANNERS = 4;
/** SYNs per second of packet time during the flood. */
const FLOOD_RATE = 10_000;
const T0 = 1_700_000_000;
/**
 * With --zones: the plant pairs (10.0.0.0/24) in a control zone, the scanned hosts (10.50.0.0/16) in a cell, the scanners
 * (10.99.0.0/24) in the enterprise zone: every probe is also an IT→OT flow (zone.it-to-ot, aggregated per pair).
 */
const ZONED_SITE = `
site: flood
zones:
  - { name: control, level: 2, cidrs: [10.0.0.0/24] }
  - { name: cell, level: 1, cidrs: [10.50.0.0/16] }
  - { name: enterprise, level: 4, cidrs: [10.99.0.0/24] }
`;

/** Learning and detection plant traffic, and the flood merged into its second part, in time order. */
function* capture(syns: number): Iterable<{ ts: number; data: Uint8Array }> {
  const floodStart = T0 + LEARN_SECONDS + 60;
  const floodSeconds = syns / FLOOD_RATE;
  const polls = Math.ceil(LEARN_SECONDS + 60 + floodSeconds + 10);
  const plant = plantFrames({ pairs: PLANT_PAIRS, polls, periodS: 1, t0: T0 });
  let i = 0;
  let p = 0;
  while (p < plant.length || i < syns) {
    const ft = floodStart + i / FLOOD_RATE;
    const pf = plant[p];
    if (pf !== undefined && (i >= syns || pf.ts <= ft)) {
      yield pf;
      p++;
      continue;
    }
    // Scanner s sweeps 10.50.h.l hosts across ports: each SYN a distinct (dst, dport) of that scanner.
    const s = i % SCANNERS;
    const n = Math.floor(i / SCANNERS);
    const host = n % 4096;
    const port = 1 + Math.floor(n / 4096);
    yield {
      ts: ft,
      data: ethIpv4Tcp({ src: `10.99.0.${s + 1}`, dst: `10.50.${host >> 8}.${host & 255}`, sport: 40000 + (n % 20000), dport: port, flags: 0x02, seq: i }),
    };
    i++;
  }
}

interface Result {
  packets: number;
  newFlows: number;
  seconds: number;
  /** CPU seconds (user + system) of the run: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  floodSeconds: number;
  floodPackets: number;
  floodFlows: number;
  maxRssMb: number;
  liveHeapMb: number;
  anomalies: Record<string, number>;
  mode: string;
}

async function measure(file: string, zoned: boolean): Promise<Result> {
  const counters = new Counters();
  const anomalies: Record<string, number> = {};
  const sensor = new Sensor({
    site: zoned ? parseSiteConfig(ZONED_SITE, "flood") : ({ site: "flood", zones: [], conduits: [] } as SiteConfig), learnSeconds: LEARN_SECONDS, counters,
    onAnomaly: (a) => { anomalies[a.kind] = (anomalies[a.kind] ?? 0) + 1; },
  });
  let newFlows = 0;
  let floodT = 0n;
  let floodPackets0 = 0;
  let floodFlows0 = 0;
  const floodStart = T0 + LEARN_SECONDS + 60;
  const onEvent = (e: EventBase): void => {
    if (e.type === "flow.start") newFlows++;
    if (floodT === 0n && e.ts >= floodStart) {
      floodT = process.hrtime.bigint();
      floodPackets0 = pipeline.packets;
      floodFlows0 = newFlows;
    }
    sensor.onEvent(e);
  };
  const pipeline = new Pipeline({ dissectors, onEvent, counters });
  sensor.attach(pipeline);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await readCapture(file, pipeline.handleFrame.bind(pipeline), counters);
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(c0);
  (globalThis as { gc?: () => void }).gc?.();
  const live = process.memoryUsage();
  pipeline.finish();
  await sensor.close();
  return {
    packets: pipeline.packets,
    newFlows,
    seconds: Number(t1 - t0) / 1e9,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    floodSeconds: Number(t1 - floodT) / 1e9,
    floodPackets: pipeline.packets - floodPackets0,
    floodFlows: newFlows - floodFlows0,
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    liveHeapMb: Math.round(live.heapUsed / 1024 / 1024),
    anomalies,
    mode: sensor.mode,
  };
}

const self = fileURLToPath(import.meta.url);

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--measure") {
    process.stdout.write(`${JSON.stringify(await measure(argv[1] as string, argv[2] === "--zones"))}\n`);
    return;
  }
  if (argv[0] === "--write") {
    await writeFrames(argv[1] as string, capture(argv[2] !== undefined ? Number(argv[2]) : FLOOD_SYNS));
    return;
  }
  const zoned = argv.includes("--zones");
  const rest = argv.filter((a) => a !== "--zones");
  const syns = rest[0] !== undefined ? Number(rest[0]) : FLOOD_SYNS;
  const dir = mkdtempSync(join(tmpdir(), "otwatch-flood-"));
  try {
    const file = join(dir, "flood.pcap");
    await writeFrames(file, capture(syns));
    const extra = process.env.OTWATCH_BENCH_NODE_ARGS?.split(" ").filter(Boolean) ?? [];
    const out = execFileSync(process.execPath, [...extra, "--expose-gc", "--import", "tsx", self, "--measure", file, ...(zoned ? ["--zones"] : [])], { encoding: "utf8", maxBuffer: 1 << 24 });
    const r = JSON.parse(out.trim().split("\n").pop() as string) as Result;
    const k = (v: number): string => `${Math.round(v / 100) / 10}k`;
    process.stdout.write(
      `flood-speed${zoned ? " (zoned)" : ""}: ${r.packets} packets, ${r.newFlows} new flows in ${r.seconds.toFixed(2)} s: ` +
        `${k(r.packets / r.seconds)} packets/s, ${k(r.newFlows / r.seconds)} new flows/s overall ` +
        `(per CPU second: ${k(r.packets / r.cpuSeconds)} packets/s, ${k(r.newFlows / r.cpuSeconds)} new flows/s); ` +
        `flood part ${k(r.floodPackets / r.floodSeconds)} packets/s, ${k(r.floodFlows / r.floodSeconds)} new flows/s; ` +
        `peak RSS ${r.maxRssMb} MB, live heap after GC ${r.liveHeapMb} MB; mode ${r.mode}\n` +
        `anomalies: ${JSON.stringify(r.anomalies)}\n` +
        `machine: ${execFileSync("nproc").toString().trim()} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(" ")}, Node ${process.versions.node}${extra.length > 0 ? `, ${extra.join(" ")}` : ""}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
