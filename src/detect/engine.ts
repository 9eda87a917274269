// Detection engine (issue 3 §3, §5): owns the learning clock (packet time only: the learning period starts at the first
// packet/event seen), fans events out to the analyzers, drops drafts while learning unless marked alwaysOn, aggregates
// repeats into one anomaly per key and builds the flat Anomaly record (stable id, ISO packet time, zones).
//
// Re-emit policy: the first occurrence of a key is emitted at once. Repeats only bump count/last_seen; an updated record
// (same id, new count, last_seen and ts) is emitted on a repeat at least `reemitSeconds` of packet time (default 1 h)
// after the key's previous emission, so an ongoing anomaly shows up in MQTT/Grafana about hourly and never floods; a
// consumer keeps the last record per id. `reemitSeconds: 0` emits only the first occurrence. `anomalies()` gives the
// final aggregated state (for the replay summary table and the HTTP API) without emitting anything.

import { createHash } from "node:crypto";
import type { Counters } from "../core/counters.ts";
import type { EventBase, Ts } from "../core/types.ts";
import type { Baseline } from "./baseline-store.ts";
import { BASELINE_VERSION } from "./baseline-store.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft, Mode, ZoneInfo } from "./types.ts";
import type { ZoneMap } from "./zones.ts";
import { evictOldest } from "./behaviour/common.ts";

export const DEFAULT_REEMIT_SECONDS = 3600;
/** Aggregated anomalies kept in memory; the least recently seen is forgotten beyond this (counter detect.aggregate.evicted). */
export const MAX_AGGREGATES = 50_000;

export interface EngineOptions {
  analyzers: readonly Analyzer[];
  zones: ZoneMap;
  /** Learning duration in seconds of packet time, from the first packet. 0 = detect at once. */
  learnSeconds: number;
  /** Alternatively, learning ends at this packet time (epoch seconds): the duration becomes learnUntil − first packet. */
  learnUntil?: Ts;
  /** Initial mode (default "learning"; "detecting" when started from a baseline, see loadBaseline). */
  mode?: Mode;
  onAnomaly(a: Anomaly): void;
  reemitSeconds?: number;
  counters?: Counters;
}

interface Aggregate {
  anomaly: Anomaly;
  lastEmitTs: Ts;
  lastTs: Ts;
}

const UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** "45s", "30m", "2h", "7d", "1.5h", "90" (seconds) → seconds. Throws a plain Error naming the bad text. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$/.exec(text);
  if (!m) throw new Error(`"${text}" is not a duration (examples: 45s, 30m, 2h, 7d)`);
  return Number(m[1]) * (UNITS[m[2] ?? "s"] ?? 1);
}

export function isoTime(ts: Ts): string {
  return new Date(Math.round(ts * 1000)).toISOString();
}

/** Flat compact JSON with sorted keys, so identical evidence is byte-identical. */
function formatEvidence(ev: Record<string, string | number | boolean>): string {
  const out: Record<string, string | number | boolean> = {};
  for (const k of Object.keys(ev).sort()) out[k] = ev[k] as string | number | boolean;
  return JSON.stringify(out);
}

/** Deterministic for a given capture: the aggregation key and the packet time of the first occurrence. */
export function anomalyId(key: string, firstTs: Ts): string {
  return createHash("sha1").update(`${key}|${firstTs.toFixed(6)}`).digest("hex").slice(0, 16);
}

class Context implements AnalyzerContext {
  mode: Mode = "learning";
  ts: Ts = 0;
  learnedSeconds = 0;
  constructor(public learnSeconds: number, private readonly zones: ZoneMap) {}
  zoneOf(ip: string): ZoneInfo {
    return this.zones.zoneOf(ip);
  }
}

export class DetectionEngine {
  private readonly analyzers: readonly Analyzer[];
  private readonly zones: ZoneMap;
  private readonly onAnomaly: (a: Anomaly) => void;
  private readonly reemitSeconds: number;
  private readonly counters: Counters | undefined;
  private readonly ctx: Context;
  private readonly aggregates = new Map<string, Aggregate>();
  private learnStart: Ts | undefined;
  private firstTs: Ts | undefined;
  private now: Ts = Number.NEGATIVE_INFINITY;
  private nextTick: Ts = Number.NEGATIVE_INFINITY;
  /** Packet time detection began (end of learning, or the first packet when started detecting). */
  private detectStart: Ts | undefined;
  /** Seconds learned in earlier learning periods (a baseline, or learning resumed by command). */
  private learnedBefore = 0;
  private readonly learnUntil: Ts | undefined;

