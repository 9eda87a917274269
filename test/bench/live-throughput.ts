// Live capture throughput (`npm run bench:live`): tcpreplay sends a generated Modbus/TCP capture onto `lo` at fixed rates
// (and flat out) while startLiveCapture + Pipeline — or the full Sensor with --sensor — consume it. Per run: packets sent
// (tcpreplay), captured and dropped by tcpdump (its own counters), processed by the pipeline, the rate the pipeline
// processed at, the delivery delay after the last packet was sent, and the CPU of node, tcpdump and tcpreplay.
// Addresses are 127.60.0.0/15 only (1,000 client→PLC pairs, each a handshake then FC3 polls), sent with a foreign unicast
// destination MAC so the loopback stack drops them after the capture tap (no RSTs back onto the wire).
// Each run is its own process (fresh heap, fresh tcpdump); sender, tcpdump and node share this machine's cores, so the
// figures are lower bounds for a box whose SPAN traffic arrives from outside. Not part of `npm test` (minutes):
//   npx tsx test/bench/live-throughput.ts [--rates 10000,50000,100000,200000,top] [--seconds 5] [--modes immediate,throughput]
//                                         [--repeat 1] [--sensor] [--filter <bpf>]
import { execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs, promisify } from "node:util";
import { Counters } from "../../src/core/counters.ts";
import type { Frame } from "../../src/core/types.ts";
import { startLiveCapture, type LiveCaptureOptions } from "../../src/capture/live.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import { Sensor } from "../../appliance/sensor.ts";
import { concat, ethIpv4Tcp, u16 } from "../fixtures/capture-builder.ts";
import { PcapWriter } from "./pcap-writer.ts";

/** Bump when the generated capture changes: an old cached file is then ignored. */
const LIVE_CAPTURE_VERSION = "v1";
const PAIRS = 1000;
const POLLS = 500;
/** On `lo` every packet passes the capture tap twice (sent, then received): both copies take room in the kernel buffer,
 *  libpcap discards the outgoing one, and tcpdump counts both in "received" and "dropped" (a SPAN port has one copy).
 *  Not `inbound and …`: libpcap (1.10) runs the filter on the first ring block in userland, where the packet type is
 *  unknown, so in throughput mode that block (the first ~1,800 packets here) would be rejected. */
const DEFAULT_FILTER = "net 127.60.0.0/15";
/** Largest number of packets one run sends (the capture holds a little more: 1,003,000). */
const MAX_SEND = 1_000_000;
/** After the sender has finished, a run ends when no packet arrived for this long (longer than libpcap's 1 s timeout). */
const QUIET_MS = 2500;
const DRAIN_MAX_MS = 120_000;
const CLK_TCK = 100;

type Mode = "immediate" | "throughput";

/** How each mode is asked of startLiveCapture. */
function modeOptions(mode: Mode): Partial<LiveCaptureOptions> {
  return { immediate: mode === "immediate" };
}

const cacheDir = join(process.env.OTWATCH_BENCH_CACHE ?? join(tmpdir(), "otwatch-bench"), "live");

function client(p: number): string {
  return `127.60.${1 + Math.floor(p / 250)}.${1 + (p % 250)}`;
}
function plc(p: number): string {
  return `127.61.${1 + Math.floor(p / 250)}.${1 + (p % 250)}`;
}

/** Handshakes of every pair, then POLLS rounds of one FC3 request/response per pair, in time order. */
function generate(file: string): number {
  const w = new PcapWriter(file, 1);
  const t0 = 1_700_000_000;
  const seq = { c: new Uint32Array(PAIRS).fill(1000), s: new Uint32Array(PAIRS).fill(5000) };
  const ends = (p: number) => ({ c2s: { src: client(p), dst: plc(p), sport: 30000 + p, dport: 502 }, s2c: { src: plc(p), dst: client(p), sport: 502, dport: 30000 + p } });
  for (let p = 0; p < PAIRS; p++) {
    const { c2s, s2c } = ends(p);
    const t = t0 + p * 0.0005;
    w.write(t, ethIpv4Tcp({ ...c2s, flags: 0x02, seq: 999 }));
    w.write(t + 0.0001, ethIpv4Tcp({ ...s2c, flags: 0x12, seq: 4999, ack: 1000 }));
    w.write(t + 0.0002, ethIpv4Tcp({ ...c2s, flags: 0x10, seq: 1000, ack: 5000 }));
  }
  for (let i = 0; i < POLLS; i++) {
    for (let p = 0; p < PAIRS; p++) {
      const { c2s, s2c } = ends(p);
      const t = t0 + 1 + i + p * 0.0005;
      const tid = i & 0xffff;
      const req = concat(u16(tid), u16(0), u16(6), Uint8Array.of(1, 3), u16(100 + (p % 50)), u16(2));
      const res = concat(u16(tid), u16(0), u16(7), Uint8Array.of(1, 3, 4), u16(i & 0xffff), u16(p));
      w.write(t, ethIpv4Tcp({ ...c2s, flags: 0x18, seq: seq.c[p]!, ack: seq.s[p]!, payload: req }));
      seq.c[p]! += req.length;
      w.write(t + 0.002, ethIpv4Tcp({ ...s2c, flags: 0x18, seq: seq.s[p]!, ack: seq.c[p]!, payload: res }));
      seq.s[p]! += res.length;
    }
  }
  w.close();
  return w.records;
}

