// Small statistics shared by baseline learners: learned value ranges with a margin that scales with the spread and the
// sample count, a log-binned histogram of inter-arrival times (robust period = median, dispersion = IQR/median), tumbling
// packet-time window counters, and a gate that reports each fact once per interval instead of once per packet.
// Protocol-agnostic: used by protocols/*/model.ts and detectors.ts; no wall-clock time anywhere.

/** A learned numeric range: smallest and largest value seen and how many samples. */
export interface ValueRange {
  min: number;
  max: number;
  n: number;
}

export function addToRange(range: ValueRange | undefined, v: number): ValueRange {
  if (range === undefined) return { min: v, max: v, n: 1 };
  if (v < range.min) range.min = v;
  if (v > range.max) range.max = v;
  range.n++;
  return range;
}

/**
 * The margin allowed around a learned range. Few samples say little about the true range (n samples of a uniform value
 * cover only (n-1)/(n+1) of it on average, and setpoints are written a handful of times in a 30-60 min learning window),
 * so the margin is the larger of: the learned spread times max(1, 8/n), half the value's magnitude times max(1, 4/n), and 1
 * (integers). Simulated on uniform values, the chance that a normal value falls outside stays under 0.1 % per write for
 * n ≥ 2 when the range does not touch zero. A setpoint learned as 123..199 from 4 writes tolerates -29..351: 900 is out.
 * Deliberately generous: one false positive per day is the budget, and tampering values are usually far off.
 */
export function rangeMargin(r: ValueRange): number {
  const n = Math.max(1, r.n);
  const spread = r.max - r.min;
  const magnitude = Math.max(Math.abs(r.min), Math.abs(r.max));
  return Math.max(spread * Math.max(1, 8 / n), magnitude * Math.max(0.5, 2 / n), 1);
}

export function isInRange(r: ValueRange, v: number): boolean {
  const m = rangeMargin(r);
  return v >= r.min - m && v <= r.max + m;
}

/** "100..200" or "150" when the range is one value. */
export function formatRange(r: ValueRange): string {
  return r.min === r.max ? `${r.min}` : `${r.min}..${r.max}`;
}

/** Histogram bins grow by 5 % from 1 ms: a period is known to ±2.5 %, memory stays a few dozen entries per series. */
const HIST_BASE = 0.001;
const HIST_RATIO = Math.log(1.05);
const HIST_MAX_BIN = 400;

function binOf(seconds: number): number {
  if (seconds <= HIST_BASE) return 0;
  return Math.min(HIST_MAX_BIN, Math.floor(Math.log(seconds / HIST_BASE) / HIST_RATIO) + 1);
}

function centreOf(bin: number): number {
  if (bin === 0) return HIST_BASE / 2;
  return HIST_BASE * Math.exp((bin - 0.5) * HIST_RATIO);
}

/** Inter-arrival times of one recurring request, in log bins (sparse). Quantiles are bin centres. */
export class IntervalHistogram {
  private readonly bins = new Map<number, number>();
  count = 0;

  add(seconds: number): void {
    const b = binOf(seconds);
    this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    this.count++;
  }

  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const target = q * (this.count - 1);
    let seen = 0;
    for (const b of [...this.bins.keys()].sort((x, y) => x - y)) {
      seen += this.bins.get(b) ?? 0;
      if (seen > target) return centreOf(b);
    }
    return centreOf(HIST_MAX_BIN);
  }
}

/** Robust period summary: median interval, dispersion (IQR / 2 / median ≈ MAD/median), 99th percentile gap. All finite
 * (zeros when nothing was measured), so the summary survives JSON. */
export interface PeriodSummary {
  period: number;
  dispersion: number;
  p99: number;
  samples: number;
}

export function summarisePeriod(h: IntervalHistogram): PeriodSummary {
  if (h.count === 0) return { period: 0, dispersion: 0, p99: 0, samples: 0 };
  const period = h.quantile(0.5);
  const iqr = h.quantile(0.75) - h.quantile(0.25);
  return {
    period: round6(period),
    dispersion: round6(period > 0 ? iqr / 2 / period : 0),
    p99: round6(h.quantile(0.99)),
    samples: h.count,
  };
}

/** Median of a small array (copied, not sorted in place). */
export function median(values: ArrayLike<number>): number {
  const a = Array.from(values).sort((x, y) => x - y);
  if (a.length === 0) return NaN;
  const mid = a.length >> 1;
  return a.length % 2 === 1 ? (a[mid] ?? NaN) : ((a[mid - 1] ?? NaN) + (a[mid] ?? NaN)) / 2;
}

export function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** Events per tumbling window of packet time; `peak` is the busiest complete or current window seen. */
export class WindowCounter {
  private start = -Infinity;
  count = 0;
  peak = 0;

  constructor(readonly seconds: number) {}

  /** Adds n at packet time ts and returns the count of the current window. */
  add(ts: number, n = 1): number {
    if (ts >= this.start + this.seconds || ts < this.start) {
      this.start = Math.floor(ts / this.seconds) * this.seconds;
      this.count = 0;
    }
    this.count += n;
    if (this.count > this.peak) this.peak = this.count;
    return this.count;
  }
}

/** Distinct values per tumbling window (sweeps: distinct unit ids or addresses probed). Bounded by `limit`. */
export class DistinctWindow {
  private start = -Infinity;
  private readonly seen = new Set<string | number>();

  constructor(readonly seconds: number, private readonly limit: number) {}

  add(ts: number, v: string | number): number {
    if (ts >= this.start + this.seconds || ts < this.start) {
      this.start = Math.floor(ts / this.seconds) * this.seconds;
      this.seen.clear();
    }
    if (this.seen.size < this.limit) this.seen.add(v);
    return this.seen.size;
  }

  values(): (string | number)[] {
    return [...this.seen];
  }
}

/**
 * Reports a fact at most once per `repeatSeconds` of packet time: the engine aggregates repeats by key, so a repeat now and
 * then keeps last_seen and count meaningful without a draft per packet. At most `limit` facts are remembered; when full,
 * the oldest half is forgotten (a forgotten fact may report again, which the engine's aggregation absorbs).
 */
export class ReportGate {
  private readonly last = new Map<string, number>();

  constructor(private readonly repeatSeconds: number, private readonly limit: number) {}

  /** Would `allow` say yes? (Nothing recorded: lets a caller skip building a summary that would be dropped.) */
  wouldAllow(fact: string, ts: number): boolean {
    const prev = this.last.get(fact);
    return prev === undefined || ts - prev >= this.repeatSeconds || ts < prev;
  }

  allow(fact: string, ts: number): boolean {
    const prev = this.last.get(fact);
    if (prev !== undefined && ts - prev < this.repeatSeconds && ts >= prev) return false;
    if (this.last.size >= this.limit) {
      let drop = this.last.size >> 1;
      for (const k of this.last.keys()) {
        if (drop-- <= 0) break;
        this.last.delete(k);
      }
    }
    this.last.delete(fact);
    this.last.set(fact, ts);
    return true;
  }
}

/** "45 min", "2 h 5 min", "3 d 4 h", "40 s": how long learning lasted, for summaries. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "an unknown time";
  if (seconds < 120) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  if (min < 120) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h${min % 60 ? ` ${min % 60} min` : ""}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ""}`;
}

/** Copy of an object with keys sorted (recursively), for diffable JSON exports. Arrays keep their order. */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => sortKeys(v)) as T;
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out as T;
  }
  return value;
}
