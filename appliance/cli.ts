// otwatch command line (issue 2 item 7). Commands live in appliance/commands/, one file each; adding one = one line in
// `commands` below. No framework: node:util parseArgs inside each command.

import { type Command, UsageError } from "./commands/types.ts";

/** Commands load on demand: a decode-only replay does not pay for the sinks, the API or the detection stack. */
interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

const commands: readonly CommandEntry[] = [
  { name: "replay", summary: "replay a capture file: events as JSONL, learning and detection, sinks", load: async () => (await import("./commands/replay.ts")).replayCommand },
  { name: "capture", summary: "decode live traffic from an interface until interrupted", load: async () => (await import("./commands/capture.ts")).captureCommand },
  { name: "backtest", summary: "replay a capture against a saved baseline: alerts per hour by kind", load: async () => (await import("./commands/backtest.ts")).backtestCommand },
  { name: "baseline", summary: "export, import or show a learned baseline", load: async () => (await import("./commands/baseline.ts")).baselineCommand },
  { name: "demo", summary: "end-to-end demo: local InfluxDB + Mosquitto, the bundled plant capture learned and checked", load: async () => (await import("./commands/demo.ts")).demoCommand },
  { name: "run", summary: "the sensor service: live capture, learning then detection, sinks, HTTP API", load: async () => (await import("./commands/run.ts")).runCommand },
];

function mainUsage(): string {
  const width = Math.max(...commands.map((c) => c.name.length)) + 2;
  return [
    "otwatch — passive OT/IT network monitor (Modbus/TCP, OPC UA, DNS, HTTP, TLS): learns the plant's normal, flags what deviates",
    "",
    "usage: otwatch <command> [options]      otwatch <command> --help",
    "",
    "commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    "",
  ].join("\n");
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(mainUsage());
    return name === undefined ? 2 : 0;
  }
  const entry = commands.find((c) => c.name === name);
  if (entry === undefined) {
    process.stderr.write(`otwatch: unknown command "${name}"\n\n${mainUsage()}`);
    return 2;
  }
  const cmd = await entry.load();
  try {
    return await cmd.run(rest);
  } catch (err) {
    // parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for unknown or malformed options.
    const code = (err as { code?: unknown }).code;
    if (err instanceof UsageError || (typeof code === "string" && code.startsWith("ERR_PARSE_ARGS"))) {
      process.stderr.write(`otwatch ${name}: ${(err as Error).message}\n\n${cmd.usage}`);
      return 2;
    }
    process.stderr.write(`otwatch ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
