/**
 * One stats shard's storage and its reads, over the object's SQLite database. Every method takes
 * `now`; the Durable Object (endpoint-stats.ts) passes the clock in.
 *
 * Schema (migrations run in order when the object starts; `schema_migrations` records which ran):
 *
 * v1  buckets (tier INTEGER, start INTEGER, endpoint TEXT, ok INTEGER, errors INTEGER,
 *              rate_limited INTEGER, data TEXT, PRIMARY KEY (tier, start, endpoint)) WITHOUT ROWID
 *       One endpoint's attempts in one time bucket. tier 0: one-minute buckets, kept 30 minutes;
 *       tier 1: 15-minute buckets, kept one day (windows.ts). `data` is the JSON `AggregateData`:
 *       counts per status class, DDSketches of TTFT, total latency and tokens/s, colo breakdown.
 *       `ok`, `errors` (uptime errors) and `rate_limited` repeat the counts so day-long uptime is a
 *       SUM without parsing JSON. The key leads with time, so windows and compaction are range
 *       scans; no secondary index, so an upsert writes one row.
 *
 * Writes: one row per endpoint per ingested batch (each isolate sends one batch per shard per flush
 * interval), plus the alarm's compaction: every 5 minutes, per endpoint, one coarse row written and
 * the fine rows it absorbed deleted.
 */

import { runMigrations } from "../storage/migrations";
import { Aggregate, type AggregateData } from "./aggregate";
import type { IngestEntry } from "./recorder";
import { type EndpointReport, renderEndpointReport } from "./report";
import type { FlushSignals, SharedCircuits } from "./shared-circuits";
import {
  bucketStart,
  COARSE_MS,
  COARSE_TIER,
  compactionPlan,
  DAY_MS,
  type EndpointSnapshot,
  FINE_KEEP_MS,
  FINE_MS,
  FINE_TIER,
  type ShardSnapshot,
  type StoredBucket,
  type StoredFigures,
  snapshotEntry,
  storedFigures,
  summarize,
  type UptimeCounts,
  uptimeCounts,
  type Windowed,
  windowFrom,
} from "./windows";

const MIGRATIONS: string[][] = [
  [
    `CREATE TABLE buckets (tier INTEGER NOT NULL, start INTEGER NOT NULL, endpoint TEXT NOT NULL,
       ok INTEGER NOT NULL, errors INTEGER NOT NULL, rate_limited INTEGER NOT NULL, data TEXT NOT NULL,
       PRIMARY KEY (tier, start, endpoint)) WITHOUT ROWID`,
  ],
];

export function migrate(
  sql: SqlStorage,
  now: number,
  migrations: readonly (readonly string[])[] = MIGRATIONS,
): void {
  runMigrations(sql, migrations, now);
}

/** How often the alarm compacts. */
export const COMPACT_EVERY_MS = 5 * 60_000;
/** Entries dated further ahead than this (a skewed isolate clock) are filed under the current minute. */
const MAX_CLOCK_SKEW_MS = 60_000;

type BucketRow = { tier: number; start: number; endpoint: string; data: string };

/** The closed part of the 5- and 30-minute windows (minutes before the current one), per endpoint. */
interface ClosedWindows {
  minute: number;
  windows: Map<string, Windowed>;
  /** Day-long uptime counts over every bucket before the current minute. */
  day: Map<string, UptimeCounts>;
}

function parse(row: { data: string }): Aggregate {
  try {
    return Aggregate.from(JSON.parse(row.data) as AggregateData);
  } catch {
    return new Aggregate();
  }
}

export class StatsStore {
  readonly shared: SharedCircuits;
  /** Rows this object has written since it started (SQLite's own count), for the write budget. */
  rowsWritten = 0;
  private closed: ClosedWindows | undefined;
  private stored: { minute: number; figures: Map<string, StoredFigures> } | undefined;
  private cached: { at: number; snapshot: ShardSnapshot } | undefined;
  private dirty = true;

  constructor(
    private readonly sql: SqlStorage,
    shared: SharedCircuits,
    /** Snapshots are recomputed at most this often, however many isolates ask. */
    private readonly snapshotEveryMs: number,
    private readonly minErrorSamples: number,
    now: number,
  ) {
    this.shared = shared;
    migrate(sql, now);
  }

  private write(query: string, ...bindings: (string | number)[]): void {
    this.rowsWritten += this.sql.exec(query, ...bindings).rowsWritten;
  }

