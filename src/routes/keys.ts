/**
 * API keys: management (`/keys`, `/keys/{hash}` with a management key), the calling key's
 * metadata (`/key`, `/auth/key`) and credits (`/credits`). Records live in KV (src/keys/store.ts);
 * limits, usage and the ledger live in each key's KeyGuard.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { notFound, unauthorized } from "../errors";
import { keyLabel, newApiKey, sha256Hex } from "../keys/hash";
import {
  type ApiKeyRecord,
  deleteKeyRecord,
  findKey,
  keyByHash,
  keyRefusal,
  saveKey,
  tenantKeyHashes,
  unstoredKeyRecord,
} from "../keys/store";
import { guardConfigOf } from "../limits/admission";
import type { KeyUsage } from "../limits/types";
import { bearerToken, canManageTenant, isAdminKey } from "./auth";
import { readJsonBody, validate } from "./body";

const optionalLimit = z.int().positive().nullish();

const keySettings = {
  limit: z.number().nonnegative().nullish(),
  limit_reset: z.enum(["daily", "weekly", "monthly"]).nullish(),
  include_byok_in_limit: z.boolean().optional(),
  expires_at: z.iso
    .datetime({ offset: true })
    .nullish()
    .refine((value) => !value || Date.parse(value) > Date.now(), "must be in the future"),
  requests_per_minute: optionalLimit,
  tokens_per_minute: optionalLimit,
  concurrency: optionalLimit,
  limit_free_models: z.boolean().optional(),
};

const createKeyBody = z.looseObject({
  name: z.string().trim().min(1, "name must not be empty").max(200),
  ...keySettings,
});
const updateKeyBody = z.looseObject({
  name: z.string().trim().min(1, "name must not be empty").max(200).optional(),
  disabled: z.boolean().optional(),
  ...keySettings,
});

const EMPTY_USAGE: KeyUsage = {
  usage: 0,
  usage_daily: 0,
  usage_weekly: 0,
  usage_monthly: 0,
  limit_remaining: null,
  requests_this_minute: 0,
  tokens_this_minute: 0,
  in_flight: 0,
};

async function usageOf(env: Env, hash: string): Promise<KeyUsage> {
  return env.KEY_GUARD.getByName(hash).usage();
}

/** OpenRouter's key shape (every key its SDK requires), plus Junction's rate limits. */
function renderKey(record: ApiKeyRecord, usage: KeyUsage) {
  return {
    hash: record.hash,
    name: record.name,
    label: record.label,
    disabled: record.disabled,
    limit: record.limit,
    limit_remaining: record.limit === null ? null : (usage.limit_remaining ?? record.limit),
    limit_reset: record.limit_reset,
    include_byok_in_limit: record.include_byok_in_limit,
    usage: usage.usage,
    usage_daily: usage.usage_daily,
    usage_weekly: usage.usage_weekly,
    usage_monthly: usage.usage_monthly,
    byok_usage: 0,
    byok_usage_daily: 0,
    byok_usage_weekly: 0,
    byok_usage_monthly: 0,
    created_at: record.created_at,
    updated_at: record.updated_at,
    expires_at: record.expires_at,
    creator_user_id: null,
    external_user: null,
    workspace_id: record.tenant_id,
    requests_per_minute: record.requests_per_minute ?? null,
    tokens_per_minute: record.tokens_per_minute ?? null,
    concurrency: record.concurrency ?? null,
    limit_free_models: record.limit_free_models ?? false,
  };
}

export async function createKey(c: Context<AppEnv>): Promise<Response> {
  const input = validate(createKeyBody, await readJsonBody(c.req.raw));
  // The tenant's defaults fill in whatever the request leaves out.
  const defaults = c.var.tenant.default_key_limits ?? {};
  const pick = <T>(given: T | null | undefined, fallback: T | null | undefined): T | null =>
    given !== undefined ? (given ?? null) : (fallback ?? null);
  const plaintext = newApiKey();
  const record: ApiKeyRecord = {
    hash: await sha256Hex(plaintext),
    name: input.name,
    label: keyLabel(plaintext),
    tenant_id: c.var.tenant.id,
    disabled: false,
    limit: pick(input.limit, defaults.limit),
    limit_reset: pick(input.limit_reset, defaults.limit_reset),
    include_byok_in_limit: input.include_byok_in_limit ?? false,
    requests_per_minute: pick(input.requests_per_minute, defaults.requests_per_minute),
    tokens_per_minute: pick(input.tokens_per_minute, defaults.tokens_per_minute),
    concurrency: pick(input.concurrency, defaults.concurrency),
    limit_free_models: input.limit_free_models ?? false,
    created_at: new Date().toISOString(),
    updated_at: null,
    expires_at: input.expires_at ? new Date(input.expires_at).toISOString() : null,
  };
  await c.env.KEY_GUARD.getByName(record.hash).configure(guardConfigOf(record));
  await saveKey(c.env, record);
  return c.json({ data: renderKey(record, EMPTY_USAGE), key: plaintext }, 201);
}

export async function listKeys(c: Context<AppEnv>): Promise<Response> {
  const offset = Math.max(0, Number(c.req.query("offset") ?? 0) || 0);
  const includeDisabled = c.req.query("include_disabled") === "true";
  const hashes = await tenantKeyHashes(c.env, c.var.tenant.id, { offset, limit: 100 });
  const records = await Promise.all(hashes.map((hash) => keyByHash(c.env, c.var.tenant.id, hash)));
  // Management keys are managed under /admin/tenants, not here.
  const shown = records.filter(
    (r): r is ApiKeyRecord => r !== null && !r.management && (includeDisabled || !r.disabled),
  );
  const usages = await Promise.all(shown.map((r) => usageOf(c.env, r.hash)));
  return c.json({ data: shown.map((r, i) => renderKey(r, usages[i] as KeyUsage)) });
}

