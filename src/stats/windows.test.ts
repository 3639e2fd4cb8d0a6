import { describe, expect, it } from "vitest";
import { Aggregate, type AttemptSample, failureClass, MAX_COLOS, OTHER_COLO } from "./aggregate";
import { openRouterEndpointStats } from "./report";
import { failedSample, servedSample } from "./samples";
import {
  COARSE_MS,
  COARSE_TIER,
  compactionPlan,
  DAY_MS,
  FINE_TIER,
  MIN_PERCENTILE_SAMPLES,
  type StoredBucket,
  snapshotEntry,
  storedFigures,
  summarize,
  uptimeCounts,
} from "./windows";

const T0 = Date.UTC(2026, 10, 21, 12, 0, 0);
const MIN = 60_000;

function bucket(tier: number, start: number, samples: Partial<AttemptSample>[]): StoredBucket {
  const aggregate = new Aggregate();
  for (const s of samples) aggregate.add({ endpoint: "p/m", at: start, status: "ok", ...s });
  return { tier, start, aggregate };
}
const ok = (ttftMs: number, n = 1) => Array.from({ length: n }, () => ({ ttftMs, tokensPerSecond: 50 }));
const errors = (n: number) => Array.from({ length: n }, () => ({ status: "upstream_error" as const }));

describe("rolling windows with an injected clock", () => {
  // One bucket a minute for the last 40 minutes: minute k ago has k+1 successes at (k+1)*100 ms.
  const fine = Array.from({ length: 40 }, (_, k) =>
    bucket(FINE_TIER, T0 - k * MIN, ok((k + 1) * 100, k + 1)),
  );
  const coarse = [
    bucket(COARSE_TIER, T0 - 2 * 3_600_000, errors(10)),
    bucket(COARSE_TIER, T0 - DAY_MS - COARSE_MS, errors(1000)),
  ];

  it("5m, 30m and 1d cover the last 5, 30 minute buckets and the day, each sample once", () => {
    const now = T0 + 30_000;
    const w = summarize([...fine, ...coarse], now);
    const sum = (from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => from + i + 1).reduce((a, b) => a + b, 0);
    expect(w["5m"].count("ok")).toBe(sum(0, 5));
    expect(w["30m"].count("ok")).toBe(sum(0, 30));
    // The day: all 40 fine buckets (not yet compacted) and the coarse bucket inside it, not the one before.
    expect(w["1d"].count("ok")).toBe(sum(0, 40));
    expect(w["1d"].errors).toBe(10);
  });

  it("rolls over: a minute later the oldest minute leaves the 5-minute window", () => {
    const before = summarize(fine, T0 + 59_999)["5m"];
    const after = summarize(fine, T0 + 60_000)["5m"];
    expect(before.count("ok")).toBe(1 + 2 + 3 + 4 + 5);
    // At T0+1m the current bucket (start T0+1m) is empty and minute T0-4m has gone.
    expect(after.count("ok")).toBe(1 + 2 + 3 + 4);
    expect(after.ttft.quantile(1)).toBeLessThan(before.ttft.quantile(1) as number);
  });

  it("a slow minute stops counting for routing once it is five minutes old", () => {
    const slow = bucket(FINE_TIER, T0, ok(5000, 10));
    const fast = bucket(FINE_TIER, T0 + 5 * MIN, ok(200, 3));
    const at = (now: number) =>
      storedFigures(
        ...(() => {
          const w = summarize([slow, fast], now);
          return [w["5m"], w["30m"], uptimeCounts(w["1d"])] as const;
        })(),
      );
    expect(at(T0 + 4 * MIN).lat?.[0]).toBeGreaterThan(4900);
    // At T0+5m the slow minute is out of the 5-minute window; the 30-minute one still has it.
    expect(at(T0 + 5 * MIN).lat?.[0]).toBeLessThan(210);
    expect(at(T0 + 5 * MIN).lat30?.[0]).toBeGreaterThan(4900);
  });

  it("compaction folds minutes older than 30 into 15-minute buckets and expires the day's end", () => {
    const now = T0 + 10_000;
    const plan = compactionPlan(
      [...fine, ...coarse].map(({ tier, start }) => ({ tier, start })),
      now,
    );
    const folded = [...plan.fold.values()].flat().sort((a, b) => a - b);
    // Minutes 31..39 ago are older than the 30 kept; each lands in its 15-minute bucket.
    expect(folded).toEqual(Array.from({ length: 9 }, (_, i) => T0 - (39 - i) * MIN));
    for (const [coarseStart, starts] of plan.fold) {
      for (const s of starts) expect(Math.floor(s / COARSE_MS) * COARSE_MS).toBe(coarseStart);
    }
    expect(plan.expire).toEqual([T0 - DAY_MS - COARSE_MS]);
  });
});

