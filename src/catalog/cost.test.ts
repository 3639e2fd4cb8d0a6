import { describe, expect, it } from "vitest";
import { computeCost, formatUsd, type NormalizedUsage, parseUsdDecimal, usdOf } from "./cost";

const usage = (u: Partial<NormalizedUsage>): NormalizedUsage => ({
  prompt_tokens: 0,
  completion_tokens: 0,
  cached_tokens: 0,
  cache_write_tokens: 0,
  reasoning_tokens: 0,
  ...u,
});

describe("decimal prices", () => {
  it("parse exactly and render back", () => {
    expect(parseUsdDecimal("0.0000003")).toBe(300_000_000_000n);
    expect(parseUsdDecimal("15")).toBe(15n * 10n ** 18n);
    expect(formatUsd(parseUsdDecimal("0.0000000375"))).toBe("0.0000000375");
    expect(formatUsd(0n)).toBe("0");
  });
  it("reject what is not a plain non-negative decimal", () => {
    for (const bad of ["-1", "1e-6", "abc", "", "0.1.2", " 1"])
      expect(() => parseUsdDecimal(bad)).toThrow(RangeError);
  });
});

describe("computeCost", () => {
  const pricing = {
    prompt: "0.000003",
    completion: "0.000015",
    input_cache_read: "0.0000003",
    input_cache_write: "0.00000375",
  };
  const cases: [string, Parameters<typeof computeCost>[0], NormalizedUsage, string][] = [
    ["plain prompt + completion", pricing, usage({ prompt_tokens: 1000, completion_tokens: 500 }), "0.0105"],
    [
      "cache reads and writes are billed at their own prices",
      pricing,
      usage({ prompt_tokens: 1000, cached_tokens: 600, cache_write_tokens: 300, completion_tokens: 10 }),
      // 100 × 3e-6 + 600 × 3e-7 + 300 × 3.75e-6 + 10 × 1.5e-5
      "0.001755",
    ],
    [
      "without a cache-read price, cached tokens cost the prompt price",
      { prompt: "0.000001", completion: "0.000002" },
      usage({ prompt_tokens: 100, cached_tokens: 50, completion_tokens: 0 }),
      "0.0001",
    ],
    [
      "reasoning tokens at internal_reasoning when priced",
      { prompt: "0", completion: "0.00001", internal_reasoning: "0.000002" },
      usage({ completion_tokens: 100, reasoning_tokens: 40 }),
      // 60 × 1e-5 + 40 × 2e-6
      "0.00068",
    ],
    [
      "reasoning tokens at the completion price otherwise",
      { prompt: "0", completion: "0.00001" },
      usage({ completion_tokens: 100, reasoning_tokens: 40 }),
      "0.001",
    ],
    [
      "per-request and per-image fees",
      { prompt: "0", completion: "0", request: "0.005", image: "0.001" },
      usage({ images: 3 }),
      "0.008",
    ],
    [
      "free models cost nothing",
      { prompt: "0", completion: "0" },
      usage({ prompt_tokens: 10_000, completion_tokens: 10_000 }),
      "0",
    ],
    [
      "no float drift on many tiny prices",
      { prompt: "0.0000001", completion: "0.0000001" },
      usage({ prompt_tokens: 3, completion_tokens: 0 }),
      "0.0000003",
    ],
  ];
  for (const [name, p, u, expected] of cases) {
    it(name, () => {
      const cost = computeCost(p, u);
      expect(formatUsd(cost.totalAtto)).toBe(expected);
      expect(cost.total).toBe(Number(expected));
      expect(cost.prompt + cost.completion).toBeCloseTo(cost.total - Number(p.request ?? 0), 15);
    });
  }
  it("never bills more cached or written tokens than prompt tokens", () => {
    const cost = computeCost(
      pricing,
      usage({ prompt_tokens: 10, cached_tokens: 50, cache_write_tokens: 50 }),
    );
    expect(formatUsd(cost.totalAtto)).toBe("0.000003");
  });
});

