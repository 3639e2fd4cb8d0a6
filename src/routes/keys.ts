/** API key management (`POST /keys`) and the calling key's metadata (`GET /key`). */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { badRequest, unauthorized } from "../errors";
import { keyLabel, newApiKey, sha256Hex } from "../keys/hash";
import { type ApiKeyRecord, findKey, keyRefusal, saveKey } from "../keys/store";
import { bearerToken, isAdminKey } from "./auth";
import { readJsonBody, validate } from "./body";

const createKeyBody = z.looseObject({
  name: z.string().trim().min(1, "name must not be empty").max(200),
  limit: z.number().nonnegative().nullish(),
  limit_reset: z.enum(["daily", "weekly", "monthly"]).nullish(),
  include_byok_in_limit: z.boolean().optional(),
  expires_at: z.iso.datetime({ offset: true }).nullish(),
});

/**
 * Usage figures are zero until the KeyGuard ledger (limits issue) records spend; the fields are
 * present because OpenRouter's SDK requires them.
 */
function renderKey(record: ApiKeyRecord) {
  return {
    hash: record.hash,
    name: record.name,
    label: record.label,
    disabled: record.disabled,
    limit: record.limit,
    limit_remaining: record.limit,
    limit_reset: record.limit_reset,
    include_byok_in_limit: record.include_byok_in_limit,
    usage: 0,
    usage_daily: 0,
    usage_weekly: 0,
    usage_monthly: 0,
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
  };
}

export async function createKey(c: Context<AppEnv>): Promise<Response> {
  const input = validate(createKeyBody, await readJsonBody(c.req.raw));
  if (input.expires_at && Date.parse(input.expires_at) <= Date.now()) {
    throw badRequest("Invalid request: expires_at: must be in the future", {
      issues: [{ path: "expires_at", message: "must be in the future" }],
    });
  }
  const plaintext = newApiKey();
  const record: ApiKeyRecord = {
    hash: await sha256Hex(plaintext),
    name: input.name,
    label: keyLabel(plaintext),
    tenant_id: c.var.tenant.id,
    disabled: false,
    limit: input.limit ?? null,
    limit_reset: input.limit_reset ?? null,
    include_byok_in_limit: input.include_byok_in_limit ?? false,
    created_at: new Date().toISOString(),
    updated_at: null,
    expires_at: input.expires_at ? new Date(input.expires_at).toISOString() : null,
  };
  await saveKey(c.env, record);
  return c.json({ data: renderKey(record), key: plaintext }, 201);
}

/** `GET /key`: the calling key (an API key, or the management key itself). */
export async function currentKey(c: Context<AppEnv>): Promise<Response> {
  const token = bearerToken(c.req.header("authorization"));
  const admin = await isAdminKey(c.env, token);
  const record = admin ? null : await findKey(c.env, token);
  const refusal = admin ? undefined : keyRefusal(record, Date.now());
  if (refusal) throw unauthorized(refusal);
  const base = record
    ? renderKey(record)
    : { ...renderKey(managementRecord(c.var.tenant.id)), label: "management key" };
  return c.json({
    data: {
      ...base,
      is_management_key: admin,
      is_provisioning_key: admin,
      is_free_tier: false,
      allowed_data_regions: [],
      organization_id: null,
      free_model_daily_requests: { limit: 0, remaining: 0, used: 0 },
      rate_limit: { requests: -1, interval: "10s", note: "No request rate limit is set for this key" },
    },
  });
}

function managementRecord(tenantId: string): ApiKeyRecord {
  return {
    hash: "",
    name: "ADMIN_KEY",
    label: "management key",
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
