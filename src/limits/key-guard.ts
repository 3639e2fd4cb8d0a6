/**
 * `KeyGuard`: one SQLite-backed Durable Object per API key (named by the key's SHA-256 hash).
 * The single writer for the key's limits, credit and usage ledger (DESIGN.md §3), so counters are
 * exact. Isolates do not call it per request: they hold a lease (a slice of what remains, valid
 * for a few seconds) and admit locally; see `admission.ts` for the isolate side and `schema.ts`
 * for the storage schema.
 *
 * Accounting invariant, per limited dimension: what has been admitted or lent out never exceeds
 * the limit. A lease's capacity is counted as used when granted; an isolate gives the unused part
 * back when it stops using the lease, and in-flight requests give back the difference between
 * their reservation and their actual use when they settle. A lease whose isolate vanished is
 * presumed dead `CRASH_GRACE_MS` after it expired and everything it held is freed.
 */
import { DurableObject } from "cloudflare:workers";
import { type Env, intSetting } from "../env";
import { leaseSlice } from "./lease-size";
import { nanosToUsd, usdToNanos } from "./money";
import { creditPeriod, MINUTE, minuteStart, periodKeys } from "./periods";
import { migrate } from "./schema";
import {
  type AcquireResult,
  type Demand,
  type KeyGuardConfig,
  type KeyUsage,
  type LeaseGrant,
  type LeaseReport,
  type LedgerEntry,
  NO_LIMITS,
  type Rejection,
  type Settlement,
} from "./types";

/** How long an isolate may admit on a lease. */
export const LEASE_MS = 5_000;
/** After a lease expires unreleased, how long until its isolate is presumed gone. */
export const CRASH_GRACE_MS = 30_000;
/** Stand-in for "no limit" in grants: large, but safe to add and subtract. */
const UNBOUNDED = 1_000_000_000_000;
const HOUR = 3_600_000;

type LeaseRow = {
  id: string;
  window_start: number;
  expires_at: number;
  released: number;
  limited: string;
  requests: number;
  tokens: number;
  credit_nanos: number;
  concurrency: number;
};

interface Limited {
  requests: boolean;
  tokens: boolean;
  concurrency: boolean;
  credit: boolean;
}

