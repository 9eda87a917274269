// Contracts of learning and detection: what an analyzer learns from events and what it reports. Protocol analyzers
// (protocols/<p>/model.ts + detectors.ts) and network analyzers (src/detect/*) implement Analyzer; the engine owns the
// learning clock, aggregation and the anomaly record.

import type { EventBase, Ts } from "../core/types.ts";

export type Severity = "low" | "medium" | "high" | "critical";

/** What a detector reports; the engine turns it into an Anomaly (id, ts, aggregation). */
export interface AnomalyDraft {
  /** Stable id such as "modbus.new-function-code", "zone.it-to-ot", "net.beacon". */
  kind: string;
  severity: Severity;
  src: string;
  dst: string;
  protocol: string;
  /** One sentence naming the baseline fact that was violated, in plain words. */
  summary: string;
  /** ATT&CK technique ids (ICS first, enterprise where ICS has none). */
  attack: string[];
  /** Flat facts: learned vs seen values, frame number, ports… (values are strings/numbers/booleans only). */
  evidence: Record<string, string | number | boolean>;
  /** Repeats with the same key aggregate into one anomaly; default `${kind}|${src}|${dst}`. */
  key?: string;
  /** Packet time of the triggering packet; defaults to the event's ts. */
  ts?: Ts;
  /**
   * A check that holds regardless of the baseline (e.g. `zone.it-to-ot`): the engine keeps it while learning too.
   * Drafts without it are dropped while learning.
   */
  alwaysOn?: boolean;
}

/**
 * The anomaly record: one flat JSON object (top-level keys only) — also the MQTT payload and the --anomalies line.
 * `attack` is a comma-separated list of technique ids; `evidence` is the draft's evidence as compact JSON text.
 */
export interface Anomaly {
  id: string;
  ts: string;
  kind: string;
  severity: Severity;
  src: string;
  dst: string;
  protocol: string;
  summary: string;
  attack: string;
  evidence: string;
  /** Aggregation: how many times it fired, first and last packet time (ISO). */
  count: number;
  first_seen: string;
  last_seen: string;
  src_zone: string;
  dst_zone: string;
}

export type Mode = "learning" | "detecting";

export interface ZoneInfo {
  /** Zone name, or "unknown" (private address in no zone) or "internet" (public address). */
  name: string;
  /** Purdue level; NaN for unknown/internet. */
  level: number;
}

/** What the engine gives an analyzer on each call. */
export interface AnalyzerContext {
  readonly mode: Mode;
  readonly ts: Ts;
  zoneOf(ip: string): ZoneInfo;
  /** Learning elapsed so far (seconds of packet time) and the configured learning duration. */
  readonly learnedSeconds: number;
  readonly learnSeconds: number;
}

/**
 * One analyzer: learns a JSON-serialisable model while learning, checks events against it while detecting.
 * `observe` is called for every event in both modes; it returns drafts. While learning the engine drops every draft not
 * marked `alwaysOn` (checks that hold regardless of the baseline, e.g. IT→control crossings).
 */
export interface Analyzer {
  readonly name: string;
  observe(event: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined;
  /** Packet time advanced (about once per second of packet time): time-based checks such as loss of view. */
  tick?(ctx: AnalyzerContext): AnomalyDraft[] | undefined;
  /** Called once when learning ends (e.g. to freeze polling periods). */
  endLearning?(ctx: AnalyzerContext): void;
  /** The learned model as plain JSON (sorted, diffable), and back. */
  exportModel(): unknown;
  importModel(model: unknown): void;
  /** "Learn this": fold the fact behind an anomaly into the model so it does not fire again. */
  accept?(anomaly: Anomaly): boolean;
}
