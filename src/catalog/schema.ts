/**
 * Validation of the catalog document (DESIGN.md §4). An upload is accepted whole or not at all:
 * structural problems (types, price format, unknown API family, sizes) come from zod, cross-record
 * problems (duplicate ids, endpoints naming a provider that does not exist) from `crossCheck`.
 * Every problem carries the JSON path it was found at, e.g. `models[12].endpoints[0].pricing.prompt`.
 *
 * Objects are loose: unknown fields are kept, because adapters read provider- and endpoint-specific
 * quirk fields (`api_version`, `aws_region`, ...) from them.
 *
 * Imports carry `.ts` extensions so the importer scripts can run this module under plain Node.
 */
import { z } from "zod";
import { describeIssues, formatPath, type RequestIssue } from "../schema/chat.ts";
import type { CatalogDocument, ModelEntry, ProviderEntry } from "./types.ts";

export const API_FAMILIES = [
  "openai",
  "anthropic",
  "gemini",
  "bedrock",
  "azure",
  "cohere",
  "workers-ai",
  "demo",
] as const;

/** OpenRouter's quantization names (`Quantization` in its OpenAPI document). */
export const QUANTIZATIONS = [
  "int4",
  "int8",
  "fp4",
  "fp6",
  "fp8",
  "fp16",
  "bf16",
  "fp32",
  "unknown",
] as const;

/** Bounds that keep one catalog inside KV's value size and a Worker's memory and CPU budgets. */
export const CATALOG_LIMITS = {
  /** Raw upload size. */
  maxBytes: 8 * 1024 * 1024,
  maxModels: 10_000,
  maxProviders: 1_000,
  maxEndpointsPerModel: 64,
  maxRegions: 64,
  maxListItems: 128,
  maxString: 2_048,
  maxDescription: 20_000,
} as const;

/** Cost arithmetic works in attodollars (1e-18 USD), so a price may have at most 18 decimals. */
const PRICE = /^\d{1,12}(?:\.\d{1,18})?$/;
const SLUG = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\/[A-Za-z0-9][A-Za-z0-9._:+-]{0,127}$/;
const COUNTRY = /^[A-Z]{2}$/;

const text = (max: number = CATALOG_LIMITS.maxString) => z.string().min(1).max(max);
const list = <T extends z.ZodType>(item: T) => z.array(item).max(CATALOG_LIMITS.maxListItems);

export const priceSchema = z
  .string()
  .regex(
    PRICE,
    'must be a non-negative decimal string of USD, e.g. "0.0000025" (no exponent, at most 18 decimals)',
  );

const region = z.looseObject({
  id: text(64),
  lat: z.number().min(-90).max(90),
  lon: z.number().min(-180).max(180),
  country: z.string().regex(COUNTRY, "must be an ISO 3166-1 alpha-2 code such as US").optional(),
});

export const providerSchema = z.looseObject({
  slug: z.string().regex(SLUG, "must be lower-case letters, digits, '.', '_' or '-' (at most 64)"),
  name: text(100),
  api: z.enum(API_FAMILIES),
  base_url: z.url().max(CATALOG_LIMITS.maxString),
  requires_key: z.boolean().optional(),
  regions: z.array(region).max(CATALOG_LIMITS.maxRegions).optional(),
  data_policy: z
    .looseObject({ training: z.boolean(), retains_prompts: z.boolean(), zdr: z.boolean() })
    .optional(),
  privacy_policy_url: z.url().max(CATALOG_LIMITS.maxString).optional(),
  terms_of_service_url: z.url().max(CATALOG_LIMITS.maxString).optional(),
  status_page_url: z.url().max(CATALOG_LIMITS.maxString).optional(),
  headquarters: z.string().regex(COUNTRY, "must be an ISO 3166-1 alpha-2 code such as US").optional(),
});

const pricing = z.object({ prompt: priceSchema, completion: priceSchema }).catchall(priceSchema);

const tokens = z.int().min(1).max(100_000_000);

const endpoint = z.looseObject({
  provider: z.string().regex(SLUG, "must be a provider slug"),
  /** The family this endpoint speaks when it differs from its provider's (Claude on Vertex). */
  api: z.enum(API_FAMILIES).optional(),
  provider_model_id: text(256),
  context_length: tokens,
  max_completion_tokens: tokens.nullable(),
  quantization: z.enum(QUANTIZATIONS).nullable(),
  pricing,
  supported_parameters: list(text(64)),
});

