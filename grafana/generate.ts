// `npm run grafana:generate`: writes every dashboard of grafana/src/index.ts as provisioning JSON into
// grafana/dashboards/<name>.json and removes JSON files no dashboard produces. The JSON is generated, never edited by
// hand: grafana/generate.test.ts fails when the committed files differ from what the code produces.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DASHBOARDS, dashboardJson } from "./src/index.ts";

export const DASHBOARDS_DIR = join(dirname(fileURLToPath(import.meta.url)), "dashboards");

export function generate(dir = DASHBOARDS_DIR): string[] {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const name of Object.keys(DASHBOARDS)) {
    writeFileSync(join(dir, `${name}.json`), dashboardJson(name));
    written.push(`${name}.json`);
  }
  for (const f of readdirSync(dir)) if (f.endsWith(".json") && !written.includes(f)) rmSync(join(dir, f));
  return written;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const files = generate();
  process.stdout.write(`wrote ${files.length} dashboards to ${DASHBOARDS_DIR}: ${files.join(", ")}\n`);
}