describe("snapshot entries", () => {
  it("uptime excludes 429s and the caller's errors; percentiles need a minimum of samples", () => {
    const a = new Aggregate();
    const add = (s: Partial<AttemptSample>) => a.add({ endpoint: "p/m", at: T0, status: "ok", ...s });
    add({ ttftMs: 100 });
    add({ status: "rate_limited" });
    add({ status: "client_error" });
    add({ status: "timeout" });
    const figures = storedFigures(a, a, uptimeCounts(a));
    expect(figures.up5).toBe(50);
    expect(a.attempts).toBe(2);
    expect(a.samples).toBe(4);
    expect(figures.lat).toBeNull();
    expect(figures.lat30).not.toBeNull();
    for (let i = 1; i < MIN_PERCENTILE_SAMPLES; i++) add({ ttftMs: 100 });
    expect(storedFigures(a, a, uptimeCounts(a)).lat?.[0]).toBeCloseTo(100, -1);
  });

  it("the error rate needs enough recent attempts", () => {
    const figures = storedFigures(new Aggregate(), new Aggregate(), { ok: 0, errors: 0 });
    expect(snapshotEntry(figures, { attempts: 3, errors: 3, circuit: "closed" }, 4).err).toBeNull();
    expect(snapshotEntry(figures, { attempts: 4, errors: 1, circuit: "open" }, 4)).toMatchObject({
      err: 0.25,
      circuit: "open",
      up1d: null,
    });
  });

  it("renders OpenRouter's endpoint fields: nulls without data, percent and p50..p99 with it", () => {
    expect(openRouterEndpointStats(undefined)).toEqual({
      uptime_last_5m: null,
      uptime_last_30m: null,
      uptime_last_1d: null,
      latency_last_30m: null,
      throughput_last_30m: null,
    });
    const a = new Aggregate();
    for (let i = 0; i < 9; i++)
      a.add({ endpoint: "p/m", at: T0, status: "ok", ttftMs: 500, tokensPerSecond: 80 });
    a.add({ endpoint: "p/m", at: T0, status: "network" });
    const entry = snapshotEntry(
      storedFigures(a, a, uptimeCounts(a)),
      { attempts: 0, errors: 0, circuit: "closed" },
      4,
    );
    const stats = openRouterEndpointStats(entry);
    expect(stats.uptime_last_5m).toBe(90);
    expect(stats.uptime_last_1d).toBe(90);
    expect(Object.keys(stats.latency_last_30m ?? {})).toEqual(["p50", "p75", "p90", "p99"]);
    expect(stats.throughput_last_30m?.p99).toBeCloseTo(80, -1);
  });
});

describe("samples and aggregates", () => {
  const failure = (
    upstreamStatus: number,
    errorType = "provider_unavailable" as const,
    retryAfterSeconds?: number,
  ) => ({
    status: 502 as const,
    errorType,
    message: "x",
    retryable: true,
    upstreamStatus,
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  });

  it("classes failures; the caller's own faults never count against the endpoint", () => {
    expect(failureClass(failure(500), true)).toBe("upstream_error");
    expect(failureClass(failure(429), true)).toBe("rate_limited");
    expect(failureClass({ ...failure(0), errorType: "timeout" }, true)).toBe("timeout");
    expect(failureClass(failure(0), true)).toBe("network");
    expect(failureClass(failure(200), true)).toBe("malformed");
    expect(failureClass(failure(400), false)).toBe("client_error");
  });

  it("a long Retry-After marks the endpoint to be left alone; a short one does not", () => {
    const long = failedSample(
      "p/m",
      failure(429, "provider_unavailable", 30),
      T0,
      T0 + 50,
      true,
      2000,
      "AMS",
    );
    expect(long).toMatchObject({
      status: "rate_limited",
      totalMs: 50,
      retryUntil: T0 + 50 + 30_000,
      colo: "AMS",
    });
    expect(
      failedSample("p/m", failure(429, "provider_unavailable", 1), T0, T0, true, 2000, undefined).retryUntil,
    ).toBeUndefined();
  });

  it("throughput: first token to end for streams, the whole call for JSON; none for a broken stream", () => {
    const stream = servedSample(
      "p/m",
      { sentAt: 0, firstTokenAt: 400, endedAt: 2400, outputTokens: 100, streamed: true },
      "AMS",
    );
    expect(stream).toMatchObject({ status: "ok", ttftMs: 400, totalMs: 2400, tokensPerSecond: 50 });
    const json = servedSample(
      "p/m",
      { sentAt: 0, firstTokenAt: 2000, endedAt: 2000, outputTokens: 100, streamed: false },
      undefined,
    );
    expect(json.tokensPerSecond).toBe(50);
    const broken = servedSample(
      "p/m",
      { sentAt: 0, firstTokenAt: 400, endedAt: 900, outputTokens: 9, streamed: true, failure: failure(0) },
      undefined,
    );
    expect(broken).toMatchObject({ status: "stream_break", ttftMs: 400, tokensPerSecond: undefined });
  });

  it("keeps at most MAX_COLOS colos, the rest summed as 'other'; survives its storage form", () => {
    const a = new Aggregate();
    for (let i = 0; i < 40; i++) a.add({ endpoint: "p/m", at: T0, status: "ok", ttftMs: 100, colo: `C${i}` });
    expect(a.colos.size).toBe(MAX_COLOS);
    expect(a.colos.get(OTHER_COLO)?.[0]).toBe(40 - (MAX_COLOS - 1));
    const copy = Aggregate.from(JSON.parse(JSON.stringify(a.toData())));
    expect(copy.toData()).toEqual(a.toData());
  });
});
