/**
 * The messages between isolates and a key's `KeyGuard` (RPC arguments and results). Amounts of
 * credit are integer nano-dollars; times are epoch milliseconds.
 */
import type { LimitReset } from "../keys/store";

/** Limits of one key; null means no limit on that dimension. */
export interface KeyLimits {
  requests_per_minute: number | null;
  tokens_per_minute: number | null;
  concurrency: number | null;
  /** Credit limit in USD for the period given by `limit_reset`. */
  limit: number | null;
  limit_reset: LimitReset | null;
  /** When true, an exhausted credit limit blocks free models too. */
  limit_free_models: boolean;
}

export interface KeyGuardConfig extends KeyLimits {
  disabled: boolean;
  deleted: boolean;
}

export const NO_LIMITS: KeyLimits = {
  requests_per_minute: null,
  tokens_per_minute: null,
  concurrency: null,
  limit: null,
  limit_reset: null,
  limit_free_models: false,
};

/** What one request asks for: a token estimate and its worst-case cost. */
export interface Demand {
  tokens: number;
  creditNanos: number;
}

/** Capacity an isolate may hand out locally until `expiresAt`. */
export interface LeaseGrant {
  id: string;
  expiresAt: number;
  requests: number;
  tokens: number;
  creditNanos: number;
  concurrency: number;
}

export type Dimension = "requests" | "tokens" | "concurrency" | "credit" | "key";

export interface Rejection {
  dimension: Dimension;
  message: string;
  /** The limit on that dimension (USD for credit). */
  limit: number | null;
  remaining: number;
  /** When the dimension's capacity comes back (epoch ms), if it does. */
  resetsAt: number | null;
}

export type AcquireResult = { ok: true; lease: LeaseGrant } | { ok: false; rejection: Rejection };

/** An isolate's account of a lease it stops using: what is unused, and what in-flight requests still hold. */
export interface LeaseReport {
  id: string;
  unused: { requests: number; tokens: number; creditNanos: number; concurrency: number };
}

/** The end of one admitted request, served or not. */
export interface Settlement {
  leaseId: string;
  /** True when the isolate had already released the lease when the request ended. */
  afterRelease: boolean;
  reserved: Demand;
  /** Actual tokens and cost; zero for a request that served nothing. */
  actual: { tokens: number; costNanos: number };
  generation: LedgerEntry | null;
}

/** One row of the usage ledger: a served generation. */
export interface LedgerEntry {
  id: string;
  created_at: number;
  model: string;
  provider: string;
  provider_model_id: string;
  streamed: boolean;
  cancelled: boolean;
  finish_reason: string | null;
  native_finish_reason: string | null;
  tokens_prompt: number;
  tokens_completion: number;
  tokens_cached: number;
  tokens_cache_write: number;
  tokens_reasoning: number;
  usage_estimated: boolean;
  cost_nanos: number;
  latency_ms: number;
  generation_time_ms: number;
  attempts: unknown[];
  user: string | null;
  session_id: string | null;
}

export interface KeyUsage {
  usage: number;
  usage_daily: number;
  usage_weekly: number;
  usage_monthly: number;
  /** Remaining credit in USD for the limit's period, null without a limit. */
  limit_remaining: number | null;
  requests_this_minute: number;
  tokens_this_minute: number;
  in_flight: number;
}
