/**
 * Catalog access for the hot path. A catalog is indexed once per isolate; lookups are Map reads.
 * Today it serves the bundled document; the KV-backed, sharded store replaces `loadCatalog`.
 */
import type { Env } from "../env";
import { bundledCatalog } from "./bundled";
import type { CatalogDocument, ModelEntry, ProviderEntry, ResolvedEndpoint } from "./types";

export interface Catalog {
  readonly document: CatalogDocument;
  model(id: string): ModelEntry | undefined;
  provider(slug: string): ProviderEntry | undefined;
  /** The model's endpoints joined with their providers, in catalog order. */
  endpoints(model: ModelEntry): ResolvedEndpoint[];
}

export function indexCatalog(document: CatalogDocument): Catalog {
  const models = new Map(document.models.map((m) => [m.id, m]));
  const providers = new Map(document.providers.map((p) => [p.slug, p]));
  const joined = new Map<string, ResolvedEndpoint[]>();
  return {
    document,
    model: (id) => models.get(id),
    provider: (slug) => providers.get(slug),
    endpoints(model) {
      let list = joined.get(model.id);
      if (!list) {
        list = model.endpoints.flatMap((endpoint) => {
          const provider = providers.get(endpoint.provider);
          return provider ? [{ model, endpoint, provider }] : [];
        });
        joined.set(model.id, list);
      }
      return list;
    },
  };
}

let bundled: Catalog | undefined;

export async function loadCatalog(_env: Env): Promise<Catalog> {
  bundled ??= indexCatalog(bundledCatalog);
  return bundled;
}