function cachedCapture(): string {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `modbus-lo-${LIVE_CAPTURE_VERSION}.pcap`);
  if (!existsSync(file)) {
    const n = generate(`${file}.part`);
    renameSync(`${file}.part`, file);
    console.error(`generated ${file}: ${n} packets`);
  }
  return file;
}

interface RunSpec {
  mode: Mode;
  /** packets/s, or 0 for tcpreplay --topspeed. */
  pps: number;
  seconds: number;
  sensor: boolean;
  pcap: string;
  filter: string;
}

interface RunResult {
  mode: Mode;
  pps: number;
  load1: number;
  sent: number;
  failed: number;
  sendRate: number;
  captured: number;
  dropped: number;
  processed: number;
  /** Packets/s the pipeline processed, first to last packet. */
  processRate: number;
  /** Wall time from the sender's end to the last packet processed. */
  tailMs: number;
  /** Packets delivered only while tcpdump was stopping. */
  atStop: number;
  nodeCpu: number;
  tcpdumpCpu: number;
  replayCpu: number;
}

function procCpuS(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}

interface Replay {
  sent: number;
  failed: number;
  rate: number;
  cpuS: number;
}

/** tcpreplay under /usr/bin/time (CPU of the sender); killed if this process gives up on it. Fixed rates are paced with
 *  nanosleep (`--timer=nano`): the default timer spins and takes a core from tcpdump and node (2 s vs 0.5 s of CPU for
 *  20,000 packets at 10,000/s here). */
async function replay(pcap: string, pps: number, limit: number, timeFile: string): Promise<Replay> {
  const args = ["-f", "%U %S", "-o", timeFile, "tcpreplay", "-i", "lo", ...(pps > 0 ? [`--pps=${pps}`, "--timer=nano"] : ["--topspeed"]), `--limit=${limit}`, pcap];
  const child = spawn("/usr/bin/time", args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (b: Buffer) => (out += b.toString()));
  child.stderr.on("data", (b: Buffer) => (out += b.toString()));
  try {
    const code = await new Promise<number | null>((res, rej) => child.on("error", rej).on("close", (c) => res(c)));
    if (code !== 0) throw new Error(`tcpreplay failed (${code}): ${out.slice(-500)}`);
  } finally {
    if (child.exitCode === null) child.kill("SIGTERM");
  }
  const num = (re: RegExp): number => Number(re.exec(out)?.[1] ?? NaN);
  const [u, s] = readFileSync(timeFile, "utf8").trim().split("\n").pop()!.split(" ").map(Number);
  return { sent: num(/Successful packets:\s+(\d+)/), failed: num(/Failed packets:\s+(\d+)/), rate: num(/Rated:.*?([\d.]+) pps/), cpuS: (u ?? NaN) + (s ?? NaN) };
}

