/**
 * The isolate's stats: one recorder and one snapshot cache per isolate, and what the routes need
 * from them — a per-request reporter for the gateway, routing's `health`, the endpoint listing's
 * live fields, and the management report. Without an `ENDPOINT_STATS` binding (e.g. a benchmark
 * harness) everything degrades to the isolate's own circuits.
 */
import type { ResolvedEndpoint } from "../catalog/types";
import type { Env } from "../env";
import { isolateCircuits } from "../gateway/attempts";
import type { UpstreamFailure } from "../providers/types";
import { type EndpointHealth, endpointKey } from "../routing/health";
import { combineHealth } from "./health";
import { type FlushTarget, StatsRecorder } from "./recorder";
import { type OpenRouterEndpointStats, openRouterEndpointStats } from "./report";
import { failedSample, type ServedGeneration, servedSample } from "./samples";
import { statsSettings } from "./settings";
import { SHARDS, shardOf } from "./shards";
import type { ShardReader } from "./snapshot-cache";
import { SnapshotCache } from "./snapshot-cache";
import type { ShardSnapshot } from "./windows";

/** The shard object holding `shard`'s endpoints; the count is in the name (see shards.ts). */
export function shardStub(env: Env, shard: number) {
  return env.ENDPOINT_STATS.get(env.ENDPOINT_STATS.idFromName(`endpoint-stats/${SHARDS}/${shard}`));
}

/** What the gateway reports to; one per request. */
export interface StatsReporter {
  /** An attempt that failed before the first byte reached the client. */
  failed(
    resolved: ResolvedEndpoint,
    failure: UpstreamFailure,
    sentAt: number,
    countsAgainstEndpoint: boolean,
  ): void;
  /** A generation that reached the client, however it ended. */
  served(resolved: ResolvedEndpoint, generation: ServedGeneration): void;
}

/** Samples buffered between flushes, at most (see recorder.ts for why this bounds memory). */
const MAX_PENDING_SAMPLES = 10_000;
const MAX_ENDPOINTS_PER_SHARD = 512;

let recorder: StatsRecorder | undefined;
let snapshots: SnapshotCache | undefined;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function isolateRecorder(env: Env): StatsRecorder {
  recorder ??= new StatsRecorder(
    {
      flushIntervalMs: statsSettings(env).flushIntervalMs,
      maxPendingSamples: MAX_PENDING_SAMPLES,
      shardOf: (endpoint) => shardOf(endpoint),
    },
    { now: Date.now, sleep },
  );
  return recorder;
}

function isolateSnapshots(env: Env): SnapshotCache {
  const settings = statsSettings(env);
  snapshots ??= new SnapshotCache(
    {
      ttlMs: settings.snapshotTtlMs,
      maxAgeMs: settings.snapshotMaxAgeMs,
      shards: SHARDS,
      shardOf: (endpoint) => shardOf(endpoint),
      maxEndpointsPerShard: MAX_ENDPOINTS_PER_SHARD,
    },
    Date.now,
  );
  return snapshots;
}

function reader(env: Env, waitUntil: (promise: Promise<unknown>) => void): ShardReader {
  return {
    waitUntil,
    // RPC typing widens the quartet tuples to arrays; the values are the shard's own.
    read: async (shard, endpoints) => (await shardStub(env, shard).snapshot(endpoints)) as ShardSnapshot,
  };
}

export function statsReporter(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  request: { colo: string | undefined; signal: AbortSignal; retryAfterWaitMaxMs: number },
): StatsReporter | undefined {
  if (!env.ENDPOINT_STATS) return undefined;
  const flushTarget: FlushTarget = {
    waitUntil,
    send: async (shard, entries) => {
      await shardStub(env, shard).ingest(entries);
    },
  };
  const stats = isolateRecorder(env);
  return {
    failed(resolved, failure, sentAt, countsAgainstEndpoint) {
      // An attempt cut short by the client leaving says nothing about the endpoint.
      if (request.signal.aborted) return;
      const sample = failedSample(
        endpointKey(resolved),
        failure,
        sentAt,
        Date.now(),
        countsAgainstEndpoint,
        request.retryAfterWaitMaxMs,
        request.colo,
      );
      stats.record(sample, flushTarget);
    },
    served(resolved, generation) {
      stats.record(servedSample(endpointKey(resolved), generation, request.colo), flushTarget);
    },
  };
}

/** Routing's `health` for one request: memory reads only; stale shards refresh in the background. */
export function routingHealth(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
): (resolved: ResolvedEndpoint) => EndpointHealth {
  if (!env.ENDPOINT_STATS)
    return (resolved) => combineHealth(isolateCircuits.state(endpointKey(resolved)), undefined);
  const cache = isolateSnapshots(env);
  const shards = reader(env, waitUntil);
  return (resolved) => {
    const key = endpointKey(resolved);
    return combineHealth(isolateCircuits.state(key), cache.get(key, shards));
  };
}

/** The listing's live fields; waits for stale shards (a listing is not the hot path). */
export async function listingStats(
  env: Env,
  waitUntil: (promise: Promise<unknown>) => void,
  endpoints: readonly ResolvedEndpoint[],
): Promise<(resolved: ResolvedEndpoint) => OpenRouterEndpointStats> {
  if (!env.ENDPOINT_STATS) return () => openRouterEndpointStats(undefined);
  const cache = isolateSnapshots(env);
  const shards = reader(env, waitUntil);
  await cache.fresh(endpoints.map(endpointKey), shards);
  return (resolved) => openRouterEndpointStats(cache.get(endpointKey(resolved), shards));
}

/** This isolate's recorder and cache counters, for the management report. */
export function isolateStatsCounters() {
  return {
    pending: recorder?.size ?? { endpoints: 0, samples: 0 },
    flushes: recorder?.flushes ?? 0,
    dropped_samples: recorder?.dropped ?? 0,
    lost_flushes: recorder?.lostFlushes ?? 0,
    snapshot_refreshes: snapshots?.refreshes ?? 0,
    failed_snapshot_refreshes: snapshots?.failedRefreshes ?? 0,
  };
}
