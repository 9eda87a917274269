// Small robust statistics used by the behaviour analyzers: median, quartiles, median absolute deviation (MAD),
// Bowley (quartile) skewness as in RITA's beacon analysis, and Shannon entropy of a string.

/** Sorted copy. */
export function sorted(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Quantile of an already sorted array by linear interpolation (q in [0, 1]). */
export function quantileSorted(s: readonly number[], q: number): number {
  if (s.length === 0) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = s[lo] ?? 0;
  const b = s[hi] ?? 0;
  return a + (b - a) * (pos - lo);
}

export function median(values: readonly number[]): number {
  return quantileSorted(sorted(values), 0.5);
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** Bowley skewness (Q1 + Q3 − 2·Q2) / (Q3 − Q1), 0 when the quartiles coincide (a perfectly regular series). */
export function bowleySkew(values: readonly number[]): number {
  const s = sorted(values);
  const q1 = quantileSorted(s, 0.25);
  const q2 = quantileSorted(s, 0.5);
  const q3 = quantileSorted(s, 0.75);
  const d = q3 - q1;
  if (d <= 0 || q2 === q1 || q2 === q3) return 0;
  return (q1 + q3 - 2 * q2) / d;
}

/** Shannon entropy in bits per character of `s` (0 for the empty string). */
export function shannonEntropy(s: string): number {
  if (s.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Clamps to [0, 1]. */
export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
