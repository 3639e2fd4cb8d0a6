/**
 * A tenant: one branded router inside the deployment, with its own host names, keys, model and
 * provider allow-lists, routing defaults, pricing and (optionally) its own provider accounts.
 */
import { z } from "zod";
import { providerPreferences } from "../schema/chat";

export const TENANT_ID = /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
const HOSTNAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Model ids or provider slugs with `*` wildcards: `meta-llama/*`, `*:free`, `openai`. */
const glob = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\w.:/*@-]+$/, "only letters, digits, . : / - _ @ and * wildcards");

/** A BYOK provider key, encrypted with AES-GCM under a key derived from MASTER_KEY for this tenant. */
export interface ByokEntry {
  ciphertext: string;
  iv: string;
  /** `sha256:` and the first 16 hex characters of the plaintext's SHA-256: shown instead of the key. */
  fingerprint: string;
  created_at: string;
}

export const keyLimitDefaults = z
  .object({
    limit: z.number().nonnegative().nullable().optional(),
    limit_reset: z.enum(["daily", "weekly", "monthly"]).nullable().optional(),
    requests_per_minute: z.int().positive().nullable().optional(),
    tokens_per_minute: z.int().positive().nullable().optional(),
    concurrency: z.int().positive().nullable().optional(),
  })
  .strict();

/** The settings an operator (or the tenant's own management key) may set. */
export const tenantSettings = z
  .object({
    name: z.string().trim().min(1).max(200),
    hostnames: z
      .array(
        z
          .string()
          .transform((h) => h.trim().toLowerCase().replace(/\.$/, ""))
          .pipe(z.string().regex(HOSTNAME, "must be a host name like api.example.com")),
      )
      .max(50),
    allowed_models: z.array(glob).max(500).nullable(),
    allowed_providers: z.array(glob).max(200).nullable(),
    provider_defaults: providerPreferences.nullable(),
    default_key_limits: keyLimitDefaults.nullable(),
    /** Applied to reported cost: 0.1 adds 10 %, -0.2 takes 20 % off. */
    price_markup: z.number().min(-1).max(10),
    data_policy_floor: z
      .object({ data_collection: z.enum(["allow", "deny"]).optional(), zdr: z.boolean().optional() })
      .strict()
      .nullable(),
    /** Whether the platform's provider keys serve this tenant when it has no key of its own for a provider. */
    allow_platform_keys: z.boolean(),
  })
  .strict();

export type TenantSettings = z.infer<typeof tenantSettings>;

export interface TenantConfig extends TenantSettings {
  id: string;
  byok: Record<string, ByokEntry>;
  created_at: string;
  updated_at: string | null;
}

export const DEFAULT_TENANT_ID = "default";

export function defaultTenant(): TenantConfig {
  return {
    id: DEFAULT_TENANT_ID,
    name: "Junction",
    hostnames: [],
    allowed_models: null,
    allowed_providers: null,
    provider_defaults: null,
    default_key_limits: null,
    price_markup: 0,
    data_policy_floor: null,
    allow_platform_keys: true,
    byok: {},
    created_at: new Date(0).toISOString(),
    updated_at: null,
  };
}
