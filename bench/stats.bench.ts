/**
 * Microbenchmarks of the endpoint stats' hot-path work (tinybench, in Node): what a request pays
 * to record a sample and to read routing health from the cached snapshot, and what a flush and a
 * shard's ingest and snapshot cost per endpoint. Prints a table in microseconds.
 *
 *   npx esbuild bench/stats.bench.ts --bundle --platform=node --format=esm \
 *     --outfile=bench/.out/stats.bench.mjs && node bench/.out/stats.bench.mjs [--time=<ms per task>]
 *
 * Only pure modules are imported, so no Workers runtime is needed.
 */
import { Bench } from "tinybench";
import { Aggregate, type AttemptSample } from "../src/stats/aggregate.ts";
import { combineHealth } from "../src/stats/health.ts";
import { type FlushTarget, StatsRecorder } from "../src/stats/recorder.ts";
import { servedSample } from "../src/stats/samples.ts";
import { SHARDS, shardOf } from "../src/stats/shards.ts";
import { LogSketch } from "../src/stats/sketch.ts";
import { type ShardReader, SnapshotCache } from "../src/stats/snapshot-cache.ts";
import {
  bucketStart,
  FINE_MS,
  FINE_TIER,
  type ShardSnapshot,
  snapshotEntry,
  storedFigures,
  summarize,
  uptimeCounts,
} from "../src/stats/windows.ts";

const timeMs = Number(process.argv.find((a) => a.startsWith("--time="))?.slice("--time=".length) ?? "500");
const ENDPOINTS = Array.from({ length: 12 }, (_, i) => `provider-${i}/some-org/model-${i}-instruct`);
const now = Date.UTC(2026, 10, 21, 12, 0, 0);

let seed = 7;
const random = () => {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
};
const latency = () => 200 + 800 * random() ** 3;

// Recording: a served generation, as `StatsReporter.served` builds and records it. The flush
// target swallows flushes (their cost is measured separately below).
const recorder = new StatsRecorder(
  { flushIntervalMs: 2_000, maxPendingSamples: 10_000_000, shardOf: (e) => shardOf(e) },
  { now: () => now, sleep: () => new Promise<void>(() => {}) },
);
const target: FlushTarget = { waitUntil: () => {}, send: async () => {} };
let n = 0;
const recordOnce = () => {
  const endpoint = ENDPOINTS[n++ % ENDPOINTS.length] as string;
  const sentAt = now - 2_000;
  const sample = servedSample(
    endpoint,
    { sentAt, firstTokenAt: sentAt + latency(), endedAt: now, outputTokens: 300, streamed: true },
    "AMS",
  );
  recorder.record(sample, target);
};

// Reading: routing's health for one endpoint from a warm snapshot cache, as `routingHealth`
// answers it (minus the isolate's own circuit lookup, one Map read).
const snapshot: ShardSnapshot = {
  at: now,
  endpoints: Object.fromEntries(
    ENDPOINTS.map((e) => [
      e,
      {
        up5: 99.5,
        up30: 99.8,
        up1d: 99.9,
        lat: [420, 510, 700, 1200],
        tps: [80, 70, 55, 30],
        lat30: [430, 520, 710, 1300],
        tps30: [79, 69, 54, 29],
        err: 0.01,
        circuit: "closed",
      },
    ]),
  ),
};
const reader: ShardReader = { waitUntil: () => {}, read: async () => snapshot };
const cache = new SnapshotCache(
  {
    ttlMs: 3_600_000,
    maxAgeMs: 3_600_000,
    shards: SHARDS,
    shardOf: (e) => shardOf(e),
    maxEndpointsPerShard: 512,
  },
  () => now,
);
for (const e of ENDPOINTS) cache.get(e, reader);
await new Promise((resolve) => setTimeout(resolve, 10));
let m = 0;
const readOnce = () =>
  combineHealth("closed", cache.get(ENDPOINTS[m++ % ENDPOINTS.length] as string, reader));
if (readOnce().latencyMs === undefined) throw new Error("the snapshot cache is not warm");

// A flush entry per endpoint, and the shard's work for it: parse, merge into the minute row, store.
const busy = new Aggregate();
for (let i = 0; i < 200; i++) {
  busy.add({
    endpoint: "p/m",
    at: now,
    status: "ok",
    ttftMs: latency(),
    totalMs: 3000,
    tokensPerSecond: 40 + 60 * random(),
    colo: "AMS",
  } as AttemptSample);
}
const row = JSON.stringify(busy.toData());
const wire = busy.toData();

// A shard's snapshot of one endpoint from 30 stored minute rows.
const minutes = Array.from({ length: 30 }, (_, k) => ({
  tier: FINE_TIER,
  start: bucketStart(now, FINE_MS) - k * FINE_MS,
  aggregate: Aggregate.from(JSON.parse(row)),
}));

const sketch = new LogSketch();
const bench = new Bench({ time: timeMs, warmup: true, warmupTime: Math.min(250, timeMs) });
bench.add("record a sample (served generation)", recordOnce);
bench.add("read routing health (warm snapshot)", () => readOnce());
bench.add("sketch add", () => sketch.add(latency()));
bench.add("flush: serialise one endpoint's batch", () => busy.toData());
bench.add("shard ingest: merge one entry into its row", () => {
  const merged = Aggregate.from(wire);
  merged.merge(Aggregate.from(JSON.parse(row)));
  return JSON.stringify(merged.toData());
});
bench.add("shard snapshot: one endpoint from 30 minute rows", () => {
  const w = summarize(minutes, now);
  return snapshotEntry(
    storedFigures(w["5m"], w["30m"], uptimeCounts(w["1d"])),
    { attempts: 10, errors: 0, circuit: "closed" },
    4,
  );
});
await bench.run();

const rows = bench.tasks.map((task) => {
  const r = task.result as { latency?: { mean: number; p50?: number; p99?: number } } | undefined;
  const l = r?.latency;
  return {
    task: task.name,
    "mean µs": l ? Number((l.mean * 1000).toFixed(3)) : Number.NaN,
    "p50 µs": l?.p50 !== undefined ? Number((l.p50 * 1000).toFixed(3)) : Number.NaN,
    "p99 µs": l?.p99 !== undefined ? Number((l.p99 * 1000).toFixed(3)) : Number.NaN,
  };
});
console.table(rows);
console.log(`pending after the run: ${JSON.stringify(recorder.size)}; sketch bins: ${sketch.bins.size}`);
