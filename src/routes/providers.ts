/** `GET /providers`: every provider in the catalog, in OpenRouter's shape. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { renderProvider } from "../catalog/listing";
import { loadCatalog } from "../catalog/store";

export async function listProviders(c: Context<AppEnv>): Promise<Response> {
  // No model ids: loads only the providers (one KV read when cold), never a shard.
  const catalog = await loadCatalog(c.env, []);
  return c.json({ data: catalog.providers().map(renderProvider) }, 200, {
    "x-catalog-version": catalog.version,
  });
}
