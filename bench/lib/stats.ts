/** Order statistics over raw samples: every figure the bench reports is computed here. */

export function sorted(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** Nearest-rank percentile of already sorted samples (q in 0..100). */
export function percentile(ascending: Float64Array, q: number): number {
  if (ascending.length === 0) return Number.NaN;
  const rank = Math.ceil((q / 100) * ascending.length);
  return ascending[Math.min(ascending.length - 1, Math.max(0, rank - 1))] as number;
}

export function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i] as number;
  return values.length === 0 ? Number.NaN : sum / values.length;
}

export function median(values: ArrayLike<number>): number {
  return percentile(sorted(values), 50);
}

export interface Spread {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  n: number;
}

export function spread(values: ArrayLike<number>): Spread {
  const s = sorted(values);
  return {
    p50: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? (s[s.length - 1] as number) : Number.NaN,
    n: s.length,
  };
}