  constructor(opts: EngineOptions) {
    this.analyzers = opts.analyzers;
    this.zones = opts.zones;
    this.onAnomaly = opts.onAnomaly;
    this.reemitSeconds = opts.reemitSeconds ?? DEFAULT_REEMIT_SECONDS;
    this.counters = opts.counters;
    this.ctx = new Context(opts.learnSeconds, opts.zones);
    this.learnUntil = opts.learnUntil;
    this.ctx.mode = opts.mode ?? "learning";
  }

  get mode(): Mode {
    return this.ctx.mode;
  }

  /** Seconds of packet time learned so far (all learning periods). */
  get learnedSeconds(): number {
    return this.learnedBefore + (this.ctx.mode === "learning" && this.learnStart !== undefined ? this.now - this.learnStart : 0);
  }

  /** Packet time of the first packet or event seen, if any. */
  get firstPacketTs(): Ts | undefined {
    return this.firstTs;
  }

  /** Latest packet time seen (-Infinity before the first packet). */
  get packetTime(): Ts {
    return this.now;
  }

  /** Seconds of packet time spent detecting so far (the period behind a backtest's alerts per hour). */
  get detectionSeconds(): number {
    return this.ctx.mode === "detecting" && this.detectStart !== undefined ? Math.max(0, this.now - this.detectStart) : 0;
  }

  /** Feed one event (any type; analyzers pick what they understand). */
  observe(event: EventBase): void {
    this.tick(event.ts);
    this.zones.observe(event);
    this.ctx.ts = event.ts;
    for (const a of this.analyzers) {
      let drafts: AnomalyDraft[] | undefined;
      try {
        drafts = a.observe(event, this.ctx);
      } catch {
        this.counters?.add(`internal.detect.${a.name}.exception`);
        continue;
      }
      if (drafts) for (const d of drafts) this.handle(d, event.ts);
    }
  }

  /**
   * Packet time advanced (call it for every packet, or at least every second of packet time, so learning ends and
   * time-based checks run during quiet periods). Cheap when called often. Time never goes backwards.
   */
  tick(ts: Ts): void {
    if (this.firstTs === undefined) {
      this.firstTs = ts;
      this.learnStart ??= ts;
      if (this.learnUntil !== undefined) this.ctx.learnSeconds = Math.max(0, this.learnUntil - ts);
    }
    if (ts > this.now) this.now = ts;
    if (this.ctx.mode === "detecting") this.detectStart ??= ts;
    if (this.ctx.mode === "learning" && this.learnStart !== undefined && this.now - this.learnStart >= this.ctx.learnSeconds) {
      this.endLearning(this.learnStart + this.ctx.learnSeconds);
    }
    if (this.now < this.nextTick) return;
    this.nextTick = Math.floor(this.now) + 1;
    this.ctx.ts = this.now;
    this.ctx.learnedSeconds = this.learnedSeconds;
    for (const a of this.analyzers) {
      if (!a.tick) continue;
      try {
        const drafts = a.tick(this.ctx);
        if (drafts) for (const d of drafts) this.handle(d, this.now);
      } catch {
        this.counters?.add(`internal.detect.${a.name}.exception`);
      }
    }
  }

  /**
   * Switch mode by command. learning → detecting calls endLearning once on every analyzer; detecting → learning starts a
   * new learning period at the current packet time (the models keep what they know) that ends after learnSeconds.
   */
  setMode(mode: Mode): void {
    if (mode === this.ctx.mode) return;
    if (mode === "detecting") {
      this.endLearning(Number.isFinite(this.now) ? this.now : (this.learnStart ?? 0));
    } else {
      this.ctx.mode = "learning";
      this.learnStart = Number.isFinite(this.now) ? this.now : undefined;
    }
  }

  /** Learning ends at packet time `at` (the configured end, or now when switched by command). */
  private endLearning(at: Ts): void {
    this.learnedBefore += this.learnStart !== undefined ? Math.max(0, at - this.learnStart) : 0;
    this.ctx.mode = "detecting";
    this.detectStart = at;
    this.ctx.learnedSeconds = this.learnedBefore;
    this.ctx.ts = this.now;
    for (const a of this.analyzers) {
      try {
        a.endLearning?.(this.ctx);
      } catch {
        this.counters?.add(`internal.detect.${a.name}.exception`);
      }
    }
  }

