/**
 * Tenant management. The platform `ADMIN_KEY` manages every tenant under `/admin/tenants`
 * (settings, host names, BYOK keys, management keys); a tenant's own management keys manage that
 * tenant alone under `/tenant`, on the tenant's host, and cannot touch host names, pricing or the
 * use of the platform's provider accounts.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { badRequest, JunctionError, notFound } from "../errors";
import { keyLabel, newApiKey, sha256Hex } from "../keys/hash";
import { type ApiKeyRecord, keyByHash, saveKey } from "../keys/store";
import { guardConfigOf } from "../limits/admission";
import { encryptByok } from "../tenants/byok";
import { deleteTenant, getTenant, listTenants, saveTenant } from "../tenants/store";
import {
  DEFAULT_TENANT_ID,
  defaultTenant,
  TENANT_ID,
  type TenantConfig,
  tenantSettings,
} from "../tenants/types";
import { readJsonBody, validate } from "./body";
import { revokeKey } from "./keys";

/** What any API shows of a tenant: BYOK keys only by fingerprint. */
export function renderTenant(tenant: TenantConfig) {
  const { byok, ...settings } = tenant;
  return {
    ...settings,
    byok: Object.fromEntries(
      Object.entries(byok ?? {}).map(([provider, entry]) => [
        provider,
        { fingerprint: entry.fingerprint, created_at: entry.created_at },
      ]),
    ),
  };
}

const createBody = tenantSettings
  .partial()
  .extend({ id: z.string().regex(TENANT_ID, "lower-case letters, digits and -, at most 40") });
const platformPatch = tenantSettings.partial();
/** What a tenant may change about itself. */
const selfPatch = tenantSettings
  .pick({
    name: true,
    allowed_models: true,
    allowed_providers: true,
    provider_defaults: true,
    default_key_limits: true,
    data_policy_floor: true,
  })
  .partial();
const byokBody = z.object({ api_key: z.string().min(1).max(4096) }).strict();
const PROVIDER_SLUG = /^[a-z0-9][a-z0-9-]{0,63}$/;

async function tenantParam(c: Context<AppEnv>): Promise<TenantConfig> {
  const id = c.req.param("id") ?? "";
  const tenant = TENANT_ID.test(id) ? await getTenant(c.env, id) : null;
  if (!tenant) throw notFound(`No tenant ${JSON.stringify(id)}`);
  return tenant;
}

async function update(
  c: Context<AppEnv>,
  tenant: TenantConfig,
  changes: Partial<TenantConfig>,
): Promise<Response> {
  const updated: TenantConfig = { ...tenant, ...changes, updated_at: new Date().toISOString() };
  await saveTenant(c.env, updated, tenant);
  return c.json({ data: renderTenant(updated) });
}

export async function listTenantsRoute(c: Context<AppEnv>): Promise<Response> {
  const ids = await listTenants(c.env);
  if (!ids.includes(DEFAULT_TENANT_ID)) ids.unshift(DEFAULT_TENANT_ID);
  const tenants = await Promise.all(ids.map((id) => getTenant(c.env, id)));
  return c.json({ data: tenants.filter((t): t is TenantConfig => t !== null).map(renderTenant) });
}

export async function createTenant(c: Context<AppEnv>): Promise<Response> {
  const input = validate(createBody, await readJsonBody(c.req.raw));
  if (await c.env.CATALOG.get(`tenant:${input.id}`)) {
    throw new JunctionError(409, `Tenant ${input.id} already exists`, "invalid_request");
  }
  const tenant: TenantConfig = {
    ...defaultTenant(),
    name: input.id,
    ...input,
    byok: {},
    created_at: new Date().toISOString(),
    updated_at: null,
  };
  await saveTenant(c.env, tenant, null);
  return c.json({ data: renderTenant(tenant) }, 201);
}

export async function getTenantRoute(c: Context<AppEnv>): Promise<Response> {
  return c.json({ data: renderTenant(await tenantParam(c)) });
}

export async function patchTenant(c: Context<AppEnv>): Promise<Response> {
  const tenant = await tenantParam(c);
  return update(c, tenant, validate(platformPatch, await readJsonBody(c.req.raw)));
}

