/** Bearer-key authentication for inference and management routes. */
import type { Context, MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { JunctionError, unauthorized } from "../errors";
import { secretsEqual } from "../keys/hash";
import { type ApiKeyRecord, findKey, keyRefusal } from "../keys/store";

export function bearerToken(header: string | undefined): string {
  if (header === undefined || header.trim() === "")
    throw unauthorized("Missing Authorization header; expected 'Bearer <key>'");
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw unauthorized("Malformed Authorization header; expected 'Bearer <key>'");
  return match[1];
}

export async function isAdminKey(env: Env, token: string): Promise<boolean> {
  return env.ADMIN_KEY !== undefined && env.ADMIN_KEY !== "" && (await secretsEqual(token, env.ADMIN_KEY));
}

/** The usable key record for `token` on this tenant's host, or null (a key of another tenant is unknown here). */
async function tenantKeyFor(c: Context<AppEnv>, token: string): Promise<ApiKeyRecord | null> {
  const record = await findKey(c.env, token);
  if (!record || keyRefusal(record, Date.now()) || record.tenant_id !== c.var.tenant.id) return null;
  return record;
}

/** Requires an enabled, unexpired API key of this tenant; sets `apiKey`. */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  const record = await findKey(c.env, token);
  const refusal = keyRefusal(record, Date.now());
  if (refusal || !record) throw unauthorized(refusal ?? "API key not found");
  if (record.tenant_id !== c.var.tenant.id) throw unauthorized("API key not found");
  if (record.management) {
    throw new JunctionError(403, "A management key cannot call models; use an API key", "permission_denied");
  }
  c.set("apiKey", record);
  await next();
};

/** Whether `token` may manage this tenant: the platform `ADMIN_KEY`, or one of the tenant's management keys. */
export async function canManageTenant(c: Context<AppEnv>, token: string): Promise<boolean> {
  if (await isAdminKey(c.env, token)) return true;
  return (await tenantKeyFor(c, token))?.management === true;
}

/** Requires a key that manages this tenant (see `canManageTenant`). */
export const requireManagement: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (await canManageTenant(c, token)) return next();
  if (await tenantKeyFor(c, token)) {
    throw new JunctionError(
      403,
      "This endpoint needs a management key; an inference key was given",
      "permission_denied",
    );
  }
  throw unauthorized("Invalid management key");
};

/** Requires the platform management key (`ADMIN_KEY`): deployment-wide settings and data. */
export const requirePlatformAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (await isAdminKey(c.env, token)) return next();
  if (await tenantKeyFor(c, token)) {
    throw new JunctionError(403, "This endpoint needs the platform management key", "permission_denied");
  }
  throw unauthorized("Invalid management key");
};
