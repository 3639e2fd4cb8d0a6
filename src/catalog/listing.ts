/**
 * OpenRouter's shapes for the catalog endpoints, as `@openrouter/sdk` validates them (every key its
 * zod schemas require is present, nullable ones as null). Pure functions: the listing is rendered
 * once per catalog version (at upload, or once per isolate for the bundled catalog), not per request.
 */
import type { EndpointEntry, ModelEntry, Pricing, ProviderEntry, ResolvedEndpoint } from "./types.ts";

export interface Percentiles {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

/** Live health of one endpoint. Until the stats issue fills it, every field is null (unknown). */
export interface EndpointLiveStats {
  uptime_last_5m: number | null;
  uptime_last_30m: number | null;
  uptime_last_1d: number | null;
  latency_last_30m: Percentiles | null;
  throughput_last_30m: Percentiles | null;
}

export const NO_STATS: EndpointLiveStats = {
  uptime_last_5m: null,
  uptime_last_30m: null,
  uptime_last_1d: null,
  latency_last_30m: null,
  throughput_last_30m: null,
};

/** Only the string prices (the document allows extra keys; clients expect strings). */
function renderPricing(pricing: Pricing): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(pricing)) if (typeof value === "string") out[key] = value;
  return out;
}

const optionalString = (value: unknown): string | null => (typeof value === "string" ? value : null);

function architecture(model: ModelEntry) {
  return {
    modality: `${model.input_modalities.join("+")}->${model.output_modalities.join("+")}`,
    input_modalities: model.input_modalities,
    output_modalities: model.output_modalities,
    tokenizer: model.tokenizer,
    instruct_type: null,
  };
}

export function renderModel(model: ModelEntry) {
  const top = model.endpoints[0];
  const supported = new Set(model.endpoints.flatMap((e) => e.supported_parameters));
  return {
    id: model.id,
    canonical_slug: optionalString(model.canonical_slug) ?? model.id,
    hugging_face_id: model.hugging_face_id ?? null,
    name: model.name,
    created: model.created,
    description: model.description ?? "",
    context_length: model.context_length,
    architecture: architecture(model),
    pricing: top ? renderPricing(top.pricing) : { prompt: "0", completion: "0" },
    top_provider: {
      context_length: top?.context_length ?? model.context_length,
      max_completion_tokens: top?.max_completion_tokens ?? null,
      is_moderated: model.is_moderated === true,
    },
    per_request_limits: null,
    supported_parameters: [...supported],
    default_parameters: null,
    supported_voices: null,
    knowledge_cutoff: optionalString(model.knowledge_cutoff),
    expiration_date: optionalString(model.expiration_date),
    links: { details: `/api/v1/models/${model.id}/endpoints` },
  };
}

export type ListedModel = ReturnType<typeof renderModel>;

interface ToolChoiceSupport {
  auto: boolean;
  none: boolean;
  required: boolean;
  function: boolean;
}

/** From the endpoint's own `supports_tool_choice` when given, else from its supported parameters. */
function toolChoiceSupport(endpoint: EndpointEntry): ToolChoiceSupport {
  const declared = endpoint.supports_tool_choice;
  if (declared && typeof declared === "object") return declared as ToolChoiceSupport;
  const choice = endpoint.supported_parameters.includes("tool_choice");
  const tools = choice || endpoint.supported_parameters.includes("tools");
  return { auto: tools, none: choice, required: choice, function: choice };
}

/** Implicit (automatic) prompt caching: discounted cache reads without a priced cache write. */
function implicitCaching(endpoint: EndpointEntry): boolean {
  if (typeof endpoint.supports_implicit_caching === "boolean") return endpoint.supports_implicit_caching;
  return endpoint.pricing.input_cache_read !== undefined && endpoint.pricing.input_cache_write === undefined;
}

export function renderEndpoint({ model, endpoint, provider }: ResolvedEndpoint, stats = NO_STATS) {
  return {
    name: `${provider.name} | ${model.id}`,
    model_id: model.id,
    model_name: model.name,
    context_length: endpoint.context_length,
    pricing: renderPricing(endpoint.pricing),
    provider_name: provider.name,
    tag: endpoint.quantization ? `${provider.slug}/${endpoint.quantization}` : provider.slug,
    quantization: endpoint.quantization,
    max_completion_tokens: endpoint.max_completion_tokens,
    max_prompt_tokens: typeof endpoint.max_prompt_tokens === "number" ? endpoint.max_prompt_tokens : null,
    supported_parameters: endpoint.supported_parameters,
    status: 0,
    supports_implicit_caching: implicitCaching(endpoint),
    supports_tool_choice: toolChoiceSupport(endpoint),
    uptime_last_5m: stats.uptime_last_5m,
    uptime_last_30m: stats.uptime_last_30m,
    uptime_last_1d: stats.uptime_last_1d,
    latency_last_30m: stats.latency_last_30m,
    throughput_last_30m: stats.throughput_last_30m,
  };
}

/** `GET /models/{author}/{slug}/endpoints` → `data`. */
export function renderModelEndpoints(
  model: ModelEntry,
  endpoints: readonly ResolvedEndpoint[],
  statsFor: (resolved: ResolvedEndpoint) => EndpointLiveStats = () => NO_STATS,
) {
  return {
    id: model.id,
    name: model.name,
    created: model.created,
    description: model.description ?? "",
    architecture: architecture(model),
    endpoints: endpoints.map((resolved) => renderEndpoint(resolved, statsFor(resolved))),
  };
}

/** `GET /providers` item: OpenRouter's keys, plus Junction's regions and data policy. */
export function renderProvider(provider: ProviderEntry) {
  const countries = [...new Set((provider.regions ?? []).flatMap((r) => (r.country ? [r.country] : [])))];
  return {
    name: provider.name,
    slug: provider.slug,
    privacy_policy_url: provider.privacy_policy_url ?? null,
    terms_of_service_url: provider.terms_of_service_url ?? null,
    status_page_url: provider.status_page_url ?? null,
    headquarters: provider.headquarters ?? null,
    datacenters: countries.length > 0 ? countries : null,
    regions: provider.regions ?? [],
    data_policy: provider.data_policy ?? null,
  };
}
