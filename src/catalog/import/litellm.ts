/**
 * LiteLLM's price map (`model_prices_and_context_window.json`) → Junction's catalog document.
 *
 * LiteLLM keys prices by each provider's own model name (`groq/llama-3.3-70b-versatile`), so the
 * same open-weight model appears under many keys. Two ways in:
 * - `importCurated`: a curation names each canonical model (`meta-llama/llama-3.3-70b-instruct`)
 *   and the LiteLLM keys of its endpoints; prices, context windows and capabilities come from
 *   LiteLLM. This is how the bundled catalog is built.
 * - `importAll`: every chat entry of the known providers becomes a model of its own
 *   (`groq/llama-3.3-70b-versatile`), for operators who want LiteLLM's whole list.
 *
 * Pure (no I/O); `.ts` imports so `scripts/import-litellm.ts` runs it under plain Node.
 */
import { QUANTIZATIONS } from "../schema.ts";
import type {
  ApiFamily,
  CatalogDocument,
  EndpointEntry,
  ModelEntry,
  Pricing,
  ProviderEntry,
} from "../types.ts";

/** The fields of a LiteLLM entry that the importer reads (the map has many more). */
export interface LiteLlmEntry {
  litellm_provider?: string;
  mode?: string;
  input_cost_per_token?: number | null;
  output_cost_per_token?: number | null;
  cache_read_input_token_cost?: number | null;
  cache_creation_input_token_cost?: number | null;
  output_cost_per_reasoning_token?: number | null;
  input_cost_per_image?: number | null;
  input_cost_per_request?: number | null;
  max_input_tokens?: number | null;
  max_output_tokens?: number | null;
  max_tokens?: number | null;
  supports_function_calling?: boolean;
  supports_tool_choice?: boolean;
  supports_response_schema?: boolean;
  supports_reasoning?: boolean;
  supports_vision?: boolean;
  supports_pdf_input?: boolean;
  supports_audio_input?: boolean;
  supports_video_input?: boolean;
  supports_native_structured_output?: boolean;
  supports_adaptive_thinking?: boolean;
}

export type LiteLlmMap = Record<string, unknown>;

/** A provider of the curation: a catalog provider plus how LiteLLM names it. */
export interface CuratedProvider extends ProviderEntry {
  litellm?: {
    /** `litellm_provider` values of this provider's entries */
    providers: string[];
    /** stripped from a LiteLLM key to get the provider's model id, first match wins */
    prefixes?: string[];
    /** quantization of this provider's endpoints when the model id does not say */
    quantization?: string | null;
    /** endpoint fields for keys matching a pattern: the adapters' per-model quirks */
    rules?: EndpointRule[];
  };
}

export interface EndpointRule {
  /** regular expression tested against the LiteLLM key */
  match: string;
  fields?: Record<string, unknown>;
  add_parameters?: string[];
}

/** An endpoint whose prices and limits come from a LiteLLM entry, with optional overrides. */
export interface EndpointSpec {
  provider: string;
  /** the LiteLLM key */
  litellm: string;
  provider_model_id?: string;
  context_length?: number;
  max_completion_tokens?: number | null;
  quantization?: string | null;
  pricing?: Partial<Pricing>;
  /** replaces the derived parameter list */
  supported_parameters?: string[];
  /** appended to the derived parameter list */
  add_parameters?: string[];
  /** adapter quirk fields, kept as they are */
  [quirk: string]: unknown;
}

/** `"provider:litellm-key"`, or a spec with overrides. */
export type CuratedEndpoint = string | EndpointSpec;

export interface CuratedModel {
  id: string;
  name: string;
  /** release date, YYYY-MM-DD (UTC) */
  created: string;
  tokenizer: string;
  description?: string;
  hugging_face_id?: string;
  input_modalities?: string[];
  /** false for reasoning-only models that reject sampling parameters (o-series, GPT-5) */
  sampling?: boolean;
  endpoints: CuratedEndpoint[];
  [extra: string]: unknown;
}

export interface Curation {
  source: string;
  providers: CuratedProvider[];
  /** complete entries taken as they are (models LiteLLM does not list, such as the demo model) */
  static_models?: ModelEntry[];
  models: CuratedModel[];
}

