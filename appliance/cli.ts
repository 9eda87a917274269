// otwatch command line (issue 2 item 7). Commands live in appliance/commands/, one file each; adding one = one line in
// `commands` below. No framework: node:util parseArgs inside each command.

import { backtestCommand } from "./commands/backtest.ts";
import { baselineCommand } from "./commands/baseline.ts";
import { captureCommand } from "./commands/capture.ts";
import { demoCommand } from "./commands/demo.ts";
import { replayCommand } from "./commands/replay.ts";
import { runCommand } from "./commands/run.ts";
import { type Command, UsageError } from "./commands/types.ts";

const commands: readonly Command[] = [replayCommand, captureCommand, backtestCommand, baselineCommand, demoCommand, runCommand];

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
  const cmd = commands.find((c) => c.name === name);
  if (cmd === undefined) {
    process.stderr.write(`otwatch: unknown command "${name}"\n\n${mainUsage()}`);
    return 2;
  }
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
