// Speed of CaptureReader + decodeFrame: `tsx test/bench/decode-speed.ts <capture> [minPackets]`. The capture is repeated
// in memory (pcap: its records; pcapng: whole sections) until it holds at least minPackets (default 1,000,000), then fed
// in 1 MiB chunks like readCapture does. Prints packets/s for the reader alone and for reader + decoder.
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

function run(label: string, onFrame: (f: Frame) => void, counters: Counters): void {
  const reader = new CaptureReader(onFrame, counters);
  const t0 = process.hrtime.bigint();
  // Buffers, as fs streams deliver them.
  for (let off = 0; off < big.length; off += READ_CHUNK_BYTES) reader.push(Buffer.from(big.buffer, off, Math.min(READ_CHUNK_BYTES, big.length - off)));
  reader.end();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  const n = once.frames * reps;
  console.log(`${label.padEnd(18)} ${n} packets in ${s.toFixed(3)} s: ${(n / s / 1e6).toFixed(2)} M packets/s, ${((big.length / s) / 1e6).toFixed(0)} MB/s`);
}

console.log(`${file}: ${once.format}, ${once.frames} frames × ${reps} = ${once.frames * reps} frames, ${(big.length / 1e6).toFixed(1)} MB in memory`);
for (let round = 0; round < 3; round++) {
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
  if (round === 2) console.log(`decoded ${ip} IP/ARP packets (checksum ${sum}), counters ${JSON.stringify(counters.snapshot())}`);
}
