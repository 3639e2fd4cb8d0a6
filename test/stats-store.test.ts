/** The EndpointStats shard object: ingest, windows over time, compaction by alarm, eviction survival. */
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { Aggregate, type AttemptSample } from "../src/stats/aggregate";
import type { EndpointStats } from "../src/stats/endpoint-stats";
import type { IngestEntry } from "../src/stats/recorder";
import { COMPACT_EVERY_MS } from "../src/stats/store";
import { bucketStart, FINE_MS } from "../src/stats/windows";

const MIN = 60_000;
let counter = 0;
/** A fresh shard object per test (storage is shared within this file). */
const freshStub = () =>
  env.ENDPOINT_STATS.get(env.ENDPOINT_STATS.idFromName(`stats-store-test-${++counter}`));

function entry(endpoint: string, at: number, samples: Partial<AttemptSample>[]): IngestEntry {
  const aggregate = new Aggregate();
  for (const s of samples) aggregate.add({ endpoint, at, status: "ok", ...s });
  return {
    endpoint,
    start: bucketStart(at, FINE_MS),
    aggregate: aggregate.toData(),
    ok: aggregate.count("ok"),
    errors: aggregate.errors,
    rateLimited: aggregate.count("rate_limited"),
    lastOkAt: aggregate.count("ok") > 0 ? at : 0,
    lastFailureAt: aggregate.errors > 0 ? at : 0,
  };
}
const oks = (n: number, ttftMs: number, tps = 50) =>
  Array.from({ length: n }, () => ({ ttftMs, tokensPerSecond: tps, totalMs: ttftMs * 3, colo: "AMS" }));
const fails = (n: number, status: AttemptSample["status"] = "upstream_error") =>
  Array.from({ length: n }, () => ({ status, colo: "AMS" }));

/** Sets the object's clock (kept until the object is evicted). */
const setClock = (stub: DurableObjectStub<EndpointStats>, at: number) =>
  runInDurableObject(stub, (instance: EndpointStats) => {
    instance.now = () => at;
  });

