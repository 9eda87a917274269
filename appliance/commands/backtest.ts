// `otwatch backtest --baseline <file> <pcap>` (issue 3 §6): replays a capture against a saved baseline in detection mode
// from the first packet and reports, per anomaly kind, how many alerts per hour would have fired — what an integrator
// looks at before switching a sensor from learning to detecting.

import { writeFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Counters } from "../../src/core/counters.ts";
import type { Pipeline } from "../../src/pipeline.ts";
import { runReplay } from "./replay.ts";
import { buildSensor, formatKindTable } from "./sensor-options.ts";
import { type Command, UsageError } from "./types.ts";

const usage = `usage: otwatch backtest --baseline <file> <capture> [options]

Replays a capture against a saved baseline (detecting from the first packet) and prints the alerts per hour by kind.

options:
  -b, --baseline <file>    baseline saved by --save-baseline, \`otwatch baseline\` or the service (required)
  -c, --config <site.yaml> site configuration (zones, conduits)
  -a, --anomalies <file>   also write the anomalies as JSON lines
      --json <file>        write the per-kind table as JSON
  -h, --help               this text
`;

export const backtestCommand: Command = {
  name: "backtest",
  summary: "replay a capture against a saved baseline: alerts per hour by kind",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        baseline: { type: "string", short: "b" },
        config: { type: "string", short: "c" },
        anomalies: { type: "string", short: "a" },
        json: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    if (values.baseline === undefined) throw new UsageError("--baseline is required");
    const source = positionals[0];
    if (source === undefined || positionals.length > 1) throw new UsageError("backtest takes exactly one capture file");
    const counters = new Counters();
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    const { sensor, consumer } = buildSensor(
      { baseline: values.baseline, config: values.config, anomalies: values.anomalies, mode: "detecting" },
      counters,
      log,
    );
    await runReplay({ source, quiet: true, counters, consumers: [consumer], onPipeline: (p: Pipeline) => sensor.attach(p) });
    process.stdout.write(formatKindTable(sensor));
    if (values.json !== undefined) {
      const e = sensor.detection.engine;
      await writeFile(values.json, JSON.stringify({ detectionSeconds: e.detectionSeconds, kinds: sensor.summary() }, null, 2) + "\n");
    }
    return 0;
  },
};