export const modelSchema = z.looseObject({
  id: z.string().regex(MODEL_ID, "must look like author/slug, e.g. meta-llama/llama-3.3-70b-instruct"),
  name: text(200),
  created: z.int().min(0).max(4_102_444_800),
  description: z.string().max(CATALOG_LIMITS.maxDescription).optional(),
  context_length: tokens,
  input_modalities: list(text(32)).min(1),
  output_modalities: list(text(32)).min(1),
  tokenizer: text(64),
  hugging_face_id: z.string().max(256).nullable().optional(),
  /** Other ids that name this model (`model` in a request may use them). */
  aliases: z.array(z.string().regex(MODEL_ID, "must look like author/slug")).max(20).optional(),
  endpoints: z.array(endpoint).min(1).max(CATALOG_LIMITS.maxEndpointsPerModel),
});

export const catalogSchema = z.looseObject({
  source: z.string().max(CATALOG_LIMITS.maxString).optional(),
  providers: z.array(providerSchema).min(1).max(CATALOG_LIMITS.maxProviders),
  models: z.array(modelSchema).min(1).max(CATALOG_LIMITS.maxModels),
});

export type CatalogIssue = RequestIssue;

export type Validated<T> = { ok: true; value: T } | { ok: false; issues: CatalogIssue[] };

const issue = (path: readonly PropertyKey[], message: string): CatalogIssue => ({
  path: formatPath(path),
  message,
});

/** Duplicate provider slugs, duplicate model ids, endpoints naming an unknown provider. */
export function crossCheck(
  providers: readonly Pick<ProviderEntry, "slug">[],
  models: readonly (Pick<ModelEntry, "id" | "endpoints"> & { aliases?: unknown })[],
  knownProviders: ReadonlySet<string> = new Set(),
): CatalogIssue[] {
  const issues: CatalogIssue[] = [];
  const slugs = new Set(knownProviders);
  const seenSlugs = new Map<string, number>();
  providers.forEach((p, i) => {
    const first = seenSlugs.get(p.slug);
    if (first !== undefined) issues.push(issue(["providers", i, "slug"], `duplicate of providers[${first}]`));
    else seenSlugs.set(p.slug, i);
    slugs.add(p.slug);
  });
  const seenIds = new Map<string, number>();
  models.forEach((m, i) => {
    const first = seenIds.get(m.id);
    if (first !== undefined) issues.push(issue(["models", i, "id"], `duplicate of models[${first}]`));
    else seenIds.set(m.id, i);
  });
  // An alias names exactly one model and is never another model's id.
  const aliasOwners = new Map<string, number>();
  models.forEach((m, i) => {
    const aliases = Array.isArray(m.aliases) ? (m.aliases as string[]) : [];
    aliases.forEach((alias, k) => {
      const taken = seenIds.get(alias) ?? aliasOwners.get(alias);
      if (taken !== undefined)
        issues.push(issue(["models", i, "aliases", k], `already names models[${taken}]`));
      else aliasOwners.set(alias, i);
    });
  });
  models.forEach((m, i) => {
    const seenEndpoints = new Set<string>();
    m.endpoints.forEach((e, j) => {
      if (!slugs.has(e.provider)) {
        issues.push(
          issue(["models", i, "endpoints", j, "provider"], `no provider "${e.provider}" in the catalog`),
        );
      }
      const key = `${e.provider}\u0000${e.provider_model_id}`;
      if (seenEndpoints.has(key)) {
        issues.push(issue(["models", i, "endpoints", j], "duplicate provider and provider_model_id"));
      }
      seenEndpoints.add(key);
    });
  });
  return issues;
}

/** Validates a parsed document; on success the value is the document with extra fields kept. */
export function validateCatalog(input: unknown): Validated<CatalogDocument> {
  const parsed = catalogSchema.safeParse(input);
  if (!parsed.success) return { ok: false, issues: describeIssues(parsed.error) };
  const document = parsed.data as CatalogDocument;
  const issues = crossCheck(document.providers, document.models);
  return issues.length > 0 ? { ok: false, issues: issues.slice(0, 10) } : { ok: true, value: document };
}

/** Parses upload text: size first (before any work), then JSON, then the schema. */
export function parseCatalogText(body: string): Validated<CatalogDocument> {
  const bytes = new TextEncoder().encode(body).byteLength;
  if (bytes > CATALOG_LIMITS.maxBytes) {
    return {
      ok: false,
      issues: [issue([], `catalog is ${bytes} bytes; the limit is ${CATALOG_LIMITS.maxBytes}`)],
    };
  }
  let input: unknown;
  try {
    input = JSON.parse(body);
  } catch (error) {
    return { ok: false, issues: [issue([], `not valid JSON: ${(error as Error).message}`)] };
  }
  return validateCatalog(input);
}
