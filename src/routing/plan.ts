/**
 * Planning (DESIGN.md §6): which endpoints to try for a request, in which order, and why.
 * Pure: the catalog, health, caller location and randomness are all passed in.
 *
 * 1. Resolve `model` and the `models` fallback list, with variants `:nitro` (sort by throughput),
 *    `:floor` (sort by price) and `:free` (free endpoints only).
 * 2. Hard filters, each leaving a reason: adapter, credentials, tenant/key allow-list,
 *    `provider.only/ignore/data_collection/zdr/quantizations/max_price`, context length,
 *    `max_tokens` cap, input modalities, `require_parameters`.
 * 3. Soft filters: when some endpoints support the request's tools / response_format, only those.
 * 4. Order: `provider.order` first; `provider.sort` strictly; otherwise weighted random by inverse
 *    square of the request's price, equal prices toward the nearest region; preferences
 *    (`preferred_max_latency`, `preferred_min_throughput`), a high recent error rate and open
 *    circuits demote (in that order of severity), never exclude.
 *    Models are partitions (primary first) unless `sort.partition` is "none".
 */
import type { Catalog } from "../catalog/store";
import type { ModelEntry, ResolvedEndpoint } from "../catalog/types";
import { JunctionError } from "../errors";
import type { ChatRequest, ProviderPreferences } from "../schema/chat";
import { estimatePromptTokens } from "../tokens";
import { type GeoPoint, nearestRegionKm } from "./geo";
import { type EndpointHealth, NEUTRAL_HEALTH, type Percentiles } from "./health";
import { requestedModalities, requestedParameters } from "./params";
import type { RandomSource } from "./random";

export interface PlanInput {
  request: ChatRequest;
  catalog: Catalog;
  /** Whether the Worker can authenticate to a provider (a key is configured, or none is needed). */
  hasCredentials(provider: ResolvedEndpoint["provider"]): boolean;
  /** The endpoint's API family, when an adapter exists for it. */
  adapterFamily(resolved: ResolvedEndpoint): string | undefined;
  /** Tenant and key allow-lists: a reason to refuse the endpoint, or undefined. */
  refuseEndpoint?(resolved: ResolvedEndpoint): string | undefined;
  health?(resolved: ResolvedEndpoint): EndpointHealth;
  caller?: GeoPoint | undefined;
  random: RandomSource;
  /** The request's estimated prompt tokens, when the caller has already counted them. */
  promptTokens?: number;
}

export type SortBy = "price" | "throughput" | "latency";

export interface Exclusion {
  model: string;
  provider: string;
  reason: string;
}

export interface Plan {
  attempts: ResolvedEndpoint[];
  excluded: Exclusion[];
  /** How the order was decided, for the `Junction-Route` header. */
  strategy: string;
}

const VARIANTS = new Set(["nitro", "floor", "free"]);
/** Output tokens assumed when pricing a request that sets no `max_tokens`. */
const DEFAULT_EXPECTED_OUTPUT = 512;
/**
 * A closed-circuit endpoint failing at least this share of its recent attempts goes after the
 * healthy ones (and before open circuits): it fails too often to try first, not enough to trip.
 */
export const HIGH_ERROR_RATE = 0.25;

export function requestedModels(request: ChatRequest): string[] {
  const ids = [...(request.model ? [request.model] : []), ...(request.models ?? [])];
  return [...new Set(ids)];
}

interface ModelChoice {
  requested: string;
  model: ModelEntry;
  variant?: string;
}

/** A catalog id wins over a variant suffix (`x/y:free` may be a model of its own). */
function resolveModel(catalog: Catalog, id: string): ModelChoice | undefined {
  const exact = catalog.model(id);
  if (exact) return { requested: id, model: exact };
  const colon = id.lastIndexOf(":");
  if (colon < 0) return undefined;
  const variant = id.slice(colon + 1);
  const base = catalog.model(id.slice(0, colon));
  return base && VARIANTS.has(variant) ? { requested: id, model: base, variant } : undefined;
}

const sameProvider = (resolved: ResolvedEndpoint, names: string[]) => {
  const slug = resolved.provider.slug.toLowerCase();
  const name = resolved.provider.name.toLowerCase();
  return names.some((n) => {
    const wanted = n.toLowerCase();
    return wanted === slug || wanted === name || wanted === `${slug}/${resolved.endpoint.quantization ?? ""}`;
  });
};

