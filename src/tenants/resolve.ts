/**
 * Tenant resolution from the request's host name (DESIGN.md §2). Every host maps to the default
 * tenant until the tenancy issue adds the host → tenant map in KV.
 */

export interface Tenant {
  id: string;
  name: string;
}

export const DEFAULT_TENANT: Tenant = { id: "default", name: "Junction" };

/** Lower-cased, without a trailing dot; `URL` has already dropped the port. */
export function normalizeHost(url: string): string {
  return new URL(url).hostname.toLowerCase().replace(/\.$/, "");
}

export function resolveTenant(_host: string): Tenant {
  return DEFAULT_TENANT;
}
