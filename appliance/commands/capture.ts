// `otwatch capture --interface <if> [--filter <bpf>] [--events out.jsonl]` (issue 2 item 7): live traffic through the same
// pipeline as replay until SIGINT/SIGTERM (or the capture ends), then the summary. Capture drops are in the counters.

import { parseArgs } from "node:util";
import { startLiveCapture } from "../../src/capture/live.ts";
import { EventRun, type RunOptions, type RunResult } from "./replay.ts";
import { type Command, UsageError } from "./types.ts";

export interface CaptureOptions extends RunOptions {
  iface: string;
  filter?: string;
  /** Resolves when the capture should stop (the command passes SIGINT/SIGTERM; tests pass their own). */
  until: Promise<void>;
  /** Per-packet delivery (tcpdump --immediate-mode) instead of throughput mode's batches (≤ 1 s late, 64 MiB buffer). */
  immediate?: boolean;
  /** Called once the capture is listening (tests start their traffic then). */
  onReady?: () => void;
}

/** While no packet arrives for this long (wall clock), packet time is advanced by as much. */
export const LIVE_IDLE_ADVANCE_MS = 1000;

export async function runCapture(opts: CaptureOptions): Promise<RunResult> {
  const run = new EventRun(opts);
  const p = run.pipeline;
  // A silent wire must not freeze packet time: idle flows expire and requests time out during the silence too.
  let seen = -1;
  const idle = setInterval(() => {
    if (p.packets === seen && p.packets > 0) p.advance(p.lastTs + LIVE_IDLE_ADVANCE_MS / 1000);
    seen = p.packets;
  }, LIVE_IDLE_ADVANCE_MS);
  const live = startLiveCapture({
    iface: opts.iface,
    filter: opts.filter,
    onFrame: p.handleFrame.bind(p),
    counters: p.counters,
    immediate: opts.immediate ?? false,
  });
  try {
    await live.ready;
    opts.onReady?.();
    await Promise.race([opts.until.then(() => live.stop()), live.done]);
    await live.done;
  } catch (err) {
    run.abort();
    throw err;
  } finally {
    clearInterval(idle);
  }
  return run.finish(`interface ${opts.iface}`);
}

const usage = `usage: otwatch capture --interface <if> [options]

Captures live traffic (tcpdump feeding the pcap reader), decodes it until interrupted (Ctrl-C / SIGTERM), then prints
the summary on stderr.

options:
  -i, --interface <if>       interface to capture on (required)
  -f, --filter <bpf>         capture filter (BPF syntax, as for tcpdump)
      --immediate            hand each packet over as it arrives (lowest latency; drops packets from ~10,000
                             packets/s) instead of batches from a 64 MiB kernel buffer, up to 1 s late
  -e, --events <file>        write one JSON line per event ("-" for stdout)
      --summary-json <file>  also write the summary as JSON
  -q, --quiet                no summary on stderr
  -h, --help                 this text
`;

export const captureCommand: Command = {
  name: "capture",
  summary: "decode live traffic from an interface until interrupted",
  usage,
  async run(args: string[]): Promise<number> {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        interface: { type: "string", short: "i" },
        filter: { type: "string", short: "f" },
        immediate: { type: "boolean" },
        events: { type: "string", short: "e" },
        "summary-json": { type: "string" },
        quiet: { type: "boolean", short: "q" },
        help: { type: "boolean", short: "h" },
      },
    });
    void positionals;
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    if (values.interface === undefined) throw new UsageError("--interface is required");
    const until = new Promise<void>((resolve) => {
      process.once("SIGINT", () => resolve());
      process.once("SIGTERM", () => resolve());
    });
    await runCapture({
      iface: values.interface,
      filter: values.filter,
      immediate: values.immediate === true,
      until,
      eventsPath: values.events,
      summaryJson: values["summary-json"],
      quiet: values.quiet === true,
      onReady: () => {
        if (values.quiet !== true) process.stderr.write(`otwatch: capturing on ${values.interface} (Ctrl-C to stop)\n`);
      },
    });
    return 0;
  },
};