export class ImportError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`${problems.length} problem(s):\n  ${problems.slice(0, 40).join("\n  ")}`);
    this.name = "ImportError";
    this.problems = problems;
  }
}

/**
 * A JSON number as the exact decimal string its shortest form denotes: LiteLLM writes 7.5e-08,
 * the catalog wants "0.000000075". No float arithmetic: the digits are moved, never computed.
 */
export function usdDecimal(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`not a price: ${value}`);
  const [mantissa = "0", exponentText = "0"] = value.toString().toLowerCase().split("e");
  const exponent = Number(exponentText);
  const [whole = "0", fraction = ""] = mantissa.split(".");
  const digits = whole + fraction;
  const point = whole.length + exponent;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  out = out.replace(/^0+(?=\d)/, "");
  return out.includes(".") ? out.replace(/\.?0+$/, "") : out;
}

const isEntry = (value: unknown): value is LiteLlmEntry => typeof value === "object" && value !== null;

const price = (value: number | null | undefined): string | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 0 ? usdDecimal(value) : undefined;

/** Pricing from a LiteLLM entry, or undefined when it lacks prompt or completion prices. */
export function pricingOf(entry: LiteLlmEntry): Pricing | undefined {
  const prompt = price(entry.input_cost_per_token);
  const completion = price(entry.output_cost_per_token);
  if (prompt === undefined || completion === undefined) return undefined;
  const pricing: Pricing = { prompt, completion };
  const optional: [keyof Pricing, number | null | undefined][] = [
    ["input_cache_read", entry.cache_read_input_token_cost],
    ["input_cache_write", entry.cache_creation_input_token_cost],
    ["image", entry.input_cost_per_image],
    ["request", entry.input_cost_per_request],
  ];
  for (const [key, value] of optional) {
    const p = price(value);
    // A zero cache-write price in LiteLLM means "not offered", not "free".
    if (p !== undefined && !(key === "input_cache_write" && p === "0")) pricing[key] = p;
  }
  const reasoning = price(entry.output_cost_per_reasoning_token);
  if (reasoning !== undefined && reasoning !== completion) pricing.internal_reasoning = reasoning;
  return pricing;
}

const positive = (value: number | null | undefined): number | undefined =>
  typeof value === "number" && Number.isFinite(value) && value >= 1 ? Math.floor(value) : undefined;

/** Sampling parameters each API family accepts (beyond `max_tokens` and `stop`). */
const SAMPLING: Record<ApiFamily, string[]> = {
  openai: ["temperature", "top_p", "frequency_penalty", "presence_penalty", "seed"],
  azure: ["temperature", "top_p", "frequency_penalty", "presence_penalty", "seed"],
  anthropic: ["temperature", "top_p", "top_k"],
  bedrock: ["temperature", "top_p"],
  gemini: ["temperature", "top_p", "top_k", "frequency_penalty", "presence_penalty", "seed"],
  cohere: ["temperature", "top_p", "top_k", "frequency_penalty", "presence_penalty", "seed"],
  "workers-ai": [
    "temperature",
    "top_p",
    "top_k",
    "frequency_penalty",
    "presence_penalty",
    "seed",
    "repetition_penalty",
  ],
  demo: ["temperature", "seed"],
};

/** Parameters an endpoint accepts, from its API family and LiteLLM's capability flags. */
export function parametersOf(entry: LiteLlmEntry, api: ApiFamily, sampling = true): string[] {
  const params = ["max_tokens", "stop"];
  if (sampling) params.push(...SAMPLING[api]);
  else params.push("seed");
  if (entry.supports_function_calling) params.push("tools");
  if (entry.supports_tool_choice || entry.supports_function_calling) params.push("tool_choice");
  if (entry.supports_response_schema) params.push("response_format");
  // Claude (direct or on Bedrock) constrains decoding to a schema only where the model supports it.
  const native = api === "anthropic" || api === "bedrock" ? entry.supports_native_structured_output : true;
  if (entry.supports_response_schema && native) params.push("structured_outputs");
  if (entry.supports_reasoning) params.push("reasoning", "include_reasoning");
  return [...new Set(params)];
}

export function inputModalitiesOf(entry: LiteLlmEntry): string[] {
  const inputs = ["text"];
  if (entry.supports_vision) inputs.push("image");
  if (entry.supports_pdf_input) inputs.push("file");
  if (entry.supports_audio_input) inputs.push("audio");
  if (entry.supports_video_input) inputs.push("video");
  return inputs;
}

