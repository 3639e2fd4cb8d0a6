/**
 * The isolate's side of the stats: samples are folded into one aggregate per endpoint and sent to
 * the endpoints' shards in one batch per flush interval, from `waitUntil` — never on the response
 * path. Flushes are at least `flushIntervalMs` apart, and each carries one entry per endpoint, so
 * a shard receives at most one write per endpoint per interval from each isolate.
 *
 * Memory is bounded by `maxPendingSamples`: a sketch never has more bins than samples, so the
 * buffer holds at most that many bins per sketch in total; samples past the cap are counted in
 * `dropped` and lost. A failed flush is lost too (counted in `lostFlushes`) rather than retried,
 * so an unreachable shard cannot make the buffer grow.
 */
import { Aggregate, type AggregateData, type AttemptSample } from "./aggregate";
import type { FlushSignals } from "./shared-circuits";
import { bucketStart, FINE_MS } from "./windows";

export interface IngestEntry extends FlushSignals {
  endpoint: string;
  /** The minute bucket: that of the entry's first sample (a flush straddling a minute lands in one). */
  start: number;
  aggregate: AggregateData;
}

export interface RecorderOptions {
  flushIntervalMs: number;
  maxPendingSamples: number;
  shardOf(endpoint: string): number;
}

/** Where a flush goes, bound to the request that scheduled it (its `waitUntil`, the Worker's env). */
export interface FlushTarget {
  waitUntil(promise: Promise<unknown>): void;
  send(shard: number, entries: IngestEntry[]): Promise<void>;
}

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

interface Pending {
  start: number;
  aggregate: Aggregate;
  lastOkAt: number;
  lastFailureAt: number;
  retryUntil?: number | undefined;
}

export class StatsRecorder {
  private pending = new Map<string, Pending>();
  private pendingSamples = 0;
  /** A flush is waiting for its interval (one at most; another may be on the wire meanwhile). */
  private scheduled = false;
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  dropped = 0;
  lostFlushes = 0;
  flushes = 0;

  constructor(
    private readonly options: RecorderOptions,
    private readonly clock: Clock,
  ) {}

  record(sample: AttemptSample, target: FlushTarget): void {
    if (this.pendingSamples >= this.options.maxPendingSamples) {
      this.dropped++;
      return;
    }
    let entry = this.pending.get(sample.endpoint);
    if (!entry) {
      entry = {
        start: bucketStart(sample.at, FINE_MS),
        aggregate: new Aggregate(),
        lastOkAt: 0,
        lastFailureAt: 0,
      };
      this.pending.set(sample.endpoint, entry);
    }
    entry.aggregate.add(sample);
    this.pendingSamples++;
    if (sample.status === "ok") entry.lastOkAt = Math.max(entry.lastOkAt, sample.at);
    else if (sample.status !== "client_error") entry.lastFailureAt = Math.max(entry.lastFailureAt, sample.at);
    if (sample.retryUntil !== undefined)
      entry.retryUntil = Math.max(entry.retryUntil ?? 0, sample.retryUntil);
    if (!this.scheduled) {
      this.scheduled = true;
      target.waitUntil(this.flushLater(target));
    }
  }

  get size(): { endpoints: number; samples: number } {
    return { endpoints: this.pending.size, samples: this.pendingSamples };
  }

  private async flushLater(target: FlushTarget): Promise<void> {
    // Even a first flush waits for a timer turn, so no part of it runs on the recording request's path.
    await this.clock.sleep(Math.max(0, this.lastFlushAt + this.options.flushIntervalMs - this.clock.now()));
    // From here, new samples schedule the next flush (an interval after this one).
    this.scheduled = false;
    await this.flush(target);
  }

  /** Sends everything pending, one batch per shard. */
  async flush(target: FlushTarget): Promise<void> {
    if (this.pending.size === 0) return;
    this.lastFlushAt = this.clock.now();
    const batches = new Map<number, IngestEntry[]>();
    for (const [endpoint, p] of this.pending) {
      const shard = this.options.shardOf(endpoint);
      const entry: IngestEntry = {
        endpoint,
        start: p.start,
        aggregate: p.aggregate.toData(),
        ok: p.aggregate.count("ok"),
        errors: p.aggregate.errors,
        rateLimited: p.aggregate.count("rate_limited"),
        lastOkAt: p.lastOkAt,
        lastFailureAt: p.lastFailureAt,
        ...(p.retryUntil !== undefined && { retryUntil: p.retryUntil }),
      };
      const batch = batches.get(shard);
      if (batch) batch.push(entry);
      else batches.set(shard, [entry]);
    }
    this.pending = new Map();
    this.pendingSamples = 0;
    this.flushes++;
    const sent = await Promise.allSettled(
      [...batches].map(([shard, entries]) => target.send(shard, entries)),
    );
    this.lostFlushes += sent.filter((s) => s.status === "rejected").length;
  }
}