async function tenantKey(c: Context<AppEnv>): Promise<ApiKeyRecord> {
  const hash = c.req.param("hash") ?? "";
  const record = await keyByHash(c.env, c.var.tenant.id, hash);
  if (!record || record.management) throw notFound(`No API key with hash ${JSON.stringify(hash)}`);
  return record;
}

export async function getKey(c: Context<AppEnv>): Promise<Response> {
  const record = await tenantKey(c);
  return c.json({ data: renderKey(record, await usageOf(c.env, record.hash)) });
}

export async function updateKey(c: Context<AppEnv>): Promise<Response> {
  const record = await tenantKey(c);
  const input = validate(updateKeyBody, await readJsonBody(c.req.raw));
  const updated: ApiKeyRecord = {
    ...record,
    ...(input.name !== undefined && { name: input.name }),
    ...(input.disabled !== undefined && { disabled: input.disabled }),
    ...(input.limit !== undefined && { limit: input.limit }),
    ...(input.limit_reset !== undefined && { limit_reset: input.limit_reset }),
    ...(input.include_byok_in_limit !== undefined && { include_byok_in_limit: input.include_byok_in_limit }),
    ...(input.requests_per_minute !== undefined && { requests_per_minute: input.requests_per_minute }),
    ...(input.tokens_per_minute !== undefined && { tokens_per_minute: input.tokens_per_minute }),
    ...(input.concurrency !== undefined && { concurrency: input.concurrency }),
    ...(input.limit_free_models !== undefined && { limit_free_models: input.limit_free_models }),
    ...(input.expires_at !== undefined && {
      expires_at: input.expires_at ? new Date(input.expires_at).toISOString() : null,
    }),
    updated_at: new Date().toISOString(),
  };
  // KeyGuard first: it enforces at once, while the KV record takes up to a minute to propagate.
  const guard = c.env.KEY_GUARD.getByName(record.hash);
  await guard.configure(guardConfigOf(updated));
  await saveKey(c.env, updated);
  return c.json({ data: renderKey(updated, await guard.usage()) });
}

export async function deleteKey(c: Context<AppEnv>): Promise<Response> {
  return revokeKey(c, await tenantKey(c));
}

/** Deletes a key: its KeyGuard refuses new leases at once, then the KV record goes. */
export async function revokeKey(c: Context<AppEnv>, record: ApiKeyRecord): Promise<Response> {
  await c.env.KEY_GUARD.getByName(record.hash).configure({ ...guardConfigOf(record), deleted: true });
  await deleteKeyRecord(c.env, record);
  return c.json({ deleted: true });
}

/** `GET /key`: the calling key (an API key, or the management key itself). */
export async function currentKey(c: Context<AppEnv>): Promise<Response> {
  const token = bearerToken(c.req.header("authorization"));
  const admin = await isAdminKey(c.env, token);
  const record = admin ? null : await findKey(c.env, token);
  const management = admin || record?.management === true;
  const refusal = admin ? undefined : keyRefusal(record, Date.now());
  if (refusal || (!admin && (!record || record.tenant_id !== c.var.tenant.id)))
    throw unauthorized(refusal ?? "API key not found");
  const base = record
    ? renderKey(record, await usageOf(c.env, record.hash))
    : {
        ...renderKey(unstoredKeyRecord("", "ADMIN_KEY", "management key", c.var.tenant.id), EMPTY_USAGE),
        label: "management key",
      };
  const rpm = record?.requests_per_minute ?? null;
  return c.json({
    data: {
      ...base,
      is_management_key: management,
      is_provisioning_key: management,
      is_free_tier: false,
      allowed_data_regions: [],
      organization_id: null,
      free_model_daily_requests: { limit: 0, remaining: 0, used: 0 },
      rate_limit:
        rpm === null
          ? { requests: -1, interval: "1m", note: "No request rate limit is set for this key" }
          : { requests: rpm, interval: "1m", note: `${rpm} requests per UTC minute` },
    },
  });
}

/**
 * `GET /credits`: for an API key, its own credit limit and usage; for the management key, the
 * sum over the tenant's keys.
 */
export async function credits(c: Context<AppEnv>): Promise<Response> {
  const token = bearerToken(c.req.header("authorization"));
  let records: ApiKeyRecord[];
  if (await canManageTenant(c, token)) {
    const hashes = await tenantKeyHashes(c.env, c.var.tenant.id, { limit: 1000 });
    records = (await Promise.all(hashes.map((hash) => keyByHash(c.env, c.var.tenant.id, hash)))).filter(
      (r): r is ApiKeyRecord => r !== null,
    );
  } else {
    const record = await findKey(c.env, token);
    const refusal = keyRefusal(record, Date.now());
    if (refusal || !record || record.tenant_id !== c.var.tenant.id)
      throw unauthorized(refusal ?? "API key not found");
    records = [record];
  }
  const usages = await Promise.all(records.map((r) => usageOf(c.env, r.hash)));
  const totalCredits = records.reduce((sum, r) => sum + (r.limit ?? 0), 0);
  const totalUsage = usages.reduce((sum, u) => sum + u.usage, 0);
  return c.json({ data: { total_credits: totalCredits, total_usage: totalUsage } });
}
