// Speed of CaptureReader + decodeFrame: `tsx test/bench/decode-speed.ts <capture> [minPackets]`. The capture is repeated
// in memory (pcap: its records; pcapng: whole sections) until it holds at least minPackets (default 1,000,000), then fed
// in 1 MiB chunks like readCapture does. Prints packets/s for the reader alone and for reader + decoder, per wall second
// and per CPU second (the machine may be shared), and the best of 5 rounds.
import { readFileSync } from "node:fs";
import { Counters } from "../../src/core/counters.ts";
import type { Frame } from "../../src/core/types.ts";
import { CaptureReader } from "../../src/capture/reader.ts";
import { READ_CHUNK_BYTES } from "../../src/capture/source.ts";
import { createPacket, decodeFrame } from "../../src/decode/decode.ts";

const file = process.argv[2];
if (!file) {
  console.error("usage: tsx test/bench/decode-speed.ts <capture.pcap|pcapng> [minPackets]");
  process.exit(2);
}
const minPackets = Number(process.argv[3] ?? 1_000_000);
const bytes = new Uint8Array(readFileSync(file));

function count(buf: Uint8Array): { frames: number; format: string | undefined } {
  let frames = 0;
  const r = new CaptureReader(() => frames++, new Counters());
  r.push(buf);
  r.end();
  return { frames, format: r.format };
}

const once = count(bytes);
if (once.frames === 0) throw new Error(`${file}: no frames`);
const reps = Math.max(1, Math.ceil(minPackets / once.frames));
const head = once.format === "pcap" ? 24 : 0;
const body = bytes.subarray(head);
const big = new Uint8Array(head + body.length * reps);
big.set(bytes.subarray(0, head));
for (let i = 0; i < reps; i++) big.set(body, head + i * body.length);

const best = new Map<string, number>();

/** Wall time and CPU time (user + system) of one pass; CPU time is the fairer per-core figure on a shared machine. */
function run(label: string, onFrame: (f: Frame) => void, counters: Counters): void {
  const reader = new CaptureReader(onFrame, counters);
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  // Buffers, as fs streams deliver them.
  for (let off = 0; off < big.length; off += READ_CHUNK_BYTES) reader.push(Buffer.from(big.buffer, off, Math.min(READ_CHUNK_BYTES, big.length - off)));
  reader.end();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const n = once.frames * reps;
  const rate = n / Math.max(cpu, 1e-9) / 1e6;
  best.set(label, Math.max(best.get(label) ?? 0, rate));
  console.log(`${label.padEnd(16)} ${n} packets: wall ${s.toFixed(3)} s (${(n / s / 1e6).toFixed(2)} M/s), cpu ${cpu.toFixed(3)} s (${rate.toFixed(2)} M packets/s per core)`);
}

console.log(`${file}: ${once.format}, ${once.frames} frames × ${reps} = ${once.frames * reps} frames, ${(big.length / 1e6).toFixed(1)} MB in memory`);
const ROUNDS = 5;
for (let round = 0; round < ROUNDS; round++) {
  let n = 0;
  run("reader", () => n++, new Counters());
  const pkt = createPacket();
  const counters = new Counters();
  let ip = 0;
  let sum = 0;
  run("reader + decode", (f) => {
    if (decodeFrame(f, pkt, counters)) {
      ip++;
      sum += pkt.srcPort + pkt.payload.length;
    }
  }, counters);
  if (round === ROUNDS - 1) console.log(`decoded ${ip} IP/ARP packets (checksum ${sum}), counters ${JSON.stringify(counters.snapshot())}`);
}
for (const [label, rate] of best) console.log(`best ${label}: ${rate.toFixed(2)} M packets/s per core`);
