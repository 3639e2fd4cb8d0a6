/**
 * The isolate's cache of shard snapshots: stale-while-revalidate. `get` never waits — it answers
 * from memory (or "unknown" on a cold isolate) and, when the shard's copy is older than the TTL,
 * starts one background refresh through `waitUntil`. Only the endpoints routing actually asked about
 * are requested from a shard, so a snapshot stays small.
 *
 * Memory: per shard one snapshot of at most `maxEndpointsPerShard` entries, and the same bound on
 * the endpoints asked for.
 */
import type { EndpointSnapshot, ShardSnapshot } from "./windows";

export interface SnapshotCacheOptions {
  ttlMs: number;
  /** Older than this, a cached snapshot is not used at all (unknown rather than misleading). */
  maxAgeMs: number;
  shards: number;
  shardOf(endpoint: string): number;
  maxEndpointsPerShard: number;
}

/** How a refresh reaches the shards, bound to the request that triggered it. */
export interface ShardReader {
  waitUntil(promise: Promise<unknown>): void;
  read(shard: number, endpoints: string[]): Promise<ShardSnapshot>;
}

interface ShardCache {
  snapshot: ShardSnapshot | undefined;
  /** When the current copy was fetched (isolate clock). */
  fetchedAt: number;
  /** When the last refresh, successful or not, ended: refreshes are at least a TTL apart. */
  triedAt: number;
  refreshing: Promise<void> | undefined;
  /** Endpoints asked about; a new one triggers a refresh even before the TTL. */
  wanted: Set<string>;
}

export class SnapshotCache {
  private readonly shards: ShardCache[];
  refreshes = 0;
  failedRefreshes = 0;

  constructor(
    private readonly options: SnapshotCacheOptions,
    private readonly now: () => number,
  ) {
    this.shards = Array.from({ length: options.shards }, () => ({
      snapshot: undefined,
      fetchedAt: Number.NEGATIVE_INFINITY,
      triedAt: Number.NEGATIVE_INFINITY,
      refreshing: undefined,
      wanted: new Set<string>(),
    }));
  }

  /** The endpoint's shared health as last fetched; no I/O (a refresh may start in the background). */
  get(endpoint: string, reader: ShardReader): EndpointSnapshot | undefined {
    const shard = this.options.shardOf(endpoint);
    const cache = this.shards[shard] as ShardCache;
    const now = this.now();
    const isNew = !cache.wanted.has(endpoint);
    if (isNew) {
      if (cache.wanted.size >= this.options.maxEndpointsPerShard) cache.wanted.clear();
      cache.wanted.add(endpoint);
    }
    if (!cache.refreshing && (isNew || now - cache.triedAt >= this.options.ttlMs)) {
      reader.waitUntil(this.refresh(shard, reader));
    }
    if (!cache.snapshot || now - cache.fetchedAt > this.options.maxAgeMs) return undefined;
    return cache.snapshot.endpoints[endpoint];
  }

  /** Waits until the shards of `endpoints` are fresh (for reads off the hot path, e.g. listings). */
  async fresh(endpoints: string[], reader: ShardReader): Promise<void> {
    const waits = new Set<Promise<void>>();
    for (const endpoint of endpoints) {
      this.get(endpoint, reader);
      const pending = this.shards[this.options.shardOf(endpoint)]?.refreshing;
      if (pending) waits.add(pending);
    }
    await Promise.all(waits);
  }

  private refresh(shard: number, reader: ShardReader): Promise<void> {
    const cache = this.shards[shard] as ShardCache;
    this.refreshes++;
    const refreshing = reader
      .read(shard, [...cache.wanted])
      .then(
        (snapshot) => {
          cache.snapshot = snapshot;
          cache.fetchedAt = this.now();
        },
        () => {
          // Keep the old copy; try again after a TTL rather than on every request.
          this.failedRefreshes++;
        },
      )
      .finally(() => {
        cache.triedAt = this.now();
        cache.refreshing = undefined;
      });
    cache.refreshing = refreshing;
    return refreshing;
  }
}
