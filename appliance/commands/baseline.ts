// `otwatch baseline export|import|show` (issue 3 §3): the learned baseline as a readable, diffable file. The state file
// and the export share one canonical format (sorted pretty JSON), so `diff -u old.json new.json` shows what changed.

import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatBaseline, loadBaseline, saveBaseline } from "../../src/detect/baseline-store.ts";
import { type Command, UsageError } from "./types.ts";

const usage = `usage: otwatch baseline <export|import|show> [options]

  export --from <state file> [-o <file>]   write the baseline in its canonical form (stdout without -o)
  import <file> --to <state file>          validate a baseline and install it atomically as the state file
  show <file>                              validate and summarise: learning window, models, sizes

The state file of the service is /var/lib/otwatch/baseline.json; a replay writes one with --save-baseline.
`;

export const baselineCommand: Command = {
  name: "baseline",
  summary: "export, import or show a learned baseline",
  usage,
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        from: { type: "string" },
        to: { type: "string" },
        output: { type: "string", short: "o" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (sub === undefined || sub === "--help" || sub === "-h" || values.help === true) {
      process.stdout.write(usage);
      return sub === undefined ? 2 : 0;
    }
    if (sub === "export") {
      const from = values.from ?? positionals[0];
      if (from === undefined) throw new UsageError("export needs --from <state file>");
      const b = loadBaseline(from);
      if (values.output !== undefined) saveBaseline(values.output, b);
      else process.stdout.write(formatBaseline(b));
      return 0;
    }
    if (sub === "import") {
      const file = positionals[0];
      if (file === undefined || values.to === undefined) throw new UsageError("import needs <file> and --to <state file>");
      saveBaseline(values.to, loadBaseline(file));
      process.stderr.write(`otwatch: baseline ${file} installed as ${values.to}\n`);
      return 0;
    }
    if (sub === "show") {
      const file = positionals[0] ?? values.from;
      if (file === undefined) throw new UsageError("show needs <file>");
      const b = loadBaseline(file);
      const lines = [
        `site ${b.site}, baseline version ${b.version}`,
        `learning window: from ${new Date(b.learn.firstTs * 1000).toISOString()} for ${(b.learn.learnedSeconds / 60).toFixed(1)} min of packet time`,
        `learned OT hosts (no zone config): ${b.zones.learnedOt.length}`,
        "models:",
        ...Object.keys(b.models).sort().map((k) => `  ${k.padEnd(14)} ${JSON.stringify(b.models[k]).length} bytes`),
      ];
      process.stdout.write(lines.join("\n") + "\n");
      return 0;
    }
    throw new UsageError(`unknown baseline subcommand "${sub}"`);
  },
};