/** `fp8` in `Llama-4-Maverick-17B-128E-Instruct-FP8`, else the provider's usual precision. */
function quantizationOf(key: string, provider: CuratedProvider): string | null {
  const match = /(?:^|[-_./])(fp8|fp16|bf16|int8|int4|fp4)(?:$|[-_./])/i.exec(key);
  if (match?.[1]) return match[1].toLowerCase();
  const fallback = provider.litellm?.quantization ?? null;
  return fallback !== null && (QUANTIZATIONS as readonly string[]).includes(fallback) ? fallback : null;
}

function providerModelId(key: string, provider: CuratedProvider): string {
  for (const prefix of provider.litellm?.prefixes ?? [])
    if (key.startsWith(prefix)) return key.slice(prefix.length);
  return key;
}

/** Release date → Unix seconds (UTC midnight). */
export function unixDay(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!Number.isFinite(ms)) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return ms / 1000;
}

/** The catalog's provider entry: the curation's, without the LiteLLM mapping. */
export function catalogProvider({ litellm: _mapping, ...provider }: CuratedProvider): ProviderEntry {
  return provider;
}

interface EndpointBuild {
  endpoint?: EndpointEntry;
  inputs?: string[];
  problem?: string;
}

function applyRules(provider: CuratedProvider, key: string): Required<Omit<EndpointRule, "match">> {
  const fields: Record<string, unknown> = {};
  const add: string[] = [];
  for (const rule of provider.litellm?.rules ?? []) {
    if (!new RegExp(rule.match).test(key)) continue;
    Object.assign(fields, rule.fields);
    add.push(...(rule.add_parameters ?? []));
  }
  return { fields, add_parameters: add };
}

/**
 * Parameters and quirk fields that follow from the adapter family: Bedrock refuses `reasoning`
 * unless the endpoint says how the model takes it; Claude with adaptive thinking is told so.
 */
function familyAdjustments(
  entry: LiteLlmEntry,
  api: ApiFamily,
  fields: Record<string, unknown>,
  params: string[],
) {
  const adjusted = { ...fields };
  let list = params;
  if (api === "bedrock" && adjusted.bedrock_reasoning === undefined) {
    list = list.filter((p) => p !== "reasoning" && p !== "include_reasoning");
  }
  if (api === "anthropic" && entry.supports_adaptive_thinking && adjusted.anthropic_thinking === undefined) {
    adjusted.anthropic_thinking = "adaptive";
  }
  return { fields: adjusted, params: list };
}

function buildEndpoint(
  spec: CuratedEndpoint,
  model: Pick<CuratedModel, "id" | "sampling">,
  map: LiteLlmMap,
  providers: ReadonlyMap<string, CuratedProvider>,
): EndpointBuild {
  const s = typeof spec === "string" ? splitShorthand(spec) : spec;
  const where = `${model.id} → ${s.provider}:${s.litellm}`;
  const provider = providers.get(s.provider);
  if (!provider) return { problem: `${where}: no provider "${s.provider}"` };
  const entry = map[s.litellm];
  if (!isEntry(entry)) return { problem: `${where}: no such LiteLLM key` };
  const pricing = pricingOf(entry);
  if (!pricing && !(s.pricing?.prompt && s.pricing.completion)) {
    return { problem: `${where}: LiteLLM has no prompt/completion price` };
  }
  const context = s.context_length ?? positive(entry.max_input_tokens) ?? positive(entry.max_tokens);
  if (context === undefined)
    return { problem: `${where}: no context window in LiteLLM; give context_length` };
  const maxOut = positive(entry.max_output_tokens);
  const {
    provider: _p,
    litellm: _k,
    pricing: pricingOverride,
    add_parameters: add = [],
    supported_parameters: explicit,
    ...overrides
  } = s;
  const rules = applyRules(provider, s.litellm);
  const api = ((overrides.api ?? rules.fields.api) as ApiFamily | undefined) ?? provider.api;
  const quantization = s.quantization !== undefined ? s.quantization : quantizationOf(s.litellm, provider);
  const derived = [...parametersOf(entry, api, model.sampling !== false), ...rules.add_parameters, ...add];
  const family = familyAdjustments(entry, api, { ...rules.fields, ...overrides }, [...new Set(derived)]);
  const endpoint: EndpointEntry = {
    provider: provider.slug,
    provider_model_id: providerModelId(s.litellm, provider),
    context_length: context,
    max_completion_tokens: maxOut === undefined ? null : Math.min(maxOut, context),
    quantization,
    pricing: { ...pricing, ...pricingOverride } as Pricing,
    supported_parameters: explicit ?? family.params,
    ...family.fields,
  };
  return { endpoint, inputs: inputModalitiesOf(entry) };
}