function priceOf(value: string | undefined): number {
  const n = value === undefined ? 0 : Number(value);
  return Number.isFinite(n) ? n : 0;
}

/** What this request would cost on the endpoint, in USD, for ordering. */
function requestPrice(resolved: ResolvedEndpoint, promptTokens: number, outputTokens: number): number {
  const pricing = resolved.endpoint.pricing;
  return (
    priceOf(pricing.prompt) * promptTokens +
    priceOf(pricing.completion) * outputTokens +
    priceOf(pricing.request)
  );
}

const isFree = (resolved: ResolvedEndpoint) =>
  priceOf(resolved.endpoint.pricing.prompt) === 0 &&
  priceOf(resolved.endpoint.pricing.completion) === 0 &&
  priceOf(resolved.endpoint.pricing.request) === 0;

/** USD per million tokens (prompt/completion) or per unit (request/image), number or string. */
function limit(value: number | string | undefined): number | undefined {
  return value === undefined ? undefined : Number(value);
}

function exceedsMaxPrice(
  resolved: ResolvedEndpoint,
  max: NonNullable<ProviderPreferences["max_price"]>,
): string | undefined {
  const p = resolved.endpoint.pricing;
  const checks: [string, number | undefined, number][] = [
    ["prompt", limit(max.prompt), priceOf(p.prompt) * 1e6],
    ["completion", limit(max.completion), priceOf(p.completion) * 1e6],
    ["request", limit(max.request), priceOf(p.request)],
    ["image", limit(max.image), priceOf(p.image)],
  ];
  for (const [name, cap, actual] of checks) {
    if (cap !== undefined && actual > cap + 1e-12)
      return `${name} price ${actual} exceeds max_price.${name} ${cap}`;
  }
  return undefined;
}

/** The preference threshold as percentiles; a bare number means p50. */
function thresholds(value: number | Percentiles | undefined): Percentiles | undefined {
  if (value === undefined) return undefined;
  return typeof value === "number" ? { p50: value } : value;
}

function missesPreference(health: EndpointHealth, prefs: ProviderPreferences): boolean {
  const latency = thresholds(prefs.preferred_max_latency);
  const throughput = thresholds(prefs.preferred_min_throughput);
  for (const q of ["p50", "p75", "p90", "p99"] as const) {
    const maxSeconds = latency?.[q];
    const seenMs = health.latencyMs?.[q];
    if (maxSeconds !== undefined && seenMs !== undefined && seenMs > maxSeconds * 1000) return true;
    const min = throughput?.[q];
    const seen = health.throughput?.[q];
    if (min !== undefined && seen !== undefined && seen < min) return true;
  }
  return false;
}

interface Candidate {
  resolved: ResolvedEndpoint;
  /** Index of the model in the request's list: the partition. */
  partition: number;
  price: number;
  distance: number | undefined;
  health: EndpointHealth;
}

const byDistance = (a: Candidate, b: Candidate) =>
  (a.distance ?? Number.POSITIVE_INFINITY) - (b.distance ?? Number.POSITIVE_INFINITY);

