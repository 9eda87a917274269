// Wiring for the CLI and the appliance (issue 3 §6): one call builds the zone map from the site config, the network
// analyzer, the asset inventory and the detection engine; protocol analyzers are passed in (src/ never imports
// protocols/). Also the per-kind table printed after a replay and the alerts-per-hour figures of a backtest.

import { AssetInventory } from "../assets/inventory.ts";
import type { SiteConfig } from "../config/site.ts";
import type { Counters } from "../core/counters.ts";
import type { EventBase, Ts } from "../core/types.ts";
import type { Baseline } from "./baseline-store.ts";
import { DetectionEngine } from "./engine.ts";
import { NetworkAnalyzer } from "./network.ts";
import type { Analyzer, Anomaly, Mode } from "./types.ts";
import { ZoneMap } from "./zones.ts";

export interface DetectionOptions {
  site?: SiteConfig;
  learnSeconds: number;
  /** Learning ends at this packet time instead (epoch seconds). */
  learnUntil?: Ts;
  /** Protocol analyzers (Modbus, OPC UA, behaviour …); the network analyzer is always added first. */
  analyzers?: readonly Analyzer[];
  onAnomaly(a: Anomaly): void;
  /** Start from a saved baseline: models imported, mode detecting. */
  baseline?: Baseline;
  mode?: Mode;
  reemitSeconds?: number;
  counters?: Counters;
}

export interface Detection {
  readonly zones: ZoneMap;
  readonly engine: DetectionEngine;
  readonly inventory: AssetInventory;
  readonly network: NetworkAnalyzer;
  /** Analyzers the baseline had no model for (they start empty). */
  readonly missingModels: readonly string[];
  /** Feed every event of the pipeline. */
  observe(e: EventBase): void;
  /** Packet time advanced (optional; events already advance it). */
  tick(ts: Ts): void;
}

export function createDetection(opts: DetectionOptions): Detection {
  const zones = new ZoneMap(opts.site);
  const network = new NetworkAnalyzer(zones, opts.counters);
  const inventory = new AssetInventory(zones);
  const engine = new DetectionEngine({
    analyzers: [network, ...(opts.analyzers ?? [])],
    zones,
    learnSeconds: opts.learnSeconds,
    ...(opts.learnUntil !== undefined ? { learnUntil: opts.learnUntil } : {}),
    onAnomaly: opts.onAnomaly,
    ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
    ...(opts.reemitSeconds !== undefined ? { reemitSeconds: opts.reemitSeconds } : {}),
    ...(opts.counters !== undefined ? { counters: opts.counters } : {}),
  });
  const missingModels = opts.baseline ? engine.loadBaseline(opts.baseline) : [];
  return {
    zones, engine, inventory, network, missingModels,
    observe(e) {
      engine.observe(e);
      inventory.observe(e);
    },
    tick(ts) {
      engine.tick(ts);
    },
  };
}

export interface KindSummary {
  kind: string;
  /** Aggregated records (distinct keys) and total occurrences. */
  records: number;
  occurrences: number;
  /** Records per hour of the period given (a backtest's "alerts per hour"). */
  perHour: number;
}

/** Per-kind table of aggregated anomalies, most records first; `periodSeconds` is the detection period's length. */
export function summarizeByKind(anomalies: readonly Anomaly[], periodSeconds: number): KindSummary[] {
  const byKind = new Map<string, KindSummary>();
  for (const a of anomalies) {
    const k = byKind.get(a.kind) ?? { kind: a.kind, records: 0, occurrences: 0, perHour: 0 };
    k.records++;
    k.occurrences += a.count;
    byKind.set(a.kind, k);
  }
  const hours = periodSeconds > 0 ? periodSeconds / 3600 : 0;
  for (const k of byKind.values()) k.perHour = hours > 0 ? Math.round((k.records / hours) * 100) / 100 : 0;
  return [...byKind.values()].sort((x, y) => y.records - x.records || x.kind.localeCompare(y.kind));
}
