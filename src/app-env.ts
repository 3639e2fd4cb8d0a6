import type { Env } from "./env";
import type { ApiKeyRecord } from "./keys/store";
import type { TenantConfig } from "./tenants/types";

/** Hono's environment for Junction's routes: bindings plus what the middleware resolved. */
export interface AppEnv {
  Bindings: Env;
  Variables: { tenant: TenantConfig; apiKey: ApiKeyRecord };
}
