/**
 * What a tenant's settings mean for one request. Pure: allow-lists, the routing preferences a
 * request ends up with, and the price the tenant's customers are charged.
 */
import type { ResolvedEndpoint } from "../catalog/types";
import type { ProviderPreferences } from "../schema/chat";
import type { TenantConfig } from "./types";

const globCache = new Map<string, RegExp>();

/** `*` matches any run of characters; everything else is literal; case-insensitive. */
export function globMatches(pattern: string, value: string): boolean {
  let regex = globCache.get(pattern);
  if (!regex) {
    const source = pattern
      .split("*")
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
      .join(".*");
    regex = new RegExp(`^${source}$`, "i");
    if (globCache.size > 5_000) globCache.clear();
    globCache.set(pattern, regex);
  }
  return regex.test(value);
}

const allowed = (patterns: string[] | null, value: string) =>
  patterns === null || patterns.some((p) => globMatches(p, value));

export function tenantAllowsModel(tenant: TenantConfig, modelId: string): boolean {
  return allowed(tenant.allowed_models, modelId);
}

/** Why the tenant does not let this endpoint serve it, or undefined when it does. */
export function tenantRefusal(tenant: TenantConfig, resolved: ResolvedEndpoint): string | undefined {
  if (!tenantAllowsModel(tenant, resolved.model.id)) return "model not allowed for this tenant";
  if (!allowed(tenant.allowed_providers, resolved.provider.slug))
    return "provider not allowed for this tenant";
  return undefined;
}

/**
 * The preferences a request routes with: the tenant's defaults, overridden field by field by the
 * request, then the tenant's data-policy floor, which a request can tighten but never loosen.
 */
export function effectivePreferences(
  tenant: TenantConfig,
  requested: ProviderPreferences | null | undefined,
): ProviderPreferences {
  const merged: ProviderPreferences = { ...(tenant.provider_defaults ?? {}), ...(requested ?? {}) };
  const floor = tenant.data_policy_floor;
  if (floor?.data_collection === "deny") merged.data_collection = "deny";
  if (floor?.zdr) merged.zdr = true;
  return merged;
}

const MARKUP_SCALE = 1_000_000n;

/** Applies the tenant's markup (or discount) to an exact cost in attodollars. */
export function chargedAtto(tenant: TenantConfig, costAtto: bigint): bigint {
  if (tenant.price_markup === 0) return costAtto;
  const factor = BigInt(Math.round((1 + tenant.price_markup) * Number(MARKUP_SCALE)));
  return (costAtto * factor) / MARKUP_SCALE;
}