  ingest(entries: IngestEntry[], now: number): void {
    const minute = bucketStart(now, FINE_MS);
    const oldest = minute - FINE_KEEP_MS;
    for (const entry of entries) {
      let start = bucketStart(entry.start, FINE_MS);
      if (start > now + MAX_CLOCK_SKEW_MS) start = minute;
      if (start < oldest) continue;
      const incoming = Aggregate.from(entry.aggregate);
      const existing = this.sql
        .exec<{ data: string }>(
          "SELECT data FROM buckets WHERE tier = ? AND start = ? AND endpoint = ?",
          FINE_TIER,
          start,
          entry.endpoint,
        )
        .toArray()[0];
      if (existing) incoming.merge(parse(existing));
      this.put(FINE_TIER, start, entry.endpoint, incoming);
      this.shared.report(entry.endpoint, signalsOf(entry), now);
      // A late entry for a closed minute changes the cached closed windows.
      if (start < minute && this.closed?.minute === minute) this.closed = undefined;
    }
    this.dirty = true;
  }

  private put(tier: number, start: number, endpoint: string, aggregate: Aggregate): void {
    this.write(
      `INSERT INTO buckets (tier, start, endpoint, ok, errors, rate_limited, data) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (tier, start, endpoint) DO UPDATE SET ok = excluded.ok, errors = excluded.errors,
       rate_limited = excluded.rate_limited, data = excluded.data`,
      tier,
      start,
      endpoint,
      aggregate.count("ok"),
      aggregate.errors,
      aggregate.count("rate_limited"),
      JSON.stringify(aggregate.toData()),
    );
  }

  /** Folds old minute buckets into 15-minute ones and drops what is older than a day; true if rows remain. */
  compact(now: number): boolean {
    const byEndpoint = new Map<string, { tier: number; start: number }[]>();
    const candidates = this.sql.exec<{ tier: number; start: number; endpoint: string }>(
      "SELECT tier, start, endpoint FROM buckets WHERE (tier = ? AND start < ?) OR (tier = ? AND start < ?)",
      FINE_TIER,
      bucketStart(now, FINE_MS) - FINE_KEEP_MS,
      COARSE_TIER,
      windowFrom(now, DAY_MS, COARSE_MS),
    );
    for (const { tier, start, endpoint } of candidates) {
      const list = byEndpoint.get(endpoint);
      if (list) list.push({ tier, start });
      else byEndpoint.set(endpoint, [{ tier, start }]);
    }
    for (const [endpoint, buckets] of byEndpoint) {
      const { fold, expire } = compactionPlan(buckets, now);
      for (const [coarse, fineStarts] of fold) {
        const merged = new Aggregate();
        const rows = this.sql
          .exec<BucketRow>(
            `SELECT tier, start, endpoint, data FROM buckets WHERE endpoint = ? AND
             ((tier = ? AND start = ?) OR (tier = ? AND start >= ? AND start < ?))`,
            endpoint,
            COARSE_TIER,
            coarse,
            FINE_TIER,
            coarse,
            coarse + COARSE_MS,
          )
          .toArray()
          .filter((row) => row.tier === COARSE_TIER || fineStarts.includes(row.start));
        for (const row of rows) merged.merge(parse(row));
        this.put(COARSE_TIER, coarse, endpoint, merged);
        for (const start of fineStarts) {
          this.write(
            "DELETE FROM buckets WHERE tier = ? AND start = ? AND endpoint = ?",
            FINE_TIER,
            start,
            endpoint,
          );
        }
      }
      for (const bucket of buckets) {
        if (!expire.includes(bucket.start)) continue;
        this.write(
          "DELETE FROM buckets WHERE tier = ? AND start = ? AND endpoint = ?",
          bucket.tier,
          bucket.start,
          endpoint,
        );
      }
    }
    this.closed = undefined;
    this.dirty = true;
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM buckets").one().n > 0;
  }

  /** Every bucket of every endpoint, for reports and tests. */
  buckets(): Map<string, StoredBucket[]> {
    const out = new Map<string, StoredBucket[]>();
    for (const row of this.sql.exec<BucketRow>("SELECT tier, start, endpoint, data FROM buckets")) {
      const bucket = { tier: row.tier, start: row.start, aggregate: parse(row) };
      const list = out.get(row.endpoint);
      if (list) list.push(bucket);
      else out.set(row.endpoint, [bucket]);
    }
    return out;
  }