describe("EndpointStats shard", () => {
  it("ingests batches and reports every window, uptime without 429s, and percentiles", async () => {
    const stub = freshStub();
    const now = Date.now();
    await stub.ingest([
      entry("groq/llama", now, [...oks(8, 200), ...fails(2), ...fails(5, "rate_limited")]),
      entry("together/llama", now, oks(3, 900)),
    ]);
    const { endpoints, rowsWritten } = await stub.report();
    expect(rowsWritten).toBe(2);
    const groq = endpoints.find((e) => e.endpoint === "groq/llama");
    expect(groq?.windows["5m"]).toMatchObject({ samples: 15, attempts: 10, uptime: 80 });
    expect(groq?.windows["5m"].counts.rate_limited).toBe(5);
    expect(groq?.windows["1d"].uptime).toBe(80);
    expect(groq?.windows["30m"].ttft_ms?.p50).toBeCloseTo(200, -1);
    expect(groq?.colos_30m.AMS).toMatchObject({ attempts: 10, errors: 2, uptime: 80, mean_ttft_ms: 200 });
    const snapshot = await stub.snapshot(["together/llama", "unknown/x"]);
    expect(Object.keys(snapshot.endpoints)).toEqual(["together/llama"]);
    expect(snapshot.endpoints["together/llama"]?.lat?.[0]).toBeCloseTo(900, -2);
  });

  it("merges repeated flushes for the same minute into one row (one write per endpoint per flush)", async () => {
    const stub = freshStub();
    const now = Date.now();
    for (let i = 0; i < 5; i++) await stub.ingest([entry("a/m", now, oks(2, 100 + i * 100))]);
    const { endpoints, rowsWritten } = await stub.report();
    expect(rowsWritten).toBe(5);
    expect(endpoints[0]?.windows["5m"].samples).toBe(10);
    expect(endpoints[0]?.windows["5m"].ttft_ms?.p99).toBeCloseTo(500, -1);
  });

  it("windows roll over on the object's clock; the alarm compacts, then expires, old buckets", async () => {
    const stub = freshStub();
    const t0 = bucketStart(Date.UTC(2026, 10, 21, 12, 0, 0), FINE_MS);
    await setClock(stub, t0);
    await stub.ingest([entry("a/m", t0, [...oks(9, 300), ...fails(1)])]);
    const windowsAt = async (at: number) => {
      await setClock(stub, at);
      const { endpoints } = await stub.report();
      return endpoints.find((e) => e.endpoint === "a/m")?.windows;
    };
    expect((await windowsAt(t0 + 4 * MIN))?.["5m"].samples).toBe(10);
    const later = await windowsAt(t0 + 5 * MIN);
    expect(later?.["5m"].samples).toBe(0);
    expect(later?.["30m"].samples).toBe(10);
    const afterHalfHour = await windowsAt(t0 + 30 * MIN);
    expect(afterHalfHour?.["30m"].samples).toBe(0);
    expect(afterHalfHour?.["1d"]).toMatchObject({ samples: 10, uptime: 90 });

    // Compaction: the minute bucket becomes a 15-minute bucket; the day still counts it, once.
    await setClock(stub, t0 + 40 * MIN);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const tiers = await runInDurableObject(stub, (_: EndpointStats, state) =>
      state.storage.sql.exec<{ tier: number; start: number }>("SELECT tier, start FROM buckets").toArray(),
    );
    expect(tiers).toEqual([{ tier: 1, start: t0 }]);
    expect((await windowsAt(t0 + 40 * MIN))?.["1d"]).toMatchObject({ samples: 10, uptime: 90 });
    expect((await windowsAt(t0 + 40 * MIN))?.["1d"].ttft_ms?.p50).toBeCloseTo(300, -1);
    // The compaction rescheduled itself while rows remain.
    const alarm = await runInDurableObject(stub, (_: EndpointStats, state) => state.storage.getAlarm());
    expect(alarm).toBe(t0 + 40 * MIN + COMPACT_EVERY_MS);

    // A day and a quarter later the bucket has expired and nothing is left to compact.
    await setClock(stub, t0 + 24 * 60 * MIN + 15 * MIN);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.report()).endpoints).toEqual([]);
    expect(await runInDurableObject(stub, (_: EndpointStats, state) => state.storage.getAlarm())).toBeNull();
  });

  it("ignores entries older than the fine buckets and files clock-skewed ones under the current minute", async () => {
    const stub = freshStub();
    const t0 = bucketStart(Date.UTC(2026, 10, 21, 12, 0, 0), FINE_MS);
    await setClock(stub, t0);
    await stub.ingest([
      entry("old/m", t0 - 45 * MIN, oks(1, 100)),
      entry("skew/m", t0 + 10 * MIN, oks(1, 100)),
    ]);
    const { endpoints } = await stub.report();
    expect(endpoints.map((e) => e.endpoint)).toEqual(["skew/m"]);
    expect(endpoints[0]?.windows["5m"].samples).toBe(1);
  });

  it("state survives eviction: windows and percentiles come back from SQLite", async () => {
    const stub = freshStub();
    const now = Date.now();
    await stub.ingest([entry("groq/llama", now, [...oks(20, 250, 80), ...fails(5)])]);
    const before = (await stub.report()).endpoints;
    await evictDurableObject(stub);
    const after = (await stub.report()).endpoints;
    expect(after.map((e) => e.windows)).toEqual(before.map((e) => e.windows));
    expect(after[0]?.windows["5m"]).toMatchObject({ samples: 25, uptime: 80 });
    const snapshot = await stub.snapshot(["groq/llama"]);
    expect(snapshot.endpoints["groq/llama"]?.up5).toBe(80);
    expect(snapshot.endpoints["groq/llama"]?.tps?.[0]).toBeCloseTo(80, -1);
  });
});
