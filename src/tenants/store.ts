/**
 * Tenants in KV, resolved from the request's host name and memoised in the isolate.
 *
 * Storage schema (KV namespace `CATALOG`):
 *   `tenant:<id>`     → JSON `TenantConfig` (BYOK keys inside are AES-GCM ciphertexts)
 *   `host:<hostname>` → tenant id
 *
 * The deployment's own host names (localhost, 127.0.0.1, [::1], *.workers.dev and those in
 * `PLATFORM_HOSTNAMES`) belong to the default tenant, whose config is `tenant:default` or, when
 * that is absent, an unrestricted built-in one. Every other host must be mapped, or it is a 404.
 * A resolved host is remembered for `TENANT_CACHE_TTL_MS` (default 30 s): changes take effect
 * everywhere within that time, and a warm request reads no KV.
 */
import { type Env, intSetting } from "../env";
import { JunctionError } from "../errors";
import { DEFAULT_TENANT_ID, defaultTenant, type TenantConfig } from "./types";

const MEMO_MAX = 1_000;
const memo = new Map<string, { tenant: TenantConfig | null; expires: number }>();

const tenantKey = (id: string) => `tenant:${id}`;
const hostKey = (host: string) => `host:${host}`;

/** Lower-cased, without a trailing dot; `URL` has already dropped the port. */
export function normalizeHost(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
}

export function isPlatformHost(env: Env, host: string): boolean {
  if (host === "localhost" || host === "127.0.0.1" || host === "[::1]" || host.endsWith(".workers.dev"))
    return true;
  for (const entry of (env.PLATFORM_HOSTNAMES ?? "").split(",")) {
    const pattern = entry.trim().toLowerCase();
    if (pattern === "") continue;
    if (pattern.startsWith("*.") ? host.endsWith(pattern.slice(1)) : host === pattern) return true;
  }
  return false;
}

export async function getTenant(env: Env, id: string): Promise<TenantConfig | null> {
  const stored = await env.CATALOG.get<TenantConfig>(tenantKey(id), "json");
  return stored ?? (id === DEFAULT_TENANT_ID ? defaultTenant() : null);
}

async function lookup(env: Env, host: string): Promise<TenantConfig | null> {
  if (isPlatformHost(env, host)) return getTenant(env, DEFAULT_TENANT_ID);
  const id = await env.CATALOG.get(hostKey(host));
  return id === null ? null : getTenant(env, id);
}

/** The tenant serving `host`; a 404 for a host no tenant claims. */
export async function tenantForHost(env: Env, host: string, now = Date.now()): Promise<TenantConfig> {
  const cached = memo.get(host);
  let tenant: TenantConfig | null;
  if (cached && cached.expires > now) tenant = cached.tenant;
  else {
    tenant = await lookup(env, host);
    if (memo.size >= MEMO_MAX) memo.delete(memo.keys().next().value as string);
    memo.set(host, { tenant, expires: now + intSetting(env.TENANT_CACHE_TTL_MS, 30_000) });
  }
  if (!tenant)
    throw new JunctionError(404, `No router is configured for host ${host}`, "not_found", { host });
  return tenant;
}

/** Writes a tenant and its host map; refuses host names another tenant holds. */
export async function saveTenant(
  env: Env,
  tenant: TenantConfig,
  previous: TenantConfig | null,
): Promise<void> {
  for (const host of tenant.hostnames) {
    if (isPlatformHost(env, host)) {
      throw new JunctionError(409, `Host ${host} belongs to the deployment itself`, "invalid_request", {
        host,
      });
    }
    const owner = await env.CATALOG.get(hostKey(host));
    if (owner !== null && owner !== tenant.id) {
      throw new JunctionError(409, `Host ${host} is already used by another tenant`, "invalid_request", {
        host,
      });
    }
  }
  await env.CATALOG.put(tenantKey(tenant.id), JSON.stringify(tenant));
  for (const host of tenant.hostnames) await env.CATALOG.put(hostKey(host), tenant.id);
  for (const host of previous?.hostnames ?? []) {
    if (!tenant.hostnames.includes(host)) await env.CATALOG.delete(hostKey(host));
  }
  forget(tenant, previous);
}

export async function deleteTenant(env: Env, tenant: TenantConfig): Promise<void> {
  for (const host of tenant.hostnames) await env.CATALOG.delete(hostKey(host));
  await env.CATALOG.delete(tenantKey(tenant.id));
  forget(tenant, null);
}

export async function listTenants(env: Env): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let calls = 0; calls < 20; calls++) {
    const page: KVNamespaceListResult<unknown> = await env.CATALOG.list({
      prefix: "tenant:",
      ...(cursor ? { cursor } : {}),
    });
    for (const { name } of page.keys) ids.push(name.slice("tenant:".length));
    if (page.list_complete) break;
    cursor = page.cursor;
  }
  return ids;
}

/** This isolate sees its own changes at once; others within the memo TTL. */
function forget(tenant: TenantConfig, previous: TenantConfig | null): void {
  for (const [host, entry] of memo) {
    if (
      entry.tenant?.id === tenant.id ||
      tenant.hostnames.includes(host) ||
      previous?.hostnames.includes(host)
    ) {
      memo.delete(host);
    }
  }
}