describe("cost buckets", () => {
  const sum = (b: Record<string, bigint>) => Object.values(b).reduce((a, x) => a + x, 0n);

  it("split usage into disjoint buckets that add up to the total (hand-computed)", () => {
    const cost = computeCost(
      {
        prompt: "0.000003",
        completion: "0.000015",
        input_cache_read: "0.0000003",
        input_cache_write: "0.00000375",
        internal_reasoning: "0.00001",
        request: "0.001",
        image: "0.0002",
      },
      usage({
        prompt_tokens: 2000,
        cached_tokens: 1200,
        cache_write_tokens: 500,
        completion_tokens: 300,
        reasoning_tokens: 100,
        images: 2,
      }),
    );
    expect(Object.fromEntries(Object.entries(cost.bucketsAtto).map(([k, v]) => [k, formatUsd(v)]))).toEqual({
      uncached_prompt: "0.0009", // 300 × 3e-6
      cache_read: "0.00036", // 1200 × 3e-7
      cache_write: "0.001875", // 500 × 3.75e-6
      completion: "0.003", // 200 × 1.5e-5
      reasoning: "0.001", // 100 × 1e-5
      request: "0.001",
      image: "0.0004", // 2 × 2e-4
    });
    expect(sum(cost.bucketsAtto)).toBe(cost.totalAtto);
    expect(formatUsd(cost.totalAtto)).toBe("0.008535");
    expect(cost.prompt).toBe(0.003535);
    expect(cost.completion).toBe(0.004);
    expect(cost.buckets.cache_write).toBe(0.001875);
  });

  it("reasoning without its own price is billed at the completion price, in its own bucket", () => {
    const cost = computeCost(
      { prompt: "0.0000011", completion: "0.0000044", input_cache_read: "0.000000275" },
      usage({ prompt_tokens: 1000, cached_tokens: 1000, completion_tokens: 500, reasoning_tokens: 400 }),
    );
    expect(formatUsd(cost.bucketsAtto.uncached_prompt)).toBe("0");
    expect(formatUsd(cost.bucketsAtto.cache_read)).toBe("0.000275");
    expect(formatUsd(cost.bucketsAtto.completion)).toBe("0.00044");
    expect(formatUsd(cost.bucketsAtto.reasoning)).toBe("0.00176");
    expect(formatUsd(cost.totalAtto)).toBe("0.002475");
  });

  it("free models: every bucket is zero", () => {
    const cost = computeCost(
      { prompt: "0", completion: "0" },
      usage({ prompt_tokens: 5, cached_tokens: 2, completion_tokens: 7, reasoning_tokens: 3 }),
    );
    expect(Object.values(cost.bucketsAtto).every((v) => v === 0n)).toBe(true);
    expect(cost.total).toBe(0);
  });

  it("never throws or bills nonsense counts (negative, fractional, NaN)", () => {
    const cost = computeCost(
      { prompt: "0.000001", completion: "0.000002" },
      usage({ prompt_tokens: 10.7, completion_tokens: -3, cached_tokens: Number.NaN, reasoning_tokens: 5 }),
    );
    expect(formatUsd(cost.totalAtto)).toBe("0.00001");
  });

  it("sums many requests without drift, as a ledger would", () => {
    const pricing = { prompt: "0.00000015", completion: "0.0000006" };
    let ledger = 0n;
    let floats = 0;
    for (let i = 0; i < 10_000; i++) {
      const cost = computeCost(pricing, usage({ prompt_tokens: 7, completion_tokens: 3 }));
      ledger += cost.totalAtto;
      floats += cost.total;
    }
    expect(formatUsd(ledger)).toBe("0.0285");
    expect(floats).not.toBe(0.0285); // why the ledger keeps attodollars
  });
});

describe("usdOf", () => {
  it("is the correctly rounded double of the exact amount, small or large", () => {
    for (const text of ["0.0000003", "0.00000315", "0.0105", "1.23456789", "12345.678901234567", "0"]) {
      expect(usdOf(parseUsdDecimal(text))).toBe(Number(text));
    }
  });
});
