// The service's state folder (issue 5 §1, §4, §5), default /var/lib/otwatch:
//   baseline.json    the learned baseline (BaselineStore: atomic temp+fsync+rename; a corrupt one goes to .corrupt)
//   state.json       {mode, learned_seconds, saved_at}: whether the baseline was saved while learning or detecting
//   inventory.json   the asset inventory (loaded at start: the service goes on from the assets it knew)
//   anomalies.jsonl  anomaly history and acknowledgements (the API's)
//   spool/influx, spool/mqtt   the sinks' persistent spools
// Everything is written atomically with owner-only/group-read permissions (umask 027 set by the service).

import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { BaselineStore, writeFileAtomic, type Baseline } from "../../src/detect/baseline-store.ts";
import type { Mode } from "../../src/detect/types.ts";
import { parseInventoryFile, type SavedAsset } from "../../src/assets/inventory-file.ts";

const stateSchema = z.object({ mode: z.enum(["learning", "detecting"]), learned_seconds: z.number().min(0), saved_at: z.string() });
export type SavedState = z.infer<typeof stateSchema>;

export interface LoadedState {
  baseline: Baseline | undefined;
  mode: Mode | undefined;
  /** The saved asset inventory (validated), if there is a usable one. */
  inventory: SavedAsset[] | undefined;
  /** Problems found (corrupt files moved aside or ignored): each is a warning for the log. */
  warnings: string[];
}

export class StateDir {
  readonly baselines: BaselineStore;
  readonly statePath: string;
  readonly inventoryPath: string;
  readonly anomaliesPath: string;

  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o750 });
    this.baselines = new BaselineStore(join(dir, "baseline.json"));
    this.statePath = join(dir, "state.json");
    this.inventoryPath = join(dir, "inventory.json");
    this.anomaliesPath = join(dir, "anomalies.jsonl");
  }

  load(): LoadedState {
    const warnings: string[] = [];
    const baseline = this.baselines.load();
    if (this.baselines.error !== undefined) {
      warnings.push(`the saved baseline is unusable and was moved to ${this.baselines.path}.corrupt; LEARNING STARTS AGAIN from scratch (${this.baselines.error.split("\n")[0]})`);
    }
    let mode: Mode | undefined;
    try {
      mode = stateSchema.parse(JSON.parse(readFileSync(this.statePath, "utf8"))).mode;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") warnings.push(`${this.statePath} is unreadable, ignored (mode taken from the baseline: detecting when there is one)`);
    }
    let inventory: SavedAsset[] | undefined;
    try {
      inventory = parseInventoryFile(readFileSync(this.inventoryPath, "utf8"));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") warnings.push(`${this.inventoryPath} is unusable, ignored: the asset inventory is rebuilt from traffic (${(err instanceof Error ? err.message : String(err)).split("\n")[0]})`);
    }
    return { baseline, mode: baseline ? mode : undefined, inventory, warnings };
  }

  save(baseline: Baseline, mode: Mode, inventoryJson: string): void {
    this.baselines.save(baseline);
    const s: SavedState = { mode, learned_seconds: baseline.learn.learnedSeconds, saved_at: new Date().toISOString() };
    writeFileAtomic(this.statePath, `${JSON.stringify(s, null, 2)}\n`);
    writeFileAtomic(this.inventoryPath, inventoryJson);
  }
}
