// Live throughput for the sizing section (issue 5 §6): the service capturing on `lo` (real tcpdump, filter 10.0.0.0/8)
// while tcpreplay sends a generated Modbus plant (1,000 hosts) at fixed rates for 5 s each; prints what the pipeline
// processed and what tcpdump reported dropped. Sender, tcpdump and sensor share the machine's cores, so the figures are
// a lower bound for a box whose SPAN traffic arrives from outside. Not part of `npm test`:
//   npx tsx test/appliance/live-sizing.ts [pps,pps,…]      (default 10000,20000,50000)
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { startService } from "../../appliance/commands/run.ts";
import { loadServiceConfig } from "../../appliance/config/service-config.ts";
import { createLogger } from "../../appliance/log.ts";
import { plantFrames, writeFrames } from "./modbus-frames.ts";

const SECONDS = 5;
const dir = mkdtempSync(join(tmpdir(), "otwatch-live-sizing-"));
const pcap = join(dir, "plant.pcap");
await writeFrames(pcap, plantFrames({ pairs: 500, polls: 300, periodS: 1 }));
writeFileSync(join(dir, "token"), "live-sizing-token-0123456789", { mode: 0o600 });
writeFileSync(join(dir, "otwatch.yaml"), stringify({
  site: "live-sizing",
  learning: { duration: "1h" },
  capture: { interfaces: [{ name: "lo", filter: "net 10.0.0.0/8" }] },
  state_dir: join(dir, "state"),
  api: { port: 0, token_file: join(dir, "token") },
  log: { level: "error" },
}));
const running = await startService(loadServiceConfig(join(dir, "otwatch.yaml")), createLogger("error"));
const capture = running.service.captures[0];
try {
  for (const pps of (process.argv[2] ?? "10000,20000,50000").split(",").map(Number)) {
    const before = running.service.pipeline.packets;
    const dropped = capture?.health.dropped ?? 0;
    await promisify(execFile)("tcpreplay", ["-i", "lo", `--pps=${pps}`, `--limit=${pps * SECONDS}`, pcap]);
    await new Promise((r) => setTimeout(r, 12_000)); // tcpdump reports its statistics every 10 s
    const processed = running.service.pipeline.packets - before;
    const sent = pps * SECONDS;
    process.stdout.write(`${JSON.stringify({ pps, sent, processed, processed_pct: Math.round((1000 * processed) / sent) / 10, tcpdump_dropped: (capture?.health.dropped ?? 0) - dropped })}\n`);
  }
} finally {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
}