/** Weighted random order by 1/price²; candidates with equal price go nearest first. */
function weightedOrder(candidates: Candidate[], random: RandomSource): Candidate[] {
  const groups = new Map<number, Candidate[]>();
  for (const c of candidates) {
    const group = groups.get(c.price);
    if (group) group.push(c);
    else groups.set(c.price, [c]);
  }
  // Efraimidis–Spirakis: sorting by u^(1/w) descending samples without replacement ∝ w.
  const keyed = [...groups].map(([price, members]) => {
    const weight = members.length / Math.max(price, 1e-12) ** 2;
    return { key: Math.log(Math.max(random(), Number.MIN_VALUE)) / weight, members };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.flatMap((g) => g.members.sort(byDistance));
}

function sortStrictly(candidates: Candidate[], by: SortBy): Candidate[] {
  const metric = (c: Candidate): number | undefined =>
    by === "price" ? c.price : by === "latency" ? c.health.latencyMs?.p50 : c.health.throughput?.p50;
  const direction = by === "throughput" ? -1 : 1;
  return [...candidates].sort((a, b) => {
    const ma = metric(a);
    const mb = metric(b);
    if (ma === undefined || mb === undefined) {
      // Unknown figures sort after known ones.
      if (ma !== mb) return ma === undefined ? 1 : -1;
    } else if (ma !== mb) return (ma - mb) * direction;
    return byDistance(a, b);
  });
}

/** Moves the candidates matching `demote` behind the others, keeping both groups' order. */
function demote(candidates: Candidate[], shouldDemote: (c: Candidate) => boolean): Candidate[] {
  return [...candidates.filter((c) => !shouldDemote(c)), ...candidates.filter(shouldDemote)];
}

function order(
  candidates: Candidate[],
  prefs: ProviderPreferences,
  sortBy: SortBy | undefined,
  random: RandomSource,
) {
  let ordered = sortBy ? sortStrictly(candidates, sortBy) : weightedOrder(candidates, random);
  if (prefs.preferred_max_latency !== undefined || prefs.preferred_min_throughput !== undefined) {
    ordered = demote(ordered, (c) => missesPreference(c.health, prefs));
  }
  // A half-open circuit is asking for its probe, so only closed ones are demoted for recent errors.
  ordered = demote(
    ordered,
    (c) => c.health.circuit === "closed" && (c.health.errorRate ?? 0) >= HIGH_ERROR_RATE,
  );
  ordered = demote(ordered, (c) => c.health.circuit === "open");
  if (prefs.order && prefs.order.length > 0) {
    const rank = (c: Candidate) => {
      const i = (prefs.order as string[]).findIndex((name) => sameProvider(c.resolved, [name]));
      return i < 0 ? Number.POSITIVE_INFINITY : i;
    };
    ordered = [...ordered].sort((a, b) => rank(a) - rank(b));
  }
  return ordered;
}

export function plan(input: PlanInput): Plan {
  const { request, catalog } = input;
  const prefs: ProviderPreferences = request.provider ?? {};
  const ids = requestedModels(request);
  const choices: ModelChoice[] = [];
  const excluded: Exclusion[] = [];
  for (const id of ids) {
    const choice = resolveModel(catalog, id);
    if (choice) choices.push(choice);
    else excluded.push({ model: id, provider: "-", reason: "unknown model" });
  }
  if (choices.length === 0) {
    throw new JunctionError(
      404,
      `Model ${ids.map((id) => JSON.stringify(id)).join(", ")} not found`,
      "not_found",
      {
        models: ids,
      },
    );
  }

  const promptTokens = input.promptTokens ?? estimatePromptTokens(request);
  const maxOutput = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  const outputTokens = maxOutput ?? DEFAULT_EXPECTED_OUTPUT;
  const parameters = requestedParameters(request);
  const modalities = requestedModalities(request);
  const sort = typeof prefs.sort === "string" ? prefs.sort : prefs.sort?.by;
  const partitioned = typeof prefs.sort === "object" ? prefs.sort.partition !== "none" : true;

  const refusal = (choice: ModelChoice, resolved: ResolvedEndpoint): string | undefined => {
    const { provider, endpoint } = resolved;
    if (input.adapterFamily(resolved) === undefined) {
      return `no adapter for API family "${(endpoint.api as string | undefined) ?? provider.api}"`;
    }
    if (!input.hasCredentials(provider)) return "no credentials configured";
    const refused = input.refuseEndpoint?.(resolved);
    if (refused) return refused;
    if (prefs.only && prefs.only.length > 0 && !sameProvider(resolved, prefs.only))
      return "not in provider.only";
    if (prefs.ignore && sameProvider(resolved, prefs.ignore)) return "in provider.ignore";
    if (
      prefs.data_collection === "deny" &&
      (provider.data_policy?.training || provider.data_policy?.retains_prompts)
    ) {
      return "provider may retain or train on data (data_collection: deny)";
    }
    if (prefs.zdr && !provider.data_policy?.zdr) return "not a zero-data-retention endpoint (zdr: true)";
    if (prefs.quantizations && prefs.quantizations.length > 0) {
      const q = endpoint.quantization ?? "unknown";
      if (!prefs.quantizations.includes(q)) return `quantization ${q} not in provider.quantizations`;
    }
    if (prefs.max_price) {
      const reason = exceedsMaxPrice(resolved, prefs.max_price);
      if (reason) return reason;
    }
    if (choice.variant === "free" && !isFree(resolved)) return "not free (:free)";
    if (promptTokens + (maxOutput ?? 0) > endpoint.context_length) {
      return `context length ${endpoint.context_length} < ~${promptTokens} prompt + ${maxOutput ?? 0} output tokens`;
    }
    if (
      maxOutput !== undefined &&
      endpoint.max_completion_tokens !== null &&
      maxOutput > endpoint.max_completion_tokens
    ) {
      return `max_tokens ${maxOutput} > endpoint cap ${endpoint.max_completion_tokens}`;
    }
    const accepted = (endpoint.input_modalities as string[] | undefined) ?? resolved.model.input_modalities;
    for (const m of modalities) if (!accepted.includes(m)) return `does not accept ${m} input`;
    if (prefs.require_parameters) {
      const supported = new Set(endpoint.supported_parameters);
      const missing = [...parameters].filter((p) => !supported.has(p));
      if (missing.length > 0) return `does not support ${missing.join(", ")} (require_parameters)`;
    }
    return undefined;
  };

  const partitions: Candidate[][] = [];
  choices.forEach((choice, partition) => {
    let kept: Candidate[] = [];
    for (const resolved of catalog.endpoints(choice.model)) {
      const reason = refusal(choice, resolved);
      if (reason) {
        excluded.push({ model: choice.requested, provider: resolved.provider.slug, reason });
        continue;
      }
      kept.push({
        resolved,
        partition,
        price: requestPrice(resolved, promptTokens, outputTokens),
        distance: nearestRegionKm(input.caller, resolved.provider.regions),
        health: input.health?.(resolved) ?? NEUTRAL_HEALTH,
      });
    }
    // OpenRouter's soft requirement: if some endpoints can honour tools / response_format, use only those.
    for (const parameter of ["tools", "response_format"]) {
      if (!parameters.has(parameter)) continue;
      const able = kept.filter((c) => c.resolved.endpoint.supported_parameters.includes(parameter));
      if (able.length > 0 && able.length < kept.length) {
        for (const c of kept) {
          if (!able.includes(c)) {
            excluded.push({
              model: choice.requested,
              provider: c.resolved.provider.slug,
              reason: `does not support ${parameter}`,
            });
          }
        }
        kept = able;
      }
    }
    partitions.push(kept);
  });

  const variantSort =
    choices[0]?.variant === "nitro" ? "throughput" : choices[0]?.variant === "floor" ? "price" : undefined;
  const sortBy: SortBy | undefined = sort ?? variantSort;
  let ordered: Candidate[];
  if (sortBy && !partitioned) ordered = order(partitions.flat(), prefs, sortBy, input.random);
  else ordered = partitions.flatMap((candidates) => order(candidates, prefs, sortBy, input.random));

  if (prefs.allow_fallbacks === false) {
    const keep =
      prefs.order && prefs.order.length > 0
        ? (c: Candidate) => sameProvider(c.resolved, prefs.order as string[])
        : (c: Candidate) => c === ordered[0];
    for (const c of ordered) {
      if (!keep(c))
        excluded.push({
          model: c.resolved.model.id,
          provider: c.resolved.provider.slug,
          reason: "allow_fallbacks: false",
        });
    }
    ordered = ordered.filter(keep);
  }

  const strategy = [
    prefs.order?.length ? "order" : undefined,
    sortBy ? `sort=${sortBy}` : "weighted-price",
    partitioned ? undefined : "partition=none",
  ]
    .filter(Boolean)
    .join("+");
  return { attempts: ordered.map((c) => c.resolved), excluded, strategy };
}

/** The error for a plan with no attempts: 404 when filters excluded everything, 503 when only configuration did. */
export function noEndpointError(request: ChatRequest, excluded: Exclusion[]): JunctionError {
  const configuration = (reason: string) =>
    reason === "no credentials configured" || reason.startsWith("no adapter");
  const onlyConfiguration =
    excluded.length > 0 && excluded.every((e) => e.reason === "unknown model" || configuration(e.reason));
  const models = requestedModels(request).join(", ");
  return onlyConfiguration
    ? new JunctionError(503, `No provider is configured for ${models}`, "provider_unavailable", { excluded })
    : new JunctionError(404, `No endpoints found for ${models} that match the request`, "not_found", {
        excluded,
      });
}
