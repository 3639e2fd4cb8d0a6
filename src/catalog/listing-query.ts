/**
 * `GET /models` query parameters (OpenRouter's names and defaults) applied to the pre-rendered
 * listing. Pure: parse once, filter, sort, page.
 */
import { badRequest } from "../errors";
import type { ListedModel } from "./listing";

/** OpenRouter's sort values; those needing usage or benchmark data keep catalog order for now. */
const SORTS = [
  "most-popular",
  "newest",
  "top-weekly",
  "pricing-low-to-high",
  "pricing-high-to-low",
  "context-high-to-low",
  "throughput-high-to-low",
  "latency-low-to-high",
  "intelligence-high-to-low",
  "coding-high-to-low",
  "agentic-high-to-low",
  "design-arena-elo-high-to-low",
] as const;
type Sort = (typeof SORTS)[number];

export const MAX_PAGE = 1_000;
const DEFAULT_PAGE = 500;

export interface ListingQuery {
  /** undefined: the whole list (neither limit nor offset given) */
  page?: { offset: number; limit: number };
  supportedParameters: string[];
  inputModalities: string[];
  /** "all", or models producing any of these */
  outputModalities: string[] | "all";
  terms: string[];
  sort?: Sort;
  /** provider slugs or names: models served by any of them */
  providers: string[];
}

const csv = (value: string | null) =>
  (value ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== "");

function integer(params: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const raw = params.get(name);
  if (raw === null || raw === "") return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw badRequest(
      `Invalid query: ${name}: must be an integer from ${min} to ${max} (got ${JSON.stringify(raw)})`,
      {
        issues: [{ path: name, message: `must be an integer from ${min} to ${max}` }],
      },
    );
  }
  return n;
}

/** `output_modalities` defaults to text, as on OpenRouter; `all` lists every model. */
export function parseOutputModalities(params: URLSearchParams): string[] | "all" {
  const list = csv(params.get("output_modalities"));
  if (list.includes("all")) return "all";
  return list.length > 0 ? list : ["text"];
}

export function parseListingQuery(params: URLSearchParams): ListingQuery {
  const limit = integer(params, "limit", 1, MAX_PAGE);
  const offset = integer(params, "offset", 0, Number.MAX_SAFE_INTEGER);
  const sort = params.get("sort") || undefined;
  if (sort !== undefined && !(SORTS as readonly string[]).includes(sort)) {
    throw badRequest(`Invalid query: sort: must be one of ${SORTS.join(", ")}`, {
      issues: [{ path: "sort", message: `must be one of ${SORTS.join(", ")}` }],
    });
  }
  return {
    page:
      limit === undefined && offset === undefined
        ? undefined
        : { offset: offset ?? 0, limit: limit ?? DEFAULT_PAGE },
    supportedParameters: csv(params.get("supported_parameters")),
    inputModalities: csv(params.get("input_modalities")),
    outputModalities: parseOutputModalities(params),
    terms: (params.get("q") ?? "").toLowerCase().split(/\s+/).filter(Boolean),
    sort: sort as Sort | undefined,
    providers: csv(params.get("providers")),
  };
}

/** A stable cache key: the same filters in any parameter order render the same page. */
export function queryKey(query: ListingQuery): string {
  return JSON.stringify([
    query.page,
    [...query.supportedParameters].sort(),
    [...query.inputModalities].sort(),
    query.outputModalities === "all" ? "all" : [...query.outputModalities].sort(),
    query.terms,
    query.sort,
    [...query.providers].sort(),
  ]);
}

export function producesAny(model: ListedModel, outputs: string[] | "all"): boolean {
  return outputs === "all" || model.architecture.output_modalities.some((m) => outputs.includes(m));
}

function matches(model: ListedModel, query: ListingQuery): boolean {
  if (!producesAny(model, query.outputModalities)) return false;
  const inputs = model.architecture.input_modalities;
  if (!query.inputModalities.every((m) => inputs.includes(m))) return false;
  const params = model.supported_parameters;
  if (!query.supportedParameters.every((p) => params.includes(p))) return false;
  if (query.terms.length > 0) {
    const haystack = `${model.id} ${model.name}`.toLowerCase();
    if (!query.terms.every((t) => haystack.includes(t))) return false;
  }
  return true;
}

const averagePrice = (m: ListedModel) => (Number(m.pricing.prompt) + Number(m.pricing.completion)) / 2;

/** Sort key and direction (1 ascending, -1 descending) of the sorts that have data behind them. */
const SORT_KEYS: Partial<Record<Sort, [(m: ListedModel) => number, 1 | -1]>> = {
  newest: [(m) => m.created, -1],
  "pricing-low-to-high": [averagePrice, 1],
  "pricing-high-to-low": [averagePrice, -1],
  "context-high-to-low": [(m) => m.context_length, -1],
};

/** Keys are computed once per model, not once per comparison; ties keep catalog order (stable). */
function sortBy(models: ListedModel[], sort: Sort | undefined): ListedModel[] {
  const spec = sort ? SORT_KEYS[sort] : undefined;
  if (!spec) return models;
  const [key, direction] = spec;
  return models
    .map((model) => ({ model, key: key(model) }))
    .sort((a, b) => direction * (a.key - b.key))
    .map((entry) => entry.model);
}

export interface ListingPage {
  data: ListedModel[];
  total_count: number;
  /** offset of the next page, or null when this is the last */
  nextOffset: number | null;
}

/**
 * Filters, sorts and pages. `providersOf(id)` lists the provider slugs serving a model; the
 * `providers` filter must already be resolved to slugs (see the route).
 */
export function applyListingQuery(
  models: readonly ListedModel[],
  query: ListingQuery,
  providersOf: (id: string) => readonly string[] = () => [],
): ListingPage {
  const wanted = query.providers;
  const served = (m: ListedModel) => wanted.length === 0 || providersOf(m.id).some((p) => wanted.includes(p));
  const filtered = sortBy(
    models.filter((m) => matches(m, query) && served(m)),
    query.sort,
  );
  if (!query.page) return { data: filtered, total_count: filtered.length, nextOffset: null };
  const { offset, limit } = query.page;
  const end = offset + limit;
  return {
    data: filtered.slice(offset, end),
    total_count: filtered.length,
    nextOffset: end < filtered.length ? end : null,
  };
}