export class KeyGuard extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private cachedConfig: KeyGuardConfig | undefined;
  private alarmScheduled = false;
  /** Replaced by tests to move time. */
  now: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, Date.now());
  }

  // ── configuration ──────────────────────────────────────────────────────────

  /** Sets the key's limits and state; takes effect for the next lease (leases last `LEASE_MS`). */
  configure(config: KeyGuardConfig): void {
    this.sql.exec("INSERT OR REPLACE INTO config (id, json) VALUES (1, ?)", JSON.stringify(config));
    this.cachedConfig = config;
  }

  getConfig(): KeyGuardConfig | null {
    if (this.cachedConfig) return this.cachedConfig;
    const row = this.sql.exec<{ json: string }>("SELECT json FROM config WHERE id = 1").toArray()[0];
    this.cachedConfig = row ? (JSON.parse(row.json) as KeyGuardConfig) : undefined;
    return this.cachedConfig ?? null;
  }

  // ── leases ─────────────────────────────────────────────────────────────────

  /**
   * Admits one request exactly and lends the caller a slice of what remains. `release` gives
   * back the caller's previous lease; `fallback` configures a key this object has never seen.
   */
  acquire(demand: Demand, release?: LeaseReport, fallback?: KeyGuardConfig): AcquireResult {
    const now = this.now();
    if (release) this.release(release);
    this.expireAbandonedLeases(now);
    let config = this.getConfig();
    if (!config) {
      config = fallback ?? { ...NO_LIMITS, disabled: false, deleted: false };
      this.configure(config);
    }
    if (config.deleted || config.disabled) {
      return this.reject("key", `API key is ${config.deleted ? "deleted" : "disabled"}`, null, 0, null);
    }

    const window = minuteStart(now);
    const windowEnd = window + MINUTE;
    const held = this.held();
    const limited: Limited = {
      requests: config.requests_per_minute !== null,
      tokens: config.tokens_per_minute !== null,
      concurrency: config.concurrency !== null,
      credit: config.limit !== null,
    };

    let requests = UNBOUNDED;
    if (config.requests_per_minute !== null) {
      const remaining = config.requests_per_minute - this.windowUsed("requests", window);
      if (remaining < 1) {
        return this.reject(
          "requests",
          `Rate limit of ${config.requests_per_minute} requests per minute reached`,
          config.requests_per_minute,
          0,
          windowEnd,
        );
      }
      requests = leaseSlice(remaining, 1);
    }

    let tokens = UNBOUNDED;
    if (config.tokens_per_minute !== null) {
      const remaining = config.tokens_per_minute - this.windowUsed("tokens", window);
      if (remaining < demand.tokens) {
        const message =
          demand.tokens > config.tokens_per_minute
            ? `This request may use ${demand.tokens} tokens, more than the key's limit of ${config.tokens_per_minute} per minute; lower max_tokens`
            : `Rate limit of ${config.tokens_per_minute} tokens per minute reached`;
        return this.reject("tokens", message, config.tokens_per_minute, Math.max(0, remaining), windowEnd);
      }
      tokens = leaseSlice(remaining, demand.tokens);
    }

    let concurrency = UNBOUNDED;
    if (config.concurrency !== null) {
      const remaining = config.concurrency - held.concurrency;
      if (remaining < 1) {
        return this.reject(
          "concurrency",
          `Limit of ${config.concurrency} concurrent requests reached`,
          config.concurrency,
          0,
          now + 1_000,
        );
      }
      concurrency = leaseSlice(remaining, 1);
    }

    let creditNanos = UNBOUNDED;
    if (config.limit !== null) {
      const period = creditPeriod(config.limit_reset, now);
      const remaining = usdToNanos(config.limit) - this.spent(period.key) - held.credit;
      const blocked = demand.creditNanos > 0 || config.limit_free_models;
      if (blocked && remaining < Math.max(demand.creditNanos, 1)) {
        const left = Math.max(0, nanosToUsd(remaining));
        const message =
          remaining <= 0
            ? `Credit limit of $${config.limit} reached${period.resetsAt ? "" : " (it does not reset)"}`
            : `This request may cost up to $${nanosToUsd(demand.creditNanos)}, more than the $${left} left of the key's credit limit`;
        return this.reject("credit", message, config.limit, left, period.resetsAt);
      }
      creditNanos = Math.max(0, leaseSlice(Math.max(remaining, 0), demand.creditNanos));
    }

    const leaseMs = intSetting(this.env.KEY_LEASE_MS, LEASE_MS);
    const expiresAt = limited.requests || limited.tokens ? Math.min(now + leaseMs, windowEnd) : now + leaseMs;
    const lease: LeaseGrant = {
      id: crypto.randomUUID(),
      expiresAt,
      requests,
      tokens,
      creditNanos,
      concurrency,
    };
    if (limited.requests) this.addToWindow("requests", window, requests);
    if (limited.tokens) this.addToWindow("tokens", window, tokens);
    this.sql.exec(
      `INSERT INTO leases (id, window_start, expires_at, released, limited, requests, tokens, credit_nanos, concurrency)
       VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?)`,
      lease.id,
      window,
      expiresAt,
      JSON.stringify(limited),
      limited.requests ? requests : 0,
      limited.tokens ? tokens : 0,
      limited.credit ? creditNanos : 0,
      limited.concurrency ? concurrency : 0,
    );
    this.ensureAlarm(now);
    return { ok: true, lease };
  }

  /** Takes back the unused part of a lease; what in-flight requests hold stays until they settle. */
  release(report: LeaseReport): void {
    const lease = this.lease(report.id);
    if (!lease || lease.released) return;
    const limited = JSON.parse(lease.limited) as Limited;
    const sameWindow = lease.window_start === minuteStart(this.now());
    if (limited.requests && sameWindow)
      this.addToWindow("requests", lease.window_start, -report.unused.requests);
    if (limited.tokens && sameWindow) this.addToWindow("tokens", lease.window_start, -report.unused.tokens);
    this.updateLease({
      ...lease,
      released: 1,
      requests: 0,
      tokens: limited.tokens ? lease.tokens - report.unused.tokens : 0,
      credit_nanos: limited.credit ? lease.credit_nanos - report.unused.creditNanos : 0,
      concurrency: limited.concurrency ? lease.concurrency - report.unused.concurrency : 0,
    });
  }

  // ── settlement and the ledger ──────────────────────────────────────────────

  /**
   * Records the end of one admitted request: spend, the ledger row, and the return of what its
   * reservation held. Idempotent by request id: a retried settle changes nothing.
   */
  settle(id: string, settlement: Settlement): { duplicate: boolean } {
    return { duplicate: this.settleMany([{ id, settlement }]).duplicates === 1 };
  }

  /**
   * Settles a batch from one isolate. Each item is idempotent on its own; spend is summed per
   * period and lease changes per lease, so a batch costs a few writes plus one ledger row each.
   */
  settleMany(items: { id: string; settlement: Settlement }[]): { settled: number; duplicates: number } {
    const now = this.now();
    let duplicates = 0;
    const spend = new Map<string, { cost: number; requests: number; tokens: number }>();
    const leaseChanges = new Map<
      string,
      { tokens: number; credit: number; concurrency: number; windowTokens: number }
    >();
    for (const { id, settlement } of items) {
      if (
        this.sql.exec("INSERT OR IGNORE INTO settlements (id, settled_at) VALUES (?, ?)", id, now)
          .rowsWritten === 0
      ) {
        duplicates++;
        continue;
      }
      const { actual, reserved, generation } = settlement;
      if (generation) {
        this.sql.exec(
          "INSERT OR IGNORE INTO generations (id, created_at, entry) VALUES (?, ?, ?)",
          id,
          generation.created_at,
          JSON.stringify(generation),
        );
      }
      if (generation || actual.costNanos > 0) {
        const periods = periodKeys(generation?.created_at ?? now);
        for (const period of [periods.all, periods.day, periods.week, periods.month]) {
          const total = spend.get(period) ?? { cost: 0, requests: 0, tokens: 0 };
          total.cost += actual.costNanos;
          total.requests += generation ? 1 : 0;
          total.tokens += actual.tokens;
          spend.set(period, total);
        }
      }
      const change = leaseChanges.get(settlement.leaseId) ?? {
        tokens: 0,
        credit: 0,
        concurrency: 0,
        windowTokens: 0,
      };
      if (settlement.afterRelease) {
        // The isolate no longer holds this lease: the reservation comes back here.
        change.tokens += reserved.tokens;
        change.windowTokens += reserved.tokens - actual.tokens;
        change.credit += reserved.creditNanos;
        change.concurrency += 1;
      } else {
        // The isolate re-lends the unspent reservation itself; what was spent leaves the lease.
        change.credit += actual.costNanos;
      }
      leaseChanges.set(settlement.leaseId, change);
    }
    for (const [period, total] of spend) {
      this.sql.exec(
        `INSERT INTO usage_periods (period, cost_nanos, requests, tokens) VALUES (?, ?, ?, ?)
         ON CONFLICT (period) DO UPDATE SET cost_nanos = cost_nanos + excluded.cost_nanos,
           requests = requests + excluded.requests, tokens = tokens + excluded.tokens`,
        period,
        total.cost,
        total.requests,
        total.tokens,
      );
    }
    for (const [leaseId, change] of leaseChanges) {
      const lease = this.lease(leaseId);
      if (!lease) continue;
      const limited = JSON.parse(lease.limited) as Limited;
      if (limited.tokens && change.windowTokens !== 0 && lease.window_start === minuteStart(now)) {
        this.addToWindow("tokens", lease.window_start, -change.windowTokens);
      }
      this.updateLease({
        ...lease,
        tokens: limited.tokens ? lease.tokens - change.tokens : 0,
        credit_nanos: limited.credit ? lease.credit_nanos - change.credit : 0,
        concurrency: limited.concurrency ? lease.concurrency - change.concurrency : 0,
      });
    }
    this.ensureAlarm(now);
    return { settled: items.length - duplicates, duplicates };
  }

  generation(id: string): LedgerEntry | null {
    const row = this.sql
      .exec<{ entry: string }>("SELECT entry FROM generations WHERE id = ?", id)
      .toArray()[0];
    return row ? (JSON.parse(row.entry) as LedgerEntry) : null;
  }

  usage(): KeyUsage & { config: KeyGuardConfig | null } {
    const now = this.now();
    this.expireAbandonedLeases(now);
    const config = this.getConfig();
    const periods = periodKeys(now);
    const held = this.held();
    let remaining: number | null = null;
    if (config?.limit !== null && config?.limit !== undefined) {
      // What the key has not spent; capacity lent to isolates is not spent and is not subtracted.
      const period = creditPeriod(config.limit_reset, now);
      remaining = Math.max(0, nanosToUsd(usdToNanos(config.limit) - this.spent(period.key)));
    }
    const window = minuteStart(now);
    return {
      usage: nanosToUsd(this.spent(periods.all)),
      usage_daily: nanosToUsd(this.spent(periods.day)),
      usage_weekly: nanosToUsd(this.spent(periods.week)),
      usage_monthly: nanosToUsd(this.spent(periods.month)),
      limit_remaining: remaining,
      requests_this_minute: this.windowUsed("requests", window),
      tokens_this_minute: this.windowUsed("tokens", window),
      in_flight: held.concurrency,
      config,
    };
  }

  /** Prunes the ledger and settlement ids past retention, and frees abandoned leases. */
  override async alarm(): Promise<void> {
    const now = this.now();
    this.expireAbandonedLeases(now);
    const retentionMs = intSetting(this.env.LEDGER_RETENTION_DAYS, 30) * 24 * HOUR;
    const maxRows = intSetting(this.env.LEDGER_MAX_ROWS, 100_000);
    this.sql.exec("DELETE FROM generations WHERE created_at < ?", now - retentionMs);
    this.sql.exec(
      "DELETE FROM generations WHERE id IN (SELECT id FROM generations ORDER BY created_at DESC LIMIT -1 OFFSET ?)",
      maxRows,
    );
    this.sql.exec("DELETE FROM settlements WHERE settled_at < ?", now - retentionMs);
    await this.ctx.storage.setAlarm(now + HOUR);
  }

  // ── internals ──────────────────────────────────────────────────────────────

  private reject(
    dimension: Rejection["dimension"],
    message: string,
    limit: number | null,
    remaining: number,
    resetsAt: number | null,
  ): AcquireResult {
    return { ok: false, rejection: { dimension, message, limit, remaining, resetsAt } };
  }

  private lease(id: string): LeaseRow | undefined {
    return this.sql.exec<LeaseRow>("SELECT * FROM leases WHERE id = ?", id).toArray()[0];
  }

  private updateLease(lease: LeaseRow): void {
    if (lease.released && lease.tokens <= 0 && lease.credit_nanos <= 0 && lease.concurrency <= 0) {
      this.sql.exec("DELETE FROM leases WHERE id = ?", lease.id);
      return;
    }
    this.sql.exec(
      "UPDATE leases SET released = ?, requests = ?, tokens = ?, credit_nanos = ?, concurrency = ? WHERE id = ?",
      lease.released,
      lease.requests,
      lease.tokens,
      lease.credit_nanos,
      lease.concurrency,
      lease.id,
    );
  }

  /** What all leases still hold of concurrency and credit. */
  private held(): { concurrency: number; credit: number } {
    const row = this.sql
      .exec<{ concurrency: number; credit: number }>(
        "SELECT COALESCE(SUM(concurrency), 0) AS concurrency, COALESCE(SUM(credit_nanos), 0) AS credit FROM leases",
      )
      .one();
    return { concurrency: Math.max(0, row.concurrency), credit: Math.max(0, row.credit) };
  }

  private spent(period: string): number {
    const row = this.sql
      .exec<{ cost: number }>("SELECT cost_nanos AS cost FROM usage_periods WHERE period = ?", period)
      .toArray()[0];
    return row?.cost ?? 0;
  }

  private windowUsed(dimension: "requests" | "tokens", window: number): number {
    const row = this.sql
      .exec<{ window_start: number; used: number }>(
        "SELECT window_start, used FROM rate_windows WHERE dimension = ?",
        dimension,
      )
      .toArray()[0];
    return row && row.window_start === window ? Math.max(0, row.used) : 0;
  }

  private addToWindow(dimension: "requests" | "tokens", window: number, amount: number): void {
    const used = this.windowUsed(dimension, window);
    const current = this.sql
      .exec<{ window_start: number }>("SELECT window_start FROM rate_windows WHERE dimension = ?", dimension)
      .toArray()[0];
    // Corrections for a window that has passed change nothing.
    if (current && current.window_start > window) return;
    this.sql.exec(
      "INSERT OR REPLACE INTO rate_windows (dimension, window_start, used) VALUES (?, ?, ?)",
      dimension,
      window,
      Math.max(0, used + amount),
    );
  }

  /** Leases whose isolate let them expire and never came back are presumed dead: free what they held. */
  private expireAbandonedLeases(now: number): void {
    this.sql.exec("DELETE FROM leases WHERE released = 0 AND expires_at + ? < ?", CRASH_GRACE_MS, now);
    // Released leases whose in-flight requests never settled (isolate died mid-request).
    this.sql.exec("DELETE FROM leases WHERE released = 1 AND expires_at + ? < ?", 15 * MINUTE, now);
  }

  private ensureAlarm(now: number): void {
    if (this.alarmScheduled) return;
    this.alarmScheduled = true;
    this.ctx.storage.getAlarm().then((alarm) => {
      if (alarm === null) return this.ctx.storage.setAlarm(now + HOUR);
    });
  }
}