  private handle(d: AnomalyDraft, eventTs: Ts): void {
    if (this.ctx.mode === "learning" && !d.alwaysOn) {
      this.counters?.add("detect.drafts.learning-dropped");
      return;
    }
    const ts = d.ts ?? eventTs;
    const key = d.key ?? `${d.kind}|${d.src}|${d.dst}`;
    const agg = this.aggregates.get(key);
    if (agg) {
      const a = agg.anomaly;
      a.count++;
      if (ts > agg.lastTs) {
        agg.lastTs = ts;
        a.last_seen = isoTime(ts);
      }
      this.aggregates.delete(key); // re-insert: Map order is then least recently seen first
      this.aggregates.set(key, agg);
      if (this.reemitSeconds > 0 && ts - agg.lastEmitTs >= this.reemitSeconds) {
        agg.lastEmitTs = ts;
        a.ts = isoTime(ts);
        this.emit(a);
      }
      return;
    }
    const iso = isoTime(ts);
    const anomaly: Anomaly = {
      id: anomalyId(key, ts),
      ts: iso,
      kind: d.kind,
      severity: d.severity,
      src: d.src,
      dst: d.dst,
      protocol: d.protocol,
      summary: d.summary,
      attack: d.attack.join(","),
      evidence: formatEvidence(d.evidence),
      count: 1,
      first_seen: iso,
      last_seen: iso,
      src_zone: d.src ? this.zones.zoneOf(d.src).name : "",
      dst_zone: d.dst ? this.zones.zoneOf(d.dst).name : "",
    };
    if (this.aggregates.size >= MAX_AGGREGATES) {
      // Through the shared eviction cursor: a fresh keys() iterator walks every deleted entry's hole (O(n) per insert).
      evictOldest(this.aggregates);
      this.counters?.add("detect.aggregate.evicted");
    }
    this.aggregates.set(key, { anomaly, lastEmitTs: ts, lastTs: ts });
    this.counters?.add(`detect.anomaly.${d.kind}`);
    this.emit(anomaly);
  }

  private emit(a: Anomaly): void {
    try {
      this.onAnomaly({ ...a });
    } catch {
      this.counters?.add("internal.detect.sink.exception");
    }
  }

  /** Aggregated anomalies (final counts), ordered by first occurrence then id. Nothing is emitted. */
  anomalies(): Anomaly[] {
    return [...this.aggregates.values()].map((g) => ({ ...g.anomaly }))
      .sort((a, b) => a.first_seen.localeCompare(b.first_seen) || a.id.localeCompare(b.id));
  }

  /** "Learn this": asks the analyzers to fold the fact behind an anomaly into their models. */
  accept(id: string): boolean {
    const agg = [...this.aggregates.values()].find((g) => g.anomaly.id === id);
    if (!agg) return false;
    let accepted = false;
    for (const a of this.analyzers) accepted = (a.accept?.(agg.anomaly) ?? false) || accepted;
    return accepted;
  }

  /** The current baseline (analyzer models, learned OT hosts, learning window). */
  baseline(site: string): Baseline {
    const models: Record<string, unknown> = {};
    for (const a of this.analyzers) models[a.name] = a.exportModel();
    return {
      version: BASELINE_VERSION,
      site,
      learn: { firstTs: this.firstTs ?? 0, learnedSeconds: this.learnedSeconds },
      zones: { learnedOt: this.zones.exportLearned() },
      models,
    };
  }

  /**
   * Starts from a saved baseline: imports every analyzer's model and the learned OT hosts, and switches to detecting
   * without calling endLearning (the models were frozen when saved). Returns the analyzers the baseline had no model for.
   */
  loadBaseline(b: Baseline): string[] {
    const missing: string[] = [];
    for (const a of this.analyzers) {
      if (b.models[a.name] === undefined) missing.push(a.name);
      else a.importModel(b.models[a.name]);
    }
    this.zones.importLearned(b.zones.learnedOt);
    this.firstTs = b.learn.firstTs; // the baseline's learning window, kept when it is saved again
    this.learnedBefore = b.learn.learnedSeconds;
    this.ctx.mode = "detecting";
    this.ctx.learnedSeconds = this.learnedBefore;
    return missing;
  }
}
