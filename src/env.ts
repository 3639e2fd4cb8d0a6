import type { KeyGuard } from "./limits/key-guard";
import type { EndpointStats } from "./stats/endpoint-stats";

/**
 * Bindings and secrets (DESIGN.md §7). Provider credentials are read by name:
 * `<SLUG>_API_KEY` and `<SLUG>_BASE_URL`, see `providerSetting`.
 */
export interface Env {
  CATALOG: KVNamespace;
  KEY_GUARD: DurableObjectNamespace<KeyGuard>;
  ENDPOINT_STATS: DurableObjectNamespace<EndpointStats>;
  /** Workers AI, when bound (`[ai] binding = "AI"`); the `workers-ai` provider then runs on it instead of REST. */
  AI?: Ai;
  /** Platform management key: creates API keys and manages the deployment. */
  ADMIN_KEY?: string;
  /** Encrypts tenants' BYOK provider keys (tenancy issue). */
  MASTER_KEY?: string;
  /** Comma-separated host names (`*.example.com` allowed) that serve the default tenant. */
  PLATFORM_HOSTNAMES?: string;
  /** Milliseconds a resolved host → tenant mapping is remembered in an isolate (default 30000). */
  TENANT_CACHE_TTL_MS?: string;
  /** An API key accepted without a KV record, for the default tenant; `npm run dev` sets it. */
  DEMO_API_KEY?: string;
  /** Milliseconds between the demo provider's stream chunks (default 20). */
  DEMO_CHUNK_DELAY_MS?: string;
  /** Milliseconds to wait for an upstream's first token before failing over (default 30000). */
  UPSTREAM_FIRST_TOKEN_TIMEOUT_MS?: string;
  /** Milliseconds for a whole JSON answer, and the total deadline of a stream (default 600000). */
  UPSTREAM_TOTAL_TIMEOUT_MS?: string;
  /** Milliseconds one JSON attempt may take before the next endpoint is tried (default 180000). */
  UPSTREAM_ATTEMPT_TIMEOUT_MS?: string;
  /** Milliseconds an upstream stream may stay silent before it is cut (default 60000). */
  UPSTREAM_IDLE_TIMEOUT_MS?: string;
  /** A Retry-After at most this many milliseconds is waited out, retrying the same endpoint once (default 2000). */
  RETRY_AFTER_WAIT_MAX_MS?: string;
  /** Milliseconds an isolate may admit requests on a KeyGuard lease (default 5000). */
  KEY_LEASE_MS?: string;
  /** Days a key's ledger keeps generation rows (default 30). */
  LEDGER_RETENTION_DAYS?: string;
  /** Most generation rows a key's ledger keeps (default 100000). */
  LEDGER_MAX_ROWS?: string;
  /** Milliseconds before a waiting stream sends its first keep-alive comment (default 1000). */
  STREAM_KEEPALIVE_MS?: string;
  /** Milliseconds between an isolate's stats flushes to the EndpointStats shards (default 2000). */
  STATS_FLUSH_INTERVAL_MS?: string;
  /** Milliseconds an isolate uses its cached health snapshot before refreshing it in the background (default 3000). */
  STATS_SNAPSHOT_TTL_MS?: string;
  /** Milliseconds the shared circuit of a failing endpoint stays open before a probe (default 15000). */
  STATS_CIRCUIT_COOLDOWN_MS?: string;
}

/** `<SLUG>_<suffix>`: slug upper-cased, non-alphanumerics replaced by `_` (e.g. `GOOGLE_AI_STUDIO_API_KEY`). */
export function providerSettingName(slug: string, suffix: "API_KEY" | "BASE_URL"): string {
  return `${slug.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_${suffix}`;
}

export function providerSetting(env: Env, slug: string, suffix: "API_KEY" | "BASE_URL"): string | undefined {
  const value = (env as unknown as Record<string, unknown>)[providerSettingName(slug, suffix)];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/** Reads a positive integer setting, falling back when unset or malformed. */
export function intSetting(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
}
