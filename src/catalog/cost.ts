/**
 * Exact cost: prices are decimal strings, so they are parsed to integer attodollars (1e-18 USD)
 * and multiplied as BigInt; the only rounding is the final conversion of the exact total to a
 * JavaScript number. Buckets are disjoint, so their sum is the total.
 */
import type { Pricing } from "./types.ts";

/** Token counts as every adapter reports them (OpenAI convention: details are subsets). */
export interface NormalizedUsage {
  /** All prompt tokens, including cache reads and cache writes. */
  prompt_tokens: number;
  /** All completion tokens, including reasoning tokens. */
  completion_tokens: number;
  cached_tokens: number;
  cache_write_tokens: number;
  reasoning_tokens: number;
  /** Input images billed per image, when the pricing has an `image` fee. */
  images?: number;
}

/** The disjoint parts of a bill; their sum is the total. */
export const COST_BUCKETS = [
  "uncached_prompt",
  "cache_read",
  "cache_write",
  "completion",
  "reasoning",
  "request",
  "image",
] as const;
export type CostBucket = (typeof COST_BUCKETS)[number];

export interface CostBreakdown {
  /** USD */
  total: number;
  /** USD: uncached prompt + cache read + cache write + per-image fees */
  prompt: number;
  /** USD: completion + reasoning */
  completion: number;
  /** exact total in attodollars, for ledgers that must sum without drift */
  totalAtto: bigint;
  /** each bucket in exact attodollars */
  bucketsAtto: Record<CostBucket, bigint>;
  /** each bucket in USD */
  buckets: Record<CostBucket, number>;
}

const SCALE = 18;
const parsed = new WeakMap<Pricing, Map<string, bigint>>();

/** "0.0000003" → 300000000000n attodollars. Throws on anything that is not a plain decimal. */
export function parseUsdDecimal(value: string): bigint {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!match) throw new RangeError(`not a decimal price: ${JSON.stringify(value)}`);
  const whole = match[1] ?? "0";
  const frac = (match[2] ?? "").slice(0, SCALE).padEnd(SCALE, "0");
  return BigInt(whole) * 10n ** BigInt(SCALE) + BigInt(frac);
}

/** Exact decimal rendering of attodollars: 300000000000n → "0.0000003". */
export function formatUsd(atto: bigint): string {
  const negative = atto < 0n;
  const abs = negative ? -atto : atto;
  const whole = abs / 10n ** BigInt(SCALE);
  const frac = (abs % 10n ** BigInt(SCALE)).toString().padStart(SCALE, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

function price(pricing: Pricing, key: string): bigint | undefined {
  let cache = parsed.get(pricing);
  if (!cache) {
    cache = new Map();
    for (const [k, v] of Object.entries(pricing)) if (typeof v === "string") cache.set(k, parseUsdDecimal(v));
    parsed.set(pricing, cache);
  }
  return cache.get(key);
}

const ATTO_PER_USD = 1e18;
const EXACT_BELOW = BigInt(Number.MAX_SAFE_INTEGER);

/**
 * The nearest double to an exact attodollar amount. Below 2^53 atto (under a cent) the integer
 * and 1e18 are exact doubles and IEEE division rounds once, correctly — and that is nearly every
 * per-request cost; larger amounts go through the exact decimal string.
 */
export function usdOf(atto: bigint): number {
  if (atto <= EXACT_BELOW && atto >= -EXACT_BELOW) return Number(atto) / ATTO_PER_USD;
  return Number(formatUsd(atto));
}

/**
 * Usage → cost. Token counts follow OpenAI's convention (cached and written tokens are part of
 * `prompt_tokens`, reasoning tokens part of `completion_tokens`); they are split into disjoint
 * buckets first, clamped so no token is billed twice, then each bucket is priced exactly.
 * Missing prices fall back to the plain prompt/completion price (cache, reasoning) or zero (fees).
 */
export function computeCost(pricing: Pricing, usage: NormalizedUsage): CostBreakdown {
  const promptPrice = price(pricing, "prompt") ?? 0n;
  const completionPrice = price(pricing, "completion") ?? 0n;
  const promptTokens = clamp(usage.prompt_tokens, Number.MAX_SAFE_INTEGER);
  const completionTokens = clamp(usage.completion_tokens, Number.MAX_SAFE_INTEGER);
  const cached = clamp(usage.cached_tokens, promptTokens);
  const written = clamp(usage.cache_write_tokens, promptTokens - cached);
  const reasoning = clamp(usage.reasoning_tokens, completionTokens);

  const bucketsAtto: Record<CostBucket, bigint> = {
    uncached_prompt: BigInt(promptTokens - cached - written) * promptPrice,
    cache_read: BigInt(cached) * (price(pricing, "input_cache_read") ?? promptPrice),
    cache_write: BigInt(written) * (price(pricing, "input_cache_write") ?? promptPrice),
    completion: BigInt(completionTokens - reasoning) * completionPrice,
    reasoning: BigInt(reasoning) * (price(pricing, "internal_reasoning") ?? completionPrice),
    request: price(pricing, "request") ?? 0n,
    image: BigInt(clamp(usage.images ?? 0, Number.MAX_SAFE_INTEGER)) * (price(pricing, "image") ?? 0n),
  };
  const b = bucketsAtto;
  const promptAtto = b.uncached_prompt + b.cache_read + b.cache_write + b.image;
  const completionAtto = b.completion + b.reasoning;
  const totalAtto = promptAtto + completionAtto + b.request;
  const buckets = Object.fromEntries(COST_BUCKETS.map((k) => [k, usdOf(b[k])])) as Record<CostBucket, number>;
  return {
    total: usdOf(totalAtto),
    prompt: usdOf(promptAtto),
    completion: usdOf(completionAtto),
    totalAtto,
    bucketsAtto,
    buckets,
  };
}

/** A non-negative integer count no larger than `max` (adapters may report nonsense; never bill it). */
function clamp(count: number, max: number): number {
  if (!Number.isFinite(count) || count <= 0) return 0;
  return Math.min(Math.floor(count), Math.max(0, max));
}
