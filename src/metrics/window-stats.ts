// Small per-window building blocks for metric contributors: a bounded response-time reservoir (exact percentiles up to
// RTT_RESERVOIR_SIZE samples, deterministic reservoir sampling beyond, so replays give identical points) and a tag
// limiter that caps the distinct values of a host-derived tag (issue 4 §1: bounded cardinality).
import { MAX_TAG_VALUES, OVERFLOW_TAG, RTT_RESERVOIR_SIZE } from "./schema.ts";

/** xorshift32 seed: fixed, so the same event sequence keeps the same samples. */
const RNG_SEED = 0x9e3779b9;
/** Sorting space for summary() (not reentrant; the kept samples stay in arrival order). */
const scratch = new Float64Array(RTT_RESERVOIR_SIZE);

export class RttReservoir {
  private readonly samples = new Float64Array(RTT_RESERVOIR_SIZE);
  private seen = 0;
  private max = 0;
  private rng = RNG_SEED;

  /** Back to the state of a new reservoir (contributors reuse reservoirs across windows instead of allocating). */
  reset(): this {
    this.seen = 0;
    this.max = 0;
    this.rng = RNG_SEED;
    return this;
  }

  add(v: number): void {
    if (!Number.isFinite(v) || v < 0) return;
    if (v > this.max) this.max = v;
    if (this.seen < RTT_RESERVOIR_SIZE) {
      this.samples[this.seen] = v;
    } else {
      let x = this.rng;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.rng = x >>> 0;
      const j = this.rng % (this.seen + 1);
      if (j < RTT_RESERVOIR_SIZE) this.samples[j] = v;
    }
    this.seen++;
  }

  get count(): number {
    return this.seen;
  }

  /** p50, p95 (nearest-rank on the kept samples) and the exact max; undefined when empty. */
  summary(): { p50: number; p95: number; max: number } | undefined {
    const n = Math.min(this.seen, RTT_RESERVOIR_SIZE);
    if (n === 0) return undefined;
    scratch.set(n === RTT_RESERVOIR_SIZE ? this.samples : this.samples.subarray(0, n));
    const sorted = n === RTT_RESERVOIR_SIZE ? scratch.sort() : scratch.subarray(0, n).sort();
    return { p50: rankOf(sorted, n, 0.5), p95: rankOf(sorted, n, 0.95), max: this.max };
  }
}

/** Nearest-rank percentile of n sorted samples. */
function rankOf(sorted: Float64Array, n: number, p: number): number {
  return sorted[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))] ?? 0;
}

/** Reservoirs of closed windows, handed out again reset (bounded: a window with many series does not pin memory). */
export class RttPool {
  private readonly free: RttReservoir[] = [];
  constructor(private readonly max = 4096) {}
  take(): RttReservoir {
    return this.free.pop()?.reset() ?? new RttReservoir();
  }
  give(r: RttReservoir): void {
    if (this.free.length < this.max) this.free.push(r);
  }
  /** At the end of a window: rtt_p50, rtt_p95 and rtt_max of `r` into `fields` (none when empty), then `r` back to the pool. */
  drainInto(r: RttReservoir, fields: Record<string, number>): void {
    const rtt = r.summary();
    this.give(r);
    if (rtt) {
      fields.rtt_p50 = rtt.p50;
      fields.rtt_p95 = rtt.p95;
      fields.rtt_max = rtt.max;
    }
  }
}

/** Maps values of one tag to themselves until MAX_TAG_VALUES distinct ones were seen, then new ones to OVERFLOW_TAG. */
export class TagLimiter {
  private readonly known = new Set<string>();
  overflowed = 0;

  constructor(private readonly max = MAX_TAG_VALUES) {}

  map(value: string): string {
    if (this.known.has(value)) return value;
    if (this.known.size >= this.max) {
      this.overflowed++;
      return OVERFLOW_TAG;
    }
    this.known.add(value);
    return value;
  }
}