function splitShorthand(spec: string): EndpointSpec {
  const colon = spec.indexOf(":");
  return colon < 0
    ? { provider: spec, litellm: "" }
    : { provider: spec.slice(0, colon), litellm: spec.slice(colon + 1) };
}

/** The curated catalog; throws `ImportError` listing every endpoint it could not resolve. */
export function importCurated(map: LiteLlmMap, curation: Curation): CatalogDocument {
  const providers = new Map(curation.providers.map((p) => [p.slug, p]));
  const problems: string[] = [];
  const models: ModelEntry[] = [...(curation.static_models ?? [])];
  for (const curated of curation.models) {
    const built = curated.endpoints.map((spec) => buildEndpoint(spec, curated, map, providers));
    for (const b of built) if (b.problem) problems.push(b.problem);
    const endpoints = built.flatMap((b) => (b.endpoint ? [b.endpoint] : []));
    if (endpoints.length === 0) continue;
    const { created, sampling: _s, endpoints: _e, input_modalities, ...rest } = curated;
    models.push({
      ...rest,
      created: unixDay(created),
      context_length: Math.max(...endpoints.map((e) => e.context_length)),
      input_modalities: input_modalities ?? [...new Set(built.flatMap((b) => b.inputs ?? []))],
      output_modalities: ["text"],
      endpoints,
    } as ModelEntry);
  }
  if (problems.length > 0) throw new ImportError(problems);
  return { source: curation.source, providers: curation.providers.map(catalogProvider), models };
}

/** A model id from a provider slug and its own model name, within the catalog's id alphabet. */
function genericId(slug: string, name: string): string {
  const clean = name
    .replace(/[^A-Za-z0-9._:+-]+/g, "-")
    .replace(/^[^A-Za-z0-9]+/, "")
    .slice(0, 120);
  return `${slug}/${clean}`;
}

export interface ImportAllOptions {
  /** `created` for every model (LiteLLM has no release dates): the price map's date. */
  created: number;
  source: string;
}

/** Every priced chat entry of the known providers, one model per entry. */
export function importAll(
  map: LiteLlmMap,
  providers: readonly CuratedProvider[],
  options: ImportAllOptions,
): { document: CatalogDocument; skipped: string[] } {
  const byLiteLlm = new Map<string, CuratedProvider>();
  for (const p of providers) for (const name of p.litellm?.providers ?? []) byLiteLlm.set(name, p);
  const skipped: string[] = [];
  const models = new Map<string, ModelEntry>();
  const used = new Set<string>();
  for (const [key, entry] of Object.entries(map)) {
    if (!isEntry(entry) || entry.mode !== "chat") continue;
    const provider = entry.litellm_provider ? byLiteLlm.get(entry.litellm_provider) : undefined;
    if (!provider) continue;
    const built = buildEndpoint(
      `${provider.slug}:${key}`,
      { id: key },
      map,
      new Map([[provider.slug, provider]]),
    );
    if (!built.endpoint) {
      skipped.push(built.problem ?? key);
      continue;
    }
    const id = genericId(provider.slug, built.endpoint.provider_model_id);
    if (models.has(id)) {
      skipped.push(`${key}: duplicate of ${id}`);
      continue;
    }
    used.add(provider.slug);
    models.set(id, {
      id,
      name: `${provider.name}: ${built.endpoint.provider_model_id}`,
      created: options.created,
      context_length: built.endpoint.context_length,
      input_modalities: built.inputs ?? ["text"],
      output_modalities: ["text"],
      tokenizer: "Other",
      endpoints: [built.endpoint],
    });
  }
  return {
    document: {
      source: options.source,
      providers: providers.filter((p) => used.has(p.slug)).map(catalogProvider),
      models: [...models.values()],
    },
    skipped,
  };
}
