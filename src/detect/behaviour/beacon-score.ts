// Beacon score over one (source, destination) series of connections, after RITA's beacon analysis (activecm/rita,
// "beacon" package): timing skew (Bowley) and dispersion (MAD / median) of the intervals between connection starts,
// size dispersion of the client→server bytes, and coverage of the observed span. Differences from RITA: intervals
// that are a whole multiple (2–4×) of the median are divided back (missed beats), starts closer than BEAT_MERGE_S merge
// into one beat (a beacon that opens two sockets per call-back), and dispersion is scored relative to the period, so
// ±10 % jitter on a 30 s or a 10 min period scores alike.

import { bowleySkew, clamp01, mad, median } from "./stats.ts";

/** Starts closer than this are one beat. */
export const BEAT_MERGE_S = 2;
/** Relative dispersion (MAD / median) at which the timing score reaches 0; ±10 % uniform jitter gives about 0.06. */
export const DISPERSION_ZERO = 0.25;
/** Relative size dispersion at which the size score reaches 0. */
export const SIZE_DISPERSION_ZERO = 0.6;

export interface BeaconScore {
  /** Beats after merging near-simultaneous starts. */
  beats: number;
  /** Median interval (s) after folding missed beats, and its MAD (s). */
  period: number;
  jitter: number;
  timing: number;
  skew: number;
  size: number | undefined;
  coverage: number;
  score: number;
}

/** Merges starts closer than BEAT_MERGE_S; input must be sorted ascending. */
export function mergeBeats(starts: readonly number[]): number[] {
  const out: number[] = [];
  for (const t of starts) {
    const last = out[out.length - 1];
    if (last === undefined || t - last >= BEAT_MERGE_S) out.push(t);
  }
  return out;
}

/** Scores a sorted series of connection start times and (optional) per-connection client→server byte counts. */
export function scoreBeacon(starts: readonly number[], sizes: readonly number[]): BeaconScore | undefined {
  const beats = mergeBeats(starts);
  if (beats.length < 3) return undefined;
  const raw: number[] = [];
  for (let i = 1; i < beats.length; i++) raw.push((beats[i] ?? 0) - (beats[i - 1] ?? 0));
  const base = median(raw);
  if (!(base > 0)) return undefined;
  // Fold missed beats: an interval of ~2×, 3× or 4× the period is that many periods.
  const folded = raw.map((v) => {
    const k = Math.round(v / base);
    return k >= 2 && k <= 4 && Math.abs(v / k - base) / base < 0.2 ? v / k : v;
  });
  const period = median(folded);
  const jitter = mad(folded);
  const timing = clamp01(1 - jitter / period / DISPERSION_ZERO);
  const skew = clamp01(1 - Math.abs(bowleySkew(folded)));
  const span = (beats[beats.length - 1] ?? 0) - (beats[0] ?? 0);
  const coverage = clamp01(beats.length / (span / period + 1));
  let size: number | undefined;
  if (sizes.length >= 3) {
    const m = median(sizes);
    size = m <= 0 ? 1 : clamp01(1 - mad(sizes) / m / SIZE_DISPERSION_ZERO);
  }
  const score =
    size === undefined
      ? 0.6 * timing + 0.2 * skew + 0.2 * coverage
      : 0.45 * timing + 0.15 * skew + 0.25 * size + 0.15 * coverage;
  return { beats: beats.length, period, jitter, timing, skew, size, coverage, score };
}
