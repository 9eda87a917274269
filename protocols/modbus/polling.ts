// Timing model of one recurring Modbus request (key fc:address:quantity on a channel): while learning, inter-arrival
// times go into a log histogram; at the end of learning the period is the median interval and the dispersion IQR/median,
// so jitter and missed polls (2P, 3P gaps) do not move it. While detecting, the tracker knows when the poll is overdue
// (loss of view) and whether the recent period departed from the learned one (period change). Packet time only.

import { IntervalHistogram, median, summarisePeriod } from "../../src/detect/learned-stats.ts";

/** A request is a recurring poll only with this many learned intervals… */
export const POLL_MIN_SAMPLES = 10;
/** …a dispersion (IQR/2/median) at most this (operator-driven requests are irregular)… */
export const POLL_MAX_DISPERSION = 0.25;
/** …and a period at most this: slower "polls" are operator or batch actions whose pauses are normal. */
export const POLL_MAX_PERIOD_S = 300;
/** A poll is overdue after max(FACTOR × period, 1.5 × learned 99th-percentile gap, FLOOR) seconds of silence: four
 * missed polls in a row are already rare, the p99 term covers plants where they are not, the floor covers jitter of
 * fast polls (and keeps a 0.1 s poll from alarming on a 1 s hiccup). */
export const LOSS_OF_VIEW_FACTOR = 5;
export const LOSS_OF_VIEW_FLOOR_S = 30;
/** Period change: median of the last WINDOW intervals off the learned period by RATIO or more (either way). */
export const PERIOD_CHANGE_WINDOW = 16;
export const PERIOD_CHANGE_RATIO = 3;
/** The period is back to normal once the recent median is within this ratio again. */
const PERIOD_BACK_RATIO = 1.5;

/** Scratch for the median of the recent intervals (one per process: detect() is not reentrant). */
const scratch = new Float64Array(PERIOD_CHANGE_WINDOW + 1);

/** median() of the recent intervals without allocating (they are finite and non-negative: numeric order is the same). */
function recentMedian(values: readonly number[]): number {
  const n = values.length;
  if (n === 0) return NaN;
  for (let i = 0; i < n; i++) scratch[i] = values[i] as number;
  const a = scratch.subarray(0, n).sort();
  const mid = n >> 1;
  return n % 2 === 1 ? (a[mid] as number) : ((a[mid - 1] as number) + (a[mid] as number)) / 2;
}

/** What is exported per poll key. `armed`: recurring and still running at the end of learning, so watched. */
export interface PollModel {
  period: number;
  dispersion: number;
  p99: number;
  samples: number;
  armed: boolean;
}

export type PeriodVerdict = "changed" | "restored" | undefined;

export class PollTracker {
  /** Packet time of the last request with this key that the server answered (response or exception); NaN until seen
   * (after an import: seen in this capture). Loss of view is measured from it. */
  last = NaN;
  /** Packet time of the last request with this key, answered or not (intervals are measured between requests). */
  lastAsked = NaN;
  model: PollModel | undefined;
  periodChanged = false;
  private hist = new IntervalHistogram();
  private recent: number[] = [];
  private sinceCheck = 0;

  static fromModel(model: PollModel): PollTracker {
    const t = new PollTracker();
    t.model = { ...model };
    return t;
  }

  /** Records a request while learning. */
  learn(ts: number): void {
    if (Number.isFinite(this.lastAsked) && ts >= this.lastAsked) this.hist.add(ts - this.lastAsked);
    this.last = ts;
    this.lastAsked = ts;
  }

  /** Freezes the period at the end of learning; a poll silent for longer than its threshold at `now` is not armed. */
  freeze(now: number): void {
    if (this.hist.count >= POLL_MIN_SAMPLES || this.model === undefined) {
      const s = summarisePeriod(this.hist);
      const recurring =
        s.samples >= POLL_MIN_SAMPLES && s.period > 0 && s.period <= POLL_MAX_PERIOD_S && s.dispersion <= POLL_MAX_DISPERSION;
      this.model = { ...s, armed: recurring };
    }
    if (this.model.armed && Number.isFinite(this.last) && now - this.last > this.silenceThreshold()) this.model.armed = false;
  }

  get armed(): boolean {
    return this.model?.armed === true;
  }

  /** Seconds of silence after which this poll counts as lost. */
  silenceThreshold(): number {
    const m = this.model;
    if (m === undefined) return Infinity;
    return Math.max(LOSS_OF_VIEW_FACTOR * m.period, 1.5 * m.p99, LOSS_OF_VIEW_FLOOR_S);
  }

  /** Packet time after which this poll is overdue (NaN while it has not been seen since an import). */
  deadline(): number {
    return this.last + this.silenceThreshold();
  }

  /**
   * Records a request while detecting (`answered`: the server responded, even with an exception; false for a timeout);
   * says when the recent period departs from (or returns to) the learned one.
   */
  detect(ts: number, answered: boolean): PeriodVerdict {
    const prev = this.lastAsked;
    if (!(ts < prev)) this.lastAsked = ts;
    if (answered && !(ts < this.last)) this.last = ts;
    const m = this.model;
    if (m === undefined || !m.armed || !Number.isFinite(prev) || ts < prev) return undefined;
    this.recent.push(ts - prev);
    if (this.recent.length > PERIOD_CHANGE_WINDOW) this.recent.shift();
    if (this.recent.length < PERIOD_CHANGE_WINDOW || ++this.sinceCheck < PERIOD_CHANGE_WINDOW / 2) return undefined;
    this.sinceCheck = 0;
    const ratio = recentMedian(this.recent) / m.period;
    if (!this.periodChanged && (ratio >= PERIOD_CHANGE_RATIO || ratio <= 1 / PERIOD_CHANGE_RATIO)) {
      this.periodChanged = true;
      return "changed";
    }
    if (this.periodChanged && ratio < PERIOD_BACK_RATIO && ratio > 1 / PERIOD_BACK_RATIO) {
      this.periodChanged = false;
      return "restored";
    }
    return undefined;
  }

  /** The median of the recent intervals (for evidence), NaN before enough were seen. */
  recentPeriod(): number {
    return this.recent.length > 0 ? median(this.recent) : NaN;
  }
}
