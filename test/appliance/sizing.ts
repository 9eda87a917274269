// Hardware sizing for integrators (issue 5 §6): packets/s and memory per 1,000 assets through the full Sensor
// (pipeline, detection, inventory, metrics; no sinks) on generated Modbus/TCP plants of N hosts, plus a SYN flood
// of distinct flows (flow cap: memory must stay bounded, evictions counted). Each measurement runs in a fresh process so
// its peak RSS is its own. Not part of `npm test` (minutes):
//   npx tsx test/appliance/sizing.ts            all sizes, markdown table on stdout
//   npx tsx test/appliance/sizing.ts 1000       one size
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Counters } from "../../src/core/counters.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import { Sensor } from "../../appliance/sensor.ts";
import { ethIpv4Tcp } from "../fixtures/capture-builder.ts";
import { hostIp, plantFrames, writeFrames } from "./modbus-frames.ts";

const TARGET_PACKETS = 1_000_000;
const LEARN_SECONDS = 300;

/** A Modbus plant of `hosts` hosts (hosts/2 client→PLC pairs) polled every second, about TARGET_PACKETS packets. */
async function generatePlant(hosts: number, file: string): Promise<number> {
  const pairs = Math.max(1, Math.floor(hosts / 2));
  const polls = Math.max(10, Math.round(TARGET_PACKETS / (2 * pairs)));
  return writeFrames(file, plantFrames({ pairs, polls, periodS: 1 }));
}

/** `n` SYNs from distinct sources to one PLC port, 50 µs apart, none answered: a flood of new flows. */
function* synFlood(n: number): Iterable<{ ts: number; data: Uint8Array }> {
  for (let i = 0; i < n; i++) {
    yield { ts: 1_700_000_000 + i * 0.00005, data: ethIpv4Tcp({ src: hostIp(1 + (i % 60_000)), dst: "10.200.0.1", sport: 1024 + Math.floor(i / 60_000), dport: 502, flags: 0x02, seq: i }) };
  }
}

interface Measure {
  packets: number;
  seconds: number;
  packetsPerSecond: number;
  maxRssMb: number;
  /** After a full GC at the end of the capture, flows still open: what the sensor retains (models, inventory, flows). */
  liveHeapMb: number;
  liveRssMb: number;
  assets: number;
  flowsEvicted: number;
  flowsActive: number;
  mode: string;
}

async function measure(file: string): Promise<Measure> {
  const counters = new Counters();
  const sensor = new Sensor({ site: { site: "sizing", zones: [], conduits: [] }, learnSeconds: LEARN_SECONDS, counters });
  const pipeline = new Pipeline({ dissectors, onEvent: (e) => sensor.onEvent(e), counters });
  sensor.attach(pipeline);
  const t0 = process.hrtime.bigint();
  await readCapture(file, pipeline.handleFrame.bind(pipeline), counters);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const flowsActive = pipeline.activeFlows;
  (globalThis as { gc?: () => void }).gc?.();
  const live = process.memoryUsage();
  pipeline.finish();
  await sensor.close();
  return {
    packets: pipeline.packets,
    seconds: Math.round(seconds * 100) / 100,
    packetsPerSecond: Math.round(pipeline.packets / seconds),
    maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    liveHeapMb: Math.round(live.heapUsed / 1024 / 1024),
    liveRssMb: Math.round(live.rss / 1024 / 1024),
    assets: sensor.detection.inventory.size,
    flowsEvicted: counters.get("flow.evicted"),
    flowsActive,
    mode: sensor.mode,
  };
}

const self = fileURLToPath(import.meta.url);

function child(args: string[]): Measure {
  // OTWATCH_SIZING_HEAP_MB caps V8's old space as the service unit does (--max-old-space-size), to show the bound holds.
  const heap = process.env.OTWATCH_SIZING_HEAP_MB ? [`--max-old-space-size=${process.env.OTWATCH_SIZING_HEAP_MB}`] : [];
  const out = execFileSync(process.execPath, [...heap, "--expose-gc", "--import", "tsx", self, ...args], { encoding: "utf8", maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split("\n").pop() as string) as Measure;
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === "--measure") {
    process.stdout.write(`${JSON.stringify(await measure(argv[1] as string))}\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "otwatch-sizing-"));
  try {
    const sizes = argv.filter((a) => a !== "--flood-only").map(Number);
    if (sizes.length === 0 && !argv.includes("--flood-only")) sizes.push(10, 1000, 5000, 10_000);
    const rows: string[] = ["| capture | packets | assets | packets/s | peak RSS MB | RSS at end MB | live heap MB | flows evicted |", "|---|---|---|---|---|---|---|---|"];
    const results: { hosts: number; m: Measure }[] = [];
    for (const hosts of sizes) {
      const file = join(dir, `plant-${hosts}.pcap`);
      await generatePlant(hosts, file);
      const m = child(["--measure", file]);
      results.push({ hosts, m });
      rows.push(`| Modbus plant, ${hosts} hosts | ${m.packets} | ${m.assets} | ${m.packetsPerSecond} | ${m.maxRssMb} | ${m.liveRssMb} | ${m.liveHeapMb} | ${m.flowsEvicted} |`);
      rmSync(file);
    }
    const flood = join(dir, "syn-flood.pcap");
    await writeFrames(flood, synFlood(500_000));
    const f = child(["--measure", flood]);
    rows.push(`| SYN flood, 500,000 new flows | ${f.packets} | ${f.assets} | ${f.packetsPerSecond} | ${f.maxRssMb} | ${f.liveRssMb} | ${f.liveHeapMb} | ${f.flowsEvicted} (active at end ${f.flowsActive}) |`);
    process.stdout.write(`${rows.join("\n")}\n`);
    const base = sizes.length > 0 ? results.find((r) => r.hosts === Math.min(...sizes)) : undefined;
    if (base) {
      for (const r of results) {
        if (r === base) continue;
        const per = (a: number, b: number) => (((a - b) / (r.m.assets - base.m.assets)) * 1000).toFixed(1);
        process.stdout.write(`per 1,000 assets (${r.hosts} hosts vs ${base.hosts}): live heap ${per(r.m.liveHeapMb, base.m.liveHeapMb)} MB, RSS at end ${per(r.m.liveRssMb, base.m.liveRssMb)} MB, peak RSS ${per(r.m.maxRssMb, base.m.maxRssMb)} MB\n`);
      }
    }
    process.stdout.write(`machine: ${execFileSync("nproc").toString().trim()} cores, ${execFileSync("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"]).toString().trim()}, Node ${process.versions.node}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main(process.argv.slice(2));
