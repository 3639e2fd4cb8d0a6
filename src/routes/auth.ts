/** Bearer-key authentication for inference and management routes. */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import type { Env } from "../env";
import { JunctionError, unauthorized } from "../errors";
import { secretsEqual } from "../keys/hash";
import { findKey, keyRefusal } from "../keys/store";

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

/** Requires an enabled, unexpired API key; sets `apiKey`. */
export const requireApiKey: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  const record = await findKey(c.env, token);
  const refusal = keyRefusal(record, Date.now());
  if (refusal || !record) throw unauthorized(refusal ?? "API key not found");
  if (record.tenant_id !== c.var.tenant.id) throw unauthorized("API key not found");
  c.set("apiKey", record);
  await next();
};

/** Requires the platform management key (`ADMIN_KEY`). */
export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  const token = bearerToken(c.req.header("authorization"));
  if (await isAdminKey(c.env, token)) return next();
  const record = await findKey(c.env, token);
  if (record && !keyRefusal(record, Date.now())) {
    throw new JunctionError(
      403,
      "This endpoint needs a management key; an inference key was given",
      "permission_denied",
    );
  }
  throw unauthorized("Invalid management key");
};
