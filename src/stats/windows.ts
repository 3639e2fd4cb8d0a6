/**
 * Rolling windows over stored buckets, and the compact per-endpoint health the isolates cache.
 * Pure: every function takes `now`.
 *
 * Buckets come in two tiers. Fine buckets are one minute wide and kept 30 minutes (plus the one
 * being filled); the alarm folds older ones into coarse 15-minute buckets, kept one day. A window
 * of W covers the last W / width buckets including the current, partial one, so "5 minutes" means
 * between 4 and 5 minutes of data, "1 day" between 23¾ and 24 hours (plus up to 30 minutes of fine
 * buckets not yet compacted). Each sample is in exactly one bucket, so tiers never double count.
 */
import type { CircuitState } from "../routing/health";
import { Aggregate, uptimePercent } from "./aggregate";
import type { Quartet } from "./sketch";

export const FINE_MS = 60_000;
export const COARSE_MS = 15 * 60_000;
export const FINE_TIER = 0;
export const COARSE_TIER = 1;
/** Fine buckets older than this (from the current bucket's start) are folded into coarse ones. */
export const FINE_KEEP_MS = 30 * 60_000;
export const DAY_MS = 24 * 3_600_000;

export const WINDOWS = { "5m": 5 * 60_000, "30m": 30 * 60_000, "1d": DAY_MS } as const;
export type WindowName = keyof typeof WINDOWS;

/** Routing's latency/throughput percentiles need this many successes in the last 5 minutes. */
export const MIN_PERCENTILE_SAMPLES = 3;

export const bucketStart = (at: number, width: number) => Math.floor(at / width) * width;

/** The first bucket start inside a window ending now. */
export function windowFrom(now: number, windowMs: number, width: number): number {
  return bucketStart(now, width) - windowMs + width;
}

export interface StoredBucket {
  tier: number;
  start: number;
  aggregate: Aggregate;
}

export function inWindow(bucket: Pick<StoredBucket, "tier" | "start">, window: WindowName, now: number) {
  if (window === "1d") {
    return bucket.tier === FINE_TIER || bucket.start >= windowFrom(now, DAY_MS, COARSE_MS);
  }
  return bucket.tier === FINE_TIER && bucket.start >= windowFrom(now, WINDOWS[window], FINE_MS);
}

export type Windowed = Record<WindowName, Aggregate>;

/** Merges an endpoint's buckets into its 5-minute, 30-minute and 1-day windows. */
export function summarize(buckets: Iterable<StoredBucket>, now: number): Windowed {
  const out: Windowed = { "5m": new Aggregate(), "30m": new Aggregate(), "1d": new Aggregate() };
  for (const bucket of buckets) {
    for (const window of Object.keys(WINDOWS) as WindowName[]) {
      if (inWindow(bucket, window, now)) out[window].merge(bucket.aggregate);
    }
  }
  return out;
}

/** Which fine buckets the alarm folds into which coarse bucket, and which coarse ones expire. */
export function compactionPlan(
  buckets: Iterable<Pick<StoredBucket, "tier" | "start">>,
  now: number,
): { fold: Map<number, number[]>; expire: number[] } {
  const foldBefore = bucketStart(now, FINE_MS) - FINE_KEEP_MS;
  const expireBefore = windowFrom(now, DAY_MS, COARSE_MS);
  const fold = new Map<number, number[]>();
  const expire: number[] = [];
  for (const { tier, start } of buckets) {
    if (tier === FINE_TIER && start < foldBefore) {
      const coarse = bucketStart(start, COARSE_MS);
      if (coarse < expireBefore) expire.push(start);
      else {
        const group = fold.get(coarse);
        if (group) group.push(start);
        else fold.set(coarse, [start]);
      }
    } else if (tier === COARSE_TIER && start < expireBefore) {
      expire.push(start);
    }
  }
  return { fold, expire };
}

/**
 * What the isolates cache per endpoint: enough for routing (`lat`, `tps`, `err`, `circuit`) and for
 * OpenRouter's endpoint listing (`up*`, `lat30`, `tps30`). Short keys: it crosses the wire often.
 */
export interface EndpointSnapshot {
  /** Uptime in percent over 5 minutes, 30 minutes, 1 day; null without attempts. */
  up5: number | null;
  up30: number | null;
  up1d: number | null;
  /** TTFT and tokens/s percentiles over 5 minutes, for routing; null below MIN_PERCENTILE_SAMPLES. */
  lat: Quartet | null;
  tps: Quartet | null;
  /** The same over 30 minutes, for the listing; null without samples. */
  lat30: Quartet | null;
  tps30: Quartet | null;
  /** Failed share of the last minute's attempts since the shared circuit last closed; null if too few. */
  err: number | null;
  circuit: CircuitState;
}

export interface ShardSnapshot {
  /** The shard's clock when it was computed. */
  at: number;
  endpoints: Record<string, EndpointSnapshot>;
}

/** Recent attempts for the error rate, and the shared circuit, as the shard tracks them. */
export interface UptimeCounts {
  ok: number;
  errors: number;
}

export interface RecentHealth {
  attempts: number;
  errors: number;
  circuit: CircuitState;
}

const uptimeOf = (counts: UptimeCounts) => uptimePercent(counts.ok, counts.errors);
export const uptimeCounts = (aggregate: Aggregate): UptimeCounts => ({
  ok: aggregate.count("ok"),
  errors: aggregate.errors,
});

const routable = (aggregate: Aggregate, sketch: "ttft" | "tps") =>
  aggregate[sketch].count >= MIN_PERCENTILE_SAMPLES ? (aggregate[sketch].quartet() ?? null) : null;

/** The part of a snapshot entry that comes from stored buckets (the rest is the shared circuit's). */
export type StoredFigures = Omit<EndpointSnapshot, "err" | "circuit">;

export function storedFigures(last5m: Aggregate, last30m: Aggregate, day: UptimeCounts): StoredFigures {
  return {
    up5: uptimeOf(uptimeCounts(last5m)),
    up30: uptimeOf(uptimeCounts(last30m)),
    up1d: uptimeOf(day),
    lat: routable(last5m, "ttft"),
    tps: routable(last5m, "tps"),
    lat30: last30m.ttft.quartet() ?? null,
    tps30: last30m.tps.quartet() ?? null,
  };
}

export function snapshotEntry(
  figures: StoredFigures,
  recent: RecentHealth,
  minErrorSamples: number,
): EndpointSnapshot {
  return {
    ...figures,
    err:
      recent.attempts >= minErrorSamples ? Math.round((recent.errors / recent.attempts) * 1000) / 1000 : null,
    circuit: recent.circuit,
  };
}