  /**
   * The compact health of every endpoint with data in the last day. Recomputed at most every
   * `snapshotEveryMs` however many isolates ask; then only the current minute is read afresh (the
   * minutes before it are summarised once per minute) and the shared circuits are asked anew.
   */
  snapshot(now: number): ShardSnapshot {
    if (this.cached && now - this.cached.at < this.snapshotEveryMs) return this.cached.snapshot;
    const minute = bucketStart(now, FINE_MS);
    if (this.stored?.minute !== minute || this.dirty) this.stored = this.computeStored(minute, now);
    const endpoints: Record<string, EndpointSnapshot> = {};
    for (const [endpoint, figures] of this.stored.figures) {
      endpoints[endpoint] = snapshotEntry(figures, this.shared.view(endpoint, now), this.minErrorSamples);
    }
    const snapshot = { at: now, endpoints };
    this.cached = { at: now, snapshot };
    return snapshot;
  }

  private computeStored(
    minute: number,
    now: number,
  ): { minute: number; figures: Map<string, StoredFigures> } {
    const closed = this.closedWindows(minute, now);
    const current = new Map<string, Aggregate>();
    for (const row of this.sql.exec<BucketRow>(
      "SELECT tier, start, endpoint, data FROM buckets WHERE tier = ? AND start >= ?",
      FINE_TIER,
      minute,
    )) {
      const into = current.get(row.endpoint);
      if (into) into.merge(parse(row));
      else current.set(row.endpoint, parse(row));
    }
    const figures = new Map<string, StoredFigures>();
    for (const endpoint of new Set([...closed.day.keys(), ...current.keys()])) {
      const last5m = new Aggregate();
      const last30m = new Aggregate();
      const past = closed.windows.get(endpoint);
      const now1m = current.get(endpoint);
      for (const part of [past?.["5m"], now1m]) if (part) last5m.merge(part);
      for (const part of [past?.["30m"], now1m]) if (part) last30m.merge(part);
      const day = closed.day.get(endpoint) ?? { ok: 0, errors: 0 };
      const today = now1m ? uptimeCounts(now1m) : { ok: 0, errors: 0 };
      figures.set(
        endpoint,
        storedFigures(last5m, last30m, { ok: day.ok + today.ok, errors: day.errors + today.errors }),
      );
    }
    this.dirty = false;
    return { minute, figures };
  }

  private closedWindows(minute: number, now: number): ClosedWindows {
    if (this.closed?.minute === minute) return this.closed;
    const byEndpoint = new Map<string, StoredBucket[]>();
    for (const row of this.sql.exec<BucketRow>(
      "SELECT tier, start, endpoint, data FROM buckets WHERE tier = ? AND start >= ? AND start < ?",
      FINE_TIER,
      windowFrom(now, FINE_KEEP_MS, FINE_MS),
      minute,
    )) {
      const bucket = { tier: row.tier, start: row.start, aggregate: parse(row) };
      const list = byEndpoint.get(row.endpoint);
      if (list) list.push(bucket);
      else byEndpoint.set(row.endpoint, [bucket]);
    }
    const windows = new Map<string, Windowed>();
    for (const [endpoint, buckets] of byEndpoint) windows.set(endpoint, summarize(buckets, now));
    const day = new Map<string, UptimeCounts>();
    for (const row of this.sql.exec<{ endpoint: string; ok: number; errors: number }>(
      `SELECT endpoint, SUM(ok) AS ok, SUM(errors) AS errors FROM buckets
       WHERE (tier = ? AND start < ?) OR (tier = ? AND start >= ?) GROUP BY endpoint`,
      FINE_TIER,
      minute,
      COARSE_TIER,
      windowFrom(now, DAY_MS, COARSE_MS),
    )) {
      day.set(row.endpoint, { ok: row.ok, errors: row.errors });
    }
    this.closed = { minute, windows, day };
    return this.closed;
  }

  /** The full picture of every endpoint: every window with every figure, and the shared view. */
  report(now: number): EndpointReport[] {
    const out: EndpointReport[] = [];
    const snapshot = this.snapshot(now);
    for (const [endpoint, buckets] of this.buckets()) {
      const windows = summarize(buckets, now);
      const recent = this.shared.view(endpoint, now);
      const entry =
        snapshot.endpoints[endpoint] ??
        snapshotEntry(
          storedFigures(windows["5m"], windows["30m"], uptimeCounts(windows["1d"])),
          recent,
          this.minErrorSamples,
        );
      out.push(renderEndpointReport(endpoint, windows, recent, entry, this.shared.windowMs));
    }
    return out.sort((a, b) => a.endpoint.localeCompare(b.endpoint));
  }
}

function signalsOf(entry: IngestEntry): FlushSignals {
  return {
    ok: entry.ok,
    errors: entry.errors,
    rateLimited: entry.rateLimited,
    lastOkAt: entry.lastOkAt,
    lastFailureAt: entry.lastFailureAt,
    retryUntil: entry.retryUntil,
  };
}
