/**
 * The `KeyGuard` storage schema (SQLite, one database per key). Migrations run in order when the
 * object starts; `schema_migrations` records which have run.
 *
 * config          one row: the key's limits and state (JSON `KeyGuardConfig`)
 * rate_windows    per limited dimension ("requests" | "tokens"): the current UTC minute and what
 *                 has been admitted in it, leases included
 * usage_periods   spend per period: "all", "day:YYYY-MM-DD", "week:<Monday>", "month:YYYY-MM-01";
 *                 cost in nano-dollars, served requests, tokens
 * leases          capacity lent to isolates and not yet given back: per lease, what it still holds
 *                 of each dimension (`limited` says which dimensions are counted at all)
 * settlements     ids of settled requests, so a retried settle changes nothing
 * generations     the ledger: one row per served generation (JSON `LedgerEntry`)
 */
import { runMigrations } from "../storage/migrations";

const MIGRATIONS: string[][] = [
  [
    "CREATE TABLE config (id INTEGER PRIMARY KEY CHECK (id = 1), json TEXT NOT NULL)",
    "CREATE TABLE rate_windows (dimension TEXT PRIMARY KEY, window_start INTEGER NOT NULL, used INTEGER NOT NULL)",
    `CREATE TABLE usage_periods (period TEXT PRIMARY KEY, cost_nanos INTEGER NOT NULL DEFAULT 0,
       requests INTEGER NOT NULL DEFAULT 0, tokens INTEGER NOT NULL DEFAULT 0)`,
    `CREATE TABLE leases (id TEXT PRIMARY KEY, window_start INTEGER NOT NULL, expires_at INTEGER NOT NULL,
       released INTEGER NOT NULL DEFAULT 0, limited TEXT NOT NULL, requests INTEGER NOT NULL, tokens INTEGER NOT NULL,
       credit_nanos INTEGER NOT NULL, concurrency INTEGER NOT NULL)`,
    "CREATE TABLE settlements (id TEXT PRIMARY KEY, settled_at INTEGER NOT NULL)",
    "CREATE INDEX settlements_by_time ON settlements (settled_at)",
    "CREATE TABLE generations (id TEXT PRIMARY KEY, created_at INTEGER NOT NULL, entry TEXT NOT NULL)",
    "CREATE INDEX generations_by_time ON generations (created_at)",
  ],
];

export function migrate(sql: SqlStorage, now: number): void {
  runMigrations(sql, MIGRATIONS, now);
}