async function measure(spec: RunSpec): Promise<RunResult> {
  const counters = new Counters();
  let sensor: Sensor | undefined;
  const pipeline = new Pipeline({ dissectors, onEvent: (e) => sensor?.onEvent(e), counters });
  if (spec.sensor) {
    sensor = new Sensor({ site: { site: "live-bench", zones: [], conduits: [] }, learnSeconds: 300, counters });
    sensor.attach(pipeline);
  }
  let frames = 0;
  let firstAt = 0;
  let lastAt = 0;
  const onFrame = (f: Frame): void => {
    if (frames++ === 0) firstAt = performance.now();
    lastAt = performance.now();
    pipeline.handleFrame(f);
  };
  const live = startLiveCapture({ iface: "lo", filter: spec.filter, onFrame, counters, statsIntervalMs: 0, ...modeOptions(spec.mode) });
  const timeFile = join(cacheDir, `time-${process.pid}.txt`);
  try {
    await live.ready;
    const load1 = loadavg()[0] ?? 0;
    const cpu0 = process.cpuUsage();
    const limit = spec.pps > 0 ? Math.min(MAX_SEND, spec.pps * spec.seconds) : MAX_SEND;
    const r = await replay(spec.pcap, spec.pps, limit, timeFile);
    const sentAt = performance.now();
    // Drain: until every packet is in, or nothing arrived for QUIET_MS.
    for (let seen = -1, quietSince = performance.now(); frames < r.sent && performance.now() - sentAt < DRAIN_MAX_MS; ) {
      await new Promise((res) => setTimeout(res, 100));
      if (frames !== seen) (seen = frames), (quietSince = performance.now());
      else if (performance.now() - quietSince > QUIET_MS) break;
    }
    const cpu = process.cpuUsage(cpu0);
    const tcpdumpCpu = procCpuS(live.pid);
    const beforeStop = frames;
    const tailMs = frames > 0 ? Math.max(0, lastAt - sentAt) : NaN;
    const processRate = frames > 1 ? (beforeStop / (lastAt - firstAt)) * 1000 : 0;
    await live.stop();
    pipeline.finish();
    await sensor?.close();
    const st = live.stats();
    return {
      mode: spec.mode,
      pps: spec.pps,
      load1,
      sent: r.sent,
      failed: r.failed,
      sendRate: r.rate,
      captured: st.captured,
      dropped: st.dropped,
      processed: pipeline.packets,
      processRate,
      tailMs,
      atStop: frames - beforeStop,
      nodeCpu: (cpu.user + cpu.system) / 1e6,
      tcpdumpCpu,
      replayCpu: r.cpuS,
    };
  } finally {
    await live.stop();
    rmSync(timeFile, { force: true });
  }
}

const self = fileURLToPath(import.meta.url);

async function child(spec: RunSpec): Promise<RunResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", self, "--measure", JSON.stringify(spec)], { maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split("\n").pop() as string) as RunResult;
}

const pct = (a: number, b: number): string => (b > 0 ? `${((100 * a) / b).toFixed(1)} %` : "–");
const k = (n: number): string => (Number.isFinite(n) ? `${Math.round(n / 1000)} k` : "–");
const s1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      measure: { type: "string" },
      rates: { type: "string", default: "10000,50000,100000,200000,top" },
      seconds: { type: "string", default: "5" },
      modes: { type: "string", default: "immediate,throughput" },
      repeat: { type: "string", default: "1" },
      sensor: { type: "boolean", default: false },
      filter: { type: "string", default: DEFAULT_FILTER },
    },
  });
  if (values.measure !== undefined) {
    process.stdout.write(`${JSON.stringify(await measure(JSON.parse(values.measure) as RunSpec))}\n`);
    return;
  }
  const pcap = cachedCapture();
  const seconds = Number(values.seconds);
  const rows = [
    `consumer: ${values.sensor ? "full Sensor (pipeline, detection, inventory, metrics; no sinks)" : "Pipeline (decode, flows, reassembly, Modbus sessions)"}; filter "${values.filter}"; ${seconds} s per fixed rate, ${MAX_SEND} packets flat out`,
    "",
    "| mode | rate asked | load | sent | send rate | tcpdump captured | tcpdump dropped | processed | processed/sent | pipeline rate | tail ms | node CPU s | tcpdump CPU s | tcpreplay CPU s |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const mode of values.modes.split(",") as Mode[]) {
    for (const rate of values.rates.split(",")) {
      for (let i = 0; i < Number(values.repeat); i++) {
        const r = await child({ mode, pps: rate === "top" ? 0 : Number(rate), seconds, sensor: values.sensor, pcap, filter: values.filter });
        const row = `| ${r.mode} | ${r.pps > 0 ? k(r.pps) : "top"} | ${s1(r.load1)} | ${r.sent}${r.failed > 0 ? ` (${r.failed} failed)` : ""} | ${k(r.sendRate)} | ${r.captured} | ${r.dropped} | ${r.processed} | ${pct(r.processed, r.sent)} | ${k(r.processRate)} | ${Math.round(r.tailMs)} | ${s1(r.nodeCpu)} | ${s1(r.tcpdumpCpu)} | ${s1(r.replayCpu)} |`;
        rows.push(row);
        console.error(row);
      }
    }
  }
  console.log(rows.join("\n"));
  console.log(`\nmachine: ${(await promisify(execFile)("nproc")).stdout.trim()} cores, Node ${process.versions.node}; load average at end ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}

await main();
