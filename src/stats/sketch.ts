/**
 * A mergeable quantile sketch with a guaranteed relative error: DDSketch's logarithmic mapping
 * (Masson, Rim, Lee, VLDB 2019) over a fixed, clamped value range, so it never needs DDSketch's
 * bucket collapsing.
 *
 * Why this and not t-digest or exact reservoirs: samples from hundreds of isolates are merged in
 * whatever order their flushes arrive, and merged again when minute buckets are compacted into
 * 15-minute ones. Bin counts add exactly, so merging is associative and commutative — the result
 * does not depend on arrival order, which t-digest cannot promise — and the error bound is the same
 * for every distribution, including the long tails of latency.
 *
 * Bound: a value x in [MIN_VALUE, MAX_VALUE] falls in bin i = ceil(log_γ x), covering (γ^(i-1), γ^i],
 * and is reported as 2γ^i/(γ+1), within α = (γ-1)/(γ+1) of every value in the bin. So a quantile
 * estimate is within RELATIVE_ACCURACY (2 %) of the exact sample at the same rank. Below MIN_VALUE
 * (including 0) values count as 0 (absolute error < MIN_VALUE); above MAX_VALUE they are clamped.
 *
 * Size: at most MAX_BINS (520) bins whatever the sample count; a real latency or throughput
 * distribution spans about two decades, ~115 bins.
 */

export const RELATIVE_ACCURACY = 0.02;
const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LOG_GAMMA = Math.log(GAMMA);
/** Smallest value kept with relative accuracy: 0.01 ms of latency, 0.01 token/s. */
export const MIN_VALUE = 0.01;
/** Largest value kept: 10^7 (about 2.8 hours in ms; far beyond any token rate). */
export const MAX_VALUE = 1e7;
const MIN_INDEX = Math.ceil(Math.log(MIN_VALUE) / LOG_GAMMA);
const MAX_INDEX = Math.ceil(Math.log(MAX_VALUE) / LOG_GAMMA);
export const MAX_BINS = MAX_INDEX - MIN_INDEX + 2;

/** Wire and storage form: the count below MIN_VALUE, then flattened [bin, count] pairs. */
export interface SketchData {
  z: number;
  b: number[];
}

export type Quartet = [p50: number, p75: number, p90: number, p99: number];
export const QUARTET_QUANTILES = [0.5, 0.75, 0.9, 0.99] as const;

export function binOf(value: number): number {
  if (value >= MAX_VALUE) return MAX_INDEX;
  return Math.max(MIN_INDEX, Math.ceil(Math.log(value) / LOG_GAMMA));
}

export function valueOfBin(bin: number): number {
  return (2 * GAMMA ** bin) / (GAMMA + 1);
}

export class LogSketch {
  /** Samples below MIN_VALUE (zero and clock-skew negatives included). */
  zero = 0;
  count = 0;
  readonly bins = new Map<number, number>();

  add(value: number, times = 1): void {
    if (!(times > 0)) return;
    this.count += times;
    if (!(value >= MIN_VALUE)) {
      this.zero += times;
      return;
    }
    const bin = binOf(value);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + times);
  }

  merge(other: LogSketch): void {
    this.count += other.count;
    this.zero += other.zero;
    for (const [bin, n] of other.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + n);
  }

  /**
   * Estimates of the samples at ranks ⌊q·(n−1)⌋ (0-based, the "lower" quantile), one pass for all;
   * `qs` ascending. Undefined when empty.
   */
  quantiles(qs: readonly number[]): number[] | undefined {
    if (this.count === 0) return undefined;
    const out: number[] = [];
    let next = 0;
    const rankOf = (q: number) => Math.floor(q * (this.count - 1));
    let seen = this.zero;
    while (next < qs.length && rankOf(qs[next] as number) < seen) {
      out.push(0);
      next++;
    }
    if (next < qs.length) {
      const ordered = [...this.bins.keys()].sort((a, b) => a - b);
      for (const bin of ordered) {
        seen += this.bins.get(bin) as number;
        while (next < qs.length && rankOf(qs[next] as number) < seen) {
          out.push(valueOfBin(bin));
          next++;
        }
        if (next === qs.length) break;
      }
    }
    return out;
  }

  quantile(q: number): number | undefined {
    return this.quantiles([q])?.[0];
  }

  /** p50, p75, p90, p99 rounded to `digits` decimals; undefined when empty. */
  quartet(digits = 2): Quartet | undefined {
    const values = this.quantiles(QUARTET_QUANTILES);
    if (!values) return undefined;
    const scale = 10 ** digits;
    return values.map((v) => Math.round(v * scale) / scale) as Quartet;
  }

  toData(): SketchData {
    const b: number[] = [];
    for (const [bin, n] of this.bins) b.push(bin, n);
    return { z: this.zero, b };
  }

  /** Rebuilds a sketch from stored data, ignoring malformed pairs rather than failing a whole row. */
  static from(data: SketchData | undefined): LogSketch {
    const sketch = new LogSketch();
    if (!data) return sketch;
    if (data.z > 0) {
      sketch.zero = data.z;
      sketch.count = data.z;
    }
    const pairs = data.b ?? [];
    for (let i = 0; i + 1 < pairs.length; i += 2) {
      const bin = pairs[i] as number;
      const n = pairs[i + 1] as number;
      if (!Number.isInteger(bin) || bin < MIN_INDEX || bin > MAX_INDEX || !(n > 0)) continue;
      sketch.bins.set(bin, (sketch.bins.get(bin) ?? 0) + n);
      sketch.count += n;
    }
    return sketch;
  }
}
