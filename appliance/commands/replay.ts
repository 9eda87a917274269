// `otwatch replay <file|-> [--events out.jsonl] [--summary-json file] [--quiet]` (issue 2 item 7): a capture file through
// the pipeline, events to JSONL, a summary on stderr. runReplay is the reusable core: other features (baseline learning,
// anomaly detection, InfluxDB/MQTT sinks) plug in as extra event consumers without touching the pipeline.

import { parseArgs } from "node:util";
import { writeFile } from "node:fs/promises";
import { Counters } from "../../src/core/counters.ts";
import type { Dissector, EventBase } from "../../src/core/types.ts";
import { readCapture } from "../../src/capture/source.ts";
import { Pipeline, type PipelineLimits } from "../../src/pipeline.ts";
import { JsonlWriter } from "../../src/output/jsonl.ts";
import { ProgressBar, type ProgressTarget } from "../../src/output/progress.ts";
import { EventTally, formatSummary, tsOrUndefined, type RunSummary } from "../../src/output/summary.ts";
import { dissectors as allDissectors } from "../../protocols/dissectors.ts";
import { type Command, UsageError } from "./types.ts";
import { sensorOptionSpecs, sensorOptionsUsage, wantsSensor } from "./sensor-flags.ts";

/** Something that consumes the event stream (learner, detectors, sinks); closed after the last event. */
export interface EventConsumer {
  onEvent(e: EventBase): void;
  close?(): void | Promise<void>;
}

export interface RunOptions {
  /** JSONL output path ("-" for stdout). */
  eventsPath?: string;
  summaryJson?: string;
  /** No summary on stderr (and no progress bar). */
  quiet?: boolean;
  consumers?: readonly EventConsumer[];
  dissectors?: readonly Dissector[];
  limits?: Partial<PipelineLimits>;
  counters?: Counters;
  /** Where the summary and progress bar go (default process.stderr). */
  stderr?: ProgressTarget;
  /** Called once the pipeline exists (the sensor reads its packet/flow figures for health metrics). */
  onPipeline?: (p: Pipeline) => void;
}

export interface ReplayOptions extends RunOptions {
  /** Capture path or "-" for stdin. */
  source: string;
  /** Progress bar; default: when stderr is a terminal and not quiet. */
  progress?: boolean;
}

export interface RunResult {
  summary: RunSummary;
  pipeline: Pipeline;
}

/** A pipeline wired to the JSONL writer, the tally and the extra consumers; shared by replay and capture. */
export class EventRun {
  readonly pipeline: Pipeline;
  private readonly writer: JsonlWriter | undefined;
  private readonly tally = new EventTally();
  private readonly started = Date.now();

  constructor(private readonly opts: RunOptions) {
    this.writer = opts.eventsPath !== undefined ? new JsonlWriter(opts.eventsPath) : undefined;
    const writer = this.writer;
    const tally = this.tally;
    const consumers = opts.consumers ?? [];
    const onEvent = (e: EventBase): void => {
      tally.onEvent(e);
      if (writer !== undefined) writer.write(e);
      for (let i = 0; i < consumers.length; i++) (consumers[i] as EventConsumer).onEvent(e);
    };
    this.pipeline = new Pipeline({
      dissectors: opts.dissectors ?? allDissectors,
      onEvent,
      counters: opts.counters ?? new Counters(),
      limits: opts.limits,
    });
    opts.onPipeline?.(this.pipeline);
  }

  /** The input failed: close the event file as it is (no summary). */
  abort(): void {
    void this.writer?.close();
  }

  /** Ends all flows, closes outputs, writes the summary. */
  async finish(source: string): Promise<RunResult> {
    const p = this.pipeline;
    p.finish();
    for (const c of this.opts.consumers ?? []) await c.close?.();
    await this.writer?.close();
    const summary: RunSummary = {
      source,
      packets: p.packets,
      bytes: p.bytes,
      flows: p.flowsCreated,
      firstTs: tsOrUndefined(p.firstTs),
      lastTs: tsOrUndefined(p.lastTs),
      elapsedS: (Date.now() - this.started) / 1000,
      events: this.tally.sorted(),
      counters: p.counters.snapshot(),
    };
    if (this.opts.summaryJson !== undefined) await writeFile(this.opts.summaryJson, JSON.stringify(summary, null, 2) + "\n");
    if (this.opts.quiet !== true) (this.opts.stderr ?? process.stderr).write(formatSummary(summary));
    return { summary, pipeline: p };
  }
}

export async function runReplay(opts: ReplayOptions): Promise<RunResult> {
  const run = new EventRun(opts);
  const p = run.pipeline;
  const err = opts.stderr ?? process.stderr;
  const showBar = opts.progress ?? (opts.quiet !== true && err.isTTY === true);
  const bar = showBar ? new ProgressBar(err) : undefined;
  const onFrame = p.handleFrame.bind(p);
  try {
    await readCapture(opts.source, onFrame, p.counters, {
      onProgress: bar === undefined ? undefined : (bytes, total) => bar.update(bytes, total, p.packets),
    });
  } catch (err) {
    bar?.done();
    run.abort();
    throw err;
  }
  bar?.done();
  return run.finish(opts.source);
}

const usage = `usage: otwatch replay <file|-> [options]

Reads a pcap or pcapng capture (or stdin with "-"), decodes Modbus/TCP, OPC UA, DNS, HTTP and TLS, and prints a
summary on stderr. With learning/detection options it learns the plant's normal from the first part of the capture
(packet time), then reports anomalies, and can feed InfluxDB and MQTT.

example: otwatch replay plant.pcap --config site.yaml --learn 45m --anomalies anomalies.jsonl

options:
  -e, --events <file>        write one JSON line per event (flows, transactions, anomalies) ("-" for stdout)
      --summary-json <file>  also write the summary as JSON
  -q, --quiet                no summary or progress bar on stderr
  -h, --help                 this text
${sensorOptionsUsage}`;

export const replayCommand: Command = {
  name: "replay",
  summary: "replay a capture file through the pipeline, events as JSONL",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        events: { type: "string", short: "e" },
        "summary-json": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
        ...sensorOptionSpecs,
      },
    });
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    const source = positionals[0];
    if (source === undefined || positionals.length > 1) throw new UsageError("replay takes exactly one capture file (or -)");
    const counters = new Counters();
    const log = (m: string): void => void process.stderr.write(`${m}\n`);
    // The detection and sink stack loads only when asked for: a decode-only replay starts faster.
    const sensorMod = wantsSensor(values) ? await import("./sensor-options.ts") : undefined;
    const built = sensorMod?.buildSensor(values, counters, log);
    await runReplay({
      source,
      eventsPath: values.events,
      summaryJson: values["summary-json"],
      quiet: values.quiet === true,
      counters,
      ...(built !== undefined
        ? { consumers: [built.consumer], onPipeline: (p: Pipeline) => built.sensor.attach(p) }
        : {}),
    });
    if (built !== undefined && sensorMod !== undefined && values.quiet !== true) process.stderr.write(sensorMod.formatKindTable(built.sensor));
    return 0;
  },
};
