/**
 * API keys, stored in KV only as SHA-256 hashes.
 *
 * Storage schema (KV namespace `CATALOG`):
 *   `key:<sha256 hex of the plaintext key>` → JSON `ApiKeyRecord`
 *   `tenant-key:<tenant id>:<sha256 hex>`   → "" (an index: a tenant's keys, listable by prefix)
 *
 * Lookups are memoised in the isolate for `MEMO_TTL_MS` (bounded to `MEMO_MAX` entries), so a warm
 * request reads no KV and hashes nothing. Unknown keys are remembered briefly too, so a bad key cannot drive KV reads.
 */
import type { Env } from "../env";
import { keyLabel, sha256Hex } from "./hash";

export type LimitReset = "daily" | "weekly" | "monthly";

export interface ApiKeyRecord {
  hash: string;
  name: string;
  label: string;
  tenant_id: string;
  disabled: boolean;
  /** Credit limit in USD; null for none. */
  limit: number | null;
  limit_reset: LimitReset | null;
  include_byok_in_limit: boolean;
  /** Rate and concurrency limits; absent or null: none. Enforced by the key's KeyGuard. */
  requests_per_minute?: number | null;
  tokens_per_minute?: number | null;
  concurrency?: number | null;
  /** When true, an exhausted credit limit blocks free models too. */
  limit_free_models?: boolean;
  /** A tenant management key: manages its tenant's keys and settings, cannot call models. */
  management?: boolean;
  created_at: string;
  updated_at: string | null;
  expires_at: string | null;
}

const KEY_PREFIX = "key:";
const MEMO_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
const MEMO_MAX = 2_000;

interface MemoEntry {
  hash: string;
  record: ApiKeyRecord | null;
  expires: number;
}

/**
 * Keyed by the presented key itself, so a warm request does not even hash it. The plaintext
 * lives only in this isolate's memory, as long as the request carrying it would anyway.
 */
const memo = new Map<string, MemoEntry>();

function remember(plaintext: string, hash: string, record: ApiKeyRecord | null, now: number): void {
  if (memo.size >= MEMO_MAX) {
    // Maps iterate in insertion order: drop the oldest entry.
    const oldest = memo.keys().next().value;
    if (oldest !== undefined) memo.delete(oldest);
  }
  memo.set(plaintext, { hash, record, expires: now + (record ? MEMO_TTL_MS : NEGATIVE_TTL_MS) });
}

/** Drops what this isolate remembers of a key, so its own changes apply at once. */
function forget(hash: string): void {
  for (const [plaintext, entry] of memo) if (entry.hash === hash) memo.delete(plaintext);
}

/** A key that lives in configuration rather than KV (the demo key, the platform ADMIN_KEY): no limits. */
export function unstoredKeyRecord(hash: string, name: string, label: string, tenantId: string): ApiKeyRecord {
  return {
    hash,
    name,
    label,
    tenant_id: tenantId,
    disabled: false,
    limit: null,
    limit_reset: null,
    include_byok_in_limit: false,
    created_at: new Date(0).toISOString(),
    updated_at: null,
    expires_at: null,
  };
}

let demoKey: { plaintext: string; record: ApiKeyRecord } | undefined;

/** `DEMO_API_KEY` works without a KV record, so a fresh `npm run dev` is usable at once. */
async function demoRecord(env: Env, hash: string): Promise<ApiKeyRecord | undefined> {
  const plaintext = env.DEMO_API_KEY;
  if (!plaintext) return undefined;
  if (demoKey?.plaintext !== plaintext) {
    const demoHash = await sha256Hex(plaintext);
    demoKey = {
      plaintext,
      record: unstoredKeyRecord(demoHash, "demo (DEMO_API_KEY)", keyLabel(plaintext), "default"),
    };
  }
  return demoKey.record.hash === hash ? demoKey.record : undefined;
}

export async function findKey(env: Env, plaintext: string, now = Date.now()): Promise<ApiKeyRecord | null> {
  const cached = memo.get(plaintext);
  if (cached && cached.expires > now) return cached.record;
  const hash = await sha256Hex(plaintext);
  const record =
    (await demoRecord(env, hash)) ?? (await env.CATALOG.get<ApiKeyRecord>(KEY_PREFIX + hash, "json"));
  remember(plaintext, hash, record, now);
  return record;
}

const tenantIndex = (tenantId: string, hash = "") => `tenant-key:${tenantId}:${hash}`;

export async function saveKey(env: Env, record: ApiKeyRecord): Promise<void> {
  await env.CATALOG.put(KEY_PREFIX + record.hash, JSON.stringify(record));
  await env.CATALOG.put(tenantIndex(record.tenant_id, record.hash), "");
  forget(record.hash);
}

export async function deleteKeyRecord(env: Env, record: ApiKeyRecord): Promise<void> {
  await env.CATALOG.delete(KEY_PREFIX + record.hash);
  await env.CATALOG.delete(tenantIndex(record.tenant_id, record.hash));
  forget(record.hash);
}

/** A tenant's key by hash, read from KV (management paths only; never memoised). */
export async function keyByHash(env: Env, tenantId: string, hash: string): Promise<ApiKeyRecord | null> {
  if (!/^[0-9a-f]{64}$/.test(hash)) return null;
  const record =
    (await demoRecord(env, hash)) ?? (await env.CATALOG.get<ApiKeyRecord>(KEY_PREFIX + hash, "json"));
  return record && record.tenant_id === tenantId ? record : null;
}

/** Hashes of a tenant's keys starting with `prefix`, in hash order; bounded to `limit` after `offset`. */
export async function tenantKeyHashes(
  env: Env,
  tenantId: string,
  options: { prefix?: string; offset?: number; limit?: number } = {},
): Promise<string[]> {
  const offset = options.offset ?? 0;
  const limit = options.limit ?? 100;
  const hashes: string[] = [];
  let cursor: string | undefined;
  // Each list call returns up to 1000 names; a page never needs more than a handful of calls.
  for (let calls = 0; calls < 50; calls++) {
    const page: KVNamespaceListResult<unknown> = await env.CATALOG.list({
      prefix: tenantIndex(tenantId, options.prefix ?? ""),
      ...(cursor ? { cursor } : {}),
    });
    for (const { name } of page.keys) hashes.push(name.slice(name.lastIndexOf(":") + 1));
    if (page.list_complete || hashes.length >= offset + limit) break;
    cursor = page.cursor;
  }
  return hashes.slice(offset, offset + limit);
}

/** Why a key may not be used, or undefined when it may. */
export function keyRefusal(record: ApiKeyRecord | null, now: number): string | undefined {
  if (!record) return "API key not found";
  if (record.disabled) return "API key is disabled";
  if (record.expires_at !== null && Date.parse(record.expires_at) <= now) return "API key has expired";
  return undefined;
}
