// In-process pipeline speed on one capture, for profiling (`node --cpu-prof --import tsx test/bench/pipeline-speed.ts
// <capture> [rounds]`): the file is read into memory once, then pushed through CaptureReader + Pipeline (all
// dissectors, events counted, not written) in 1 MiB chunks, several rounds; prints CPU-time packets/s per round. Must
// live inside the package: a script outside it makes tsx compile everything it imports as CommonJS, whose export
// getters distort the profile.
import { readFileSync } from "node:fs";
import { Counters } from "../../src/core/counters.ts";
import { CaptureReader } from "../../src/capture/reader.ts";
import { READ_CHUNK_BYTES } from "../../src/capture/source.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: tsx test/bench/pipeline-speed.ts <capture> [rounds]");
  process.exit(2);
}
const rounds = Number(process.argv[3] ?? 3);
const buf = new Uint8Array(readFileSync(file));
for (let round = 0; round < rounds; round++) {
  let events = 0;
  const p = new Pipeline({ dissectors, onEvent: () => void events++, counters: new Counters() });
  const reader = new CaptureReader(p.handleFrame.bind(p), p.counters);
  const c0 = process.cpuUsage();
  for (let o = 0; o < buf.length; o += READ_CHUNK_BYTES) reader.push(buf.subarray(o, Math.min(buf.length, o + READ_CHUNK_BYTES)));
  reader.end();
  p.finish();
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  console.log(`round ${round}: ${p.packets} packets, ${events} events, CPU ${cpu.toFixed(3)} s, ${(p.packets / cpu / 1e6).toFixed(2)} M packets/s`);
}
