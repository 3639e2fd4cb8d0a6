/**
 * OpenRouter's `GET /api/v1/models` response → Junction's catalog document.
 *
 * OpenRouter lists models with the price of their default endpoint but not the upstream providers'
 * own model ids, so each model becomes one endpoint on a single OpenAI-compatible provider that
 * serves OpenRouter's ids: OpenRouter itself by default. With `merge`, that endpoint is added to
 * the models an existing catalog already has (a fallback for every model) and the rest are appended.
 *
 * Pure (no I/O); `.ts` imports so `scripts/import-openrouter.ts` runs it under plain Node.
 */
import { modelSchema, priceSchema } from "../schema.ts";
import type { CatalogDocument, EndpointEntry, ModelEntry, Pricing, ProviderEntry } from "../types.ts";

/** The fields of an OpenRouter model that the importer reads. */
export interface OpenRouterModel {
  id: string;
  name?: string;
  created?: number;
  description?: string;
  context_length?: number | null;
  hugging_face_id?: string | null;
  architecture?: { input_modalities?: string[]; output_modalities?: string[]; tokenizer?: string | null };
  pricing?: Record<string, unknown>;
  top_provider?: { context_length?: number | null; max_completion_tokens?: number | null };
  supported_parameters?: string[];
  [extra: string]: unknown;
}

export const OPENROUTER_PROVIDER: ProviderEntry = {
  slug: "openrouter",
  name: "OpenRouter",
  api: "openai",
  base_url: "https://openrouter.ai/api/v1",
  regions: [{ id: "global", lat: 37.77, lon: -122.42, country: "US" }],
  data_policy: { training: false, retains_prompts: false, zdr: false },
  privacy_policy_url: "https://openrouter.ai/privacy",
  terms_of_service_url: "https://openrouter.ai/terms",
  status_page_url: "https://status.openrouter.ai/",
  headquarters: "US",
};

/** The string prices OpenRouter gives; "-1" (a router's variable price) and non-strings are left out. */
function pricingOf(raw: Record<string, unknown> | undefined): Pricing | undefined {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw ?? {})) {
    if (typeof value === "string" && priceSchema.safeParse(value).success) out[key] = value;
  }
  return out.prompt !== undefined && out.completion !== undefined ? (out as Pricing) : undefined;
}

function endpointOf(
  model: OpenRouterModel,
  provider: ProviderEntry,
  pricing: Pricing,
  context: number,
): EndpointEntry {
  return {
    provider: provider.slug,
    provider_model_id: model.id,
    context_length: model.top_provider?.context_length ?? context,
    max_completion_tokens: model.top_provider?.max_completion_tokens ?? null,
    quantization: null,
    pricing,
    supported_parameters: model.supported_parameters ?? [],
  };
}

export interface OpenRouterImportOptions {
  /** the provider serving OpenRouter's model ids (default: OpenRouter) */
  provider?: ProviderEntry;
  /** a catalog to add to instead of starting empty */
  merge?: CatalogDocument;
  source?: string;
}

export function importOpenRouter(
  response: { data: OpenRouterModel[] },
  options: OpenRouterImportOptions = {},
): { document: CatalogDocument; skipped: string[] } {
  const provider = options.provider ?? OPENROUTER_PROVIDER;
  const skipped: string[] = [];
  const models = new Map<string, ModelEntry>((options.merge?.models ?? []).map((m) => [m.id, m]));
  for (const raw of response.data) {
    const pricing = pricingOf(raw.pricing);
    const context = raw.context_length ?? raw.top_provider?.context_length ?? undefined;
    if (!pricing || !context) {
      skipped.push(`${raw.id}: ${pricing ? "no context length" : "no fixed prompt/completion price"}`);
      continue;
    }
    const endpoint = endpointOf(raw, provider, pricing, context);
    const existing = models.get(raw.id);
    if (existing) {
      const others = existing.endpoints.filter((e) => e.provider !== provider.slug);
      models.set(raw.id, { ...existing, endpoints: [...others, endpoint] });
      continue;
    }
    const { architecture, pricing: _p, top_provider: _t, supported_parameters: _s, links: _l, ...rest } = raw;
    const candidate = {
      ...rest,
      name: raw.name ?? raw.id,
      created: raw.created ?? 0,
      context_length: context,
      input_modalities: architecture?.input_modalities ?? ["text"],
      output_modalities: architecture?.output_modalities ?? ["text"],
      tokenizer: architecture?.tokenizer ?? "Other",
      endpoints: [endpoint],
    };
    const parsed = modelSchema.safeParse(candidate);
    if (!parsed.success) {
      skipped.push(
        `${raw.id}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`,
      );
      continue;
    }
    models.set(raw.id, parsed.data as ModelEntry);
  }
  const base = options.merge?.providers ?? [];
  return {
    document: {
      ...(options.merge ?? {}),
      source: options.source ?? options.merge?.source ?? "OpenRouter /api/v1/models",
      providers: [...base.filter((p) => p.slug !== provider.slug), provider],
      models: [...models.values()],
    },
    skipped,
  };
}
