/**
 * Which provider key serves a tenant: its own (BYOK, decrypted once per tenant config and kept in
 * the isolate) or, where the tenant allows it, the platform's `<SLUG>_API_KEY`.
 */
import { type Env, providerSetting } from "../env";
import { decryptByok } from "./byok";
import type { TenantConfig } from "./types";

export interface ProviderCredential {
  apiKey: string;
  byok: boolean;
}

export interface Credentials {
  /** The key for a provider, or undefined when this tenant has none it may use. */
  forProvider(slug: string): ProviderCredential | undefined;
}

const decrypted = new WeakMap<TenantConfig, Promise<Map<string, string>>>();

async function decryptAll(env: Env, tenant: TenantConfig): Promise<Map<string, string>> {
  const keys = new Map<string, string>();
  const entries = Object.entries(tenant.byok ?? {});
  if (entries.length === 0) return keys;
  if (!env.MASTER_KEY) {
    console.error(`tenant ${tenant.id} has BYOK keys but MASTER_KEY is not set; they are ignored`);
    return keys;
  }
  for (const [slug, entry] of entries) {
    try {
      keys.set(slug, await decryptByok(env.MASTER_KEY, tenant.id, slug, entry));
    } catch (error) {
      console.error(
        `tenant ${tenant.id}: BYOK key for ${slug} does not decrypt (MASTER_KEY changed?)`,
        error,
      );
    }
  }
  return keys;
}

export async function tenantCredentials(env: Env, tenant: TenantConfig): Promise<Credentials> {
  let pending = decrypted.get(tenant);
  if (!pending) {
    pending = decryptAll(env, tenant);
    decrypted.set(tenant, pending);
  }
  const own = await pending;
  return {
    forProvider(slug) {
      const byok = own.get(slug);
      if (byok !== undefined) return { apiKey: byok, byok: true };
      if (!tenant.allow_platform_keys) return undefined;
      const platform = providerSetting(env, slug, "API_KEY");
      return platform === undefined ? undefined : { apiKey: platform, byok: false };
    },
  };
}