export async function deleteTenantRoute(c: Context<AppEnv>): Promise<Response> {
  const tenant = await tenantParam(c);
  if (tenant.id === DEFAULT_TENANT_ID) throw badRequest("The default tenant cannot be deleted");
  await deleteTenant(c.env, tenant);
  return c.json({ deleted: true });
}

async function putByok(c: Context<AppEnv>, tenant: TenantConfig): Promise<Response> {
  const provider = c.req.param("provider") ?? "";
  if (!PROVIDER_SLUG.test(provider)) throw badRequest(`Invalid provider slug ${JSON.stringify(provider)}`);
  const { api_key } = validate(byokBody, await readJsonBody(c.req.raw));
  if (!c.env.MASTER_KEY) {
    throw new JunctionError(
      503,
      "MASTER_KEY is not set, so provider keys cannot be stored encrypted",
      "provider_unavailable",
    );
  }
  const entry = await encryptByok(c.env.MASTER_KEY, tenant.id, provider, api_key);
  await saveTenant(
    c.env,
    { ...tenant, byok: { ...tenant.byok, [provider]: entry }, updated_at: new Date().toISOString() },
    tenant,
  );
  return c.json({ data: { provider, fingerprint: entry.fingerprint, created_at: entry.created_at } });
}

async function deleteByok(c: Context<AppEnv>, tenant: TenantConfig): Promise<Response> {
  const provider = c.req.param("provider") ?? "";
  if (!tenant.byok[provider]) throw notFound(`No key for provider ${JSON.stringify(provider)}`);
  const { [provider]: _removed, ...rest } = tenant.byok;
  await saveTenant(c.env, { ...tenant, byok: rest, updated_at: new Date().toISOString() }, tenant);
  return c.json({ deleted: true });
}

export const putTenantByok = async (c: Context<AppEnv>) => putByok(c, await tenantParam(c));
export const deleteTenantByok = async (c: Context<AppEnv>) => deleteByok(c, await tenantParam(c));

/** A management key for one tenant; the plaintext is returned once. */
export async function createManagementKey(c: Context<AppEnv>): Promise<Response> {
  const tenant = await tenantParam(c);
  const { name } = validate(
    z.looseObject({ name: z.string().trim().min(1).max(200) }),
    await readJsonBody(c.req.raw),
  );
  const plaintext = newApiKey();
  const record: ApiKeyRecord = {
    hash: await sha256Hex(plaintext),
    name,
    label: keyLabel(plaintext),
    tenant_id: tenant.id,
    disabled: false,
    limit: null,
    limit_reset: null,
    include_byok_in_limit: false,
    management: true,
    created_at: new Date().toISOString(),
    updated_at: null,
    expires_at: null,
  };
  await c.env.KEY_GUARD.getByName(record.hash).configure(guardConfigOf(record));
  await saveKey(c.env, record);
  return c.json(
    {
      data: { hash: record.hash, name, label: record.label, tenant_id: tenant.id, management: true },
      key: plaintext,
    },
    201,
  );
}

export async function deleteManagementKey(c: Context<AppEnv>): Promise<Response> {
  const tenant = await tenantParam(c);
  const record = await keyByHash(c.env, tenant.id, c.req.param("hash") ?? "");
  if (!record?.management) throw notFound("No such management key");
  return revokeKey(c, record);
}

// ── the tenant managing itself, on its own host ───────────────────────────────

export const getOwnTenant = (c: Context<AppEnv>) => c.json({ data: renderTenant(c.var.tenant) });

export async function patchOwnTenant(c: Context<AppEnv>): Promise<Response> {
  // Read fresh: the request's copy may be up to a memo TTL old.
  const tenant = (await getTenant(c.env, c.var.tenant.id)) ?? c.var.tenant;
  return update(c, tenant, validate(selfPatch, await readJsonBody(c.req.raw)));
}

export const putOwnByok = async (c: Context<AppEnv>) =>
  putByok(c, (await getTenant(c.env, c.var.tenant.id)) ?? c.var.tenant);
export const deleteOwnByok = async (c: Context<AppEnv>) =>
  deleteByok(c, (await getTenant(c.env, c.var.tenant.id)) ?? c.var.tenant);
