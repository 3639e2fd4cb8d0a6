import { describe, expect, it } from "vitest";
import { seededRandom } from "../routing/random";
import { LogSketch, MAX_BINS, MIN_VALUE, RELATIVE_ACCURACY } from "./sketch";

const random = seededRandom(42);
/** Standard normal by Box–Muller, from the seeded source. */
const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

const DISTRIBUTIONS: Record<string, () => number> = {
  "uniform 50..5000 ms": () => 50 + random() * 4950,
  "log-normal TTFT (median 600 ms)": () => Math.exp(Math.log(600) + 0.8 * normal()),
  "pareto tail (α=1.2, from 100 ms)": () => 100 / (1 - random()) ** (1 / 1.2),
  "bimodal throughput (40 and 400 tok/s)": () => (random() < 0.7 ? 40 : 400) * Math.exp(0.1 * normal()),
  "tiny and huge values": () => 10 ** (-1 + random() * 7),
};
const QUANTILES = [0, 0.01, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];

/** The sample at rank ⌊q·(n−1)⌋ of the sorted data: the quantile the sketch promises to approximate. */
const exact = (sorted: number[], q: number) => sorted[Math.floor(q * (sorted.length - 1))] as number;

describe("LogSketch accuracy", () => {
  for (const [name, draw] of Object.entries(DISTRIBUTIONS)) {
    it(`${name}: every quantile within ${RELATIVE_ACCURACY * 100}% of the exact one`, () => {
      const values = Array.from({ length: 20_000 }, draw);
      const sketch = new LogSketch();
      for (const v of values) sketch.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      const estimates = sketch.quantiles(QUANTILES) as number[];
      let worst = 0;
      QUANTILES.forEach((q, i) => {
        const truth = exact(sorted, q);
        worst = Math.max(worst, Math.abs((estimates[i] as number) - truth) / truth);
      });
      expect(worst).toBeLessThanOrEqual(RELATIVE_ACCURACY + 1e-9);
      expect(sketch.bins.size).toBeLessThanOrEqual(MAX_BINS);
    });
  }

  it("holds for small samples too (n = 1..50)", () => {
    for (let n = 1; n <= 50; n++) {
      const values = Array.from(
        { length: n },
        DISTRIBUTIONS["log-normal TTFT (median 600 ms)"] as () => number,
      );
      const sketch = new LogSketch();
      for (const v of values) sketch.add(v);
      const sorted = [...values].sort((a, b) => a - b);
      for (const q of QUANTILES) {
        const truth = exact(sorted, q);
        expect(Math.abs((sketch.quantile(q) as number) - truth) / truth).toBeLessThanOrEqual(
          RELATIVE_ACCURACY + 1e-9,
        );
      }
    }
  });

  it("counts values below MIN_VALUE (zero, negatives) as 0", () => {
    const sketch = new LogSketch();
    for (const v of [0, -3, MIN_VALUE / 2, 100, 100]) sketch.add(v);
    expect(sketch.quantiles([0, 0.5])).toEqual([0, 0]);
    expect(Math.abs((sketch.quantile(1) as number) - 100) / 100).toBeLessThanOrEqual(RELATIVE_ACCURACY);
  });

  it("is empty-safe", () => {
    expect(new LogSketch().quantiles([0.5])).toBeUndefined();
    expect(new LogSketch().quartet()).toBeUndefined();
  });
});

describe("LogSketch merging", () => {
  it("merging parts equals sketching the whole, in any order", () => {
    const values = Array.from(
      { length: 5_000 },
      DISTRIBUTIONS["pareto tail (α=1.2, from 100 ms)"] as () => number,
    );
    const whole = new LogSketch();
    for (const v of values) whole.add(v);
    const parts = [0, 1, 2, 3, 4].map((k) => {
      const part = new LogSketch();
      for (let i = k; i < values.length; i += 5) part.add(values[i] as number);
      return part;
    });
    const forward = new LogSketch();
    for (const part of parts) forward.merge(part);
    const backward = new LogSketch();
    for (const part of [...parts].reverse()) backward.merge(part);
    for (const merged of [forward, backward]) {
      expect(merged.count).toBe(whole.count);
      expect(new Map([...merged.bins].sort())).toEqual(new Map([...whole.bins].sort()));
      expect(merged.quartet()).toEqual(whole.quartet());
    }
  });

  it("survives its storage form", () => {
    const sketch = new LogSketch();
    for (let i = 0; i < 1000; i++) sketch.add(i);
    const copy = LogSketch.from(JSON.parse(JSON.stringify(sketch.toData())));
    expect(copy.count).toBe(sketch.count);
    expect(copy.zero).toBe(sketch.zero);
    expect(copy.quartet()).toEqual(sketch.quartet());
    // Malformed pairs are skipped, not fatal.
    expect(LogSketch.from({ z: 0, b: [1.5, 3, 10, -1, 20, 2] }).count).toBe(2);
  });
});
