/**
 * Exact cost: prices are decimal strings, so they are parsed to integer attodollars (1e-18 USD)
 * and multiplied as BigInt; the only rounding is the final conversion of the exact total to a
 * JavaScript number. Buckets are disjoint, so their sum is the total.
 */
import type { Pricing } from "./types";

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

export interface CostBreakdown {
  /** USD */
  total: number;
  prompt: number;
  completion: number;
  /** exact total in attodollars, for ledgers that must sum without drift */
  totalAtto: bigint;
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

const toUsd = (atto: bigint) => Number(formatUsd(atto));

export function computeCost(pricing: Pricing, usage: NormalizedUsage): CostBreakdown {
  const promptPrice = price(pricing, "prompt") ?? 0n;
  const completionPrice = price(pricing, "completion") ?? 0n;
  const cached = Math.min(usage.cached_tokens, usage.prompt_tokens);
  const written = Math.min(usage.cache_write_tokens, usage.prompt_tokens - cached);
  const uncached = usage.prompt_tokens - cached - written;
  const reasoningPrice = price(pricing, "internal_reasoning");
  const reasoning =
    reasoningPrice === undefined ? 0 : Math.min(usage.reasoning_tokens, usage.completion_tokens);

  const promptAtto =
    BigInt(uncached) * promptPrice +
    BigInt(cached) * (price(pricing, "input_cache_read") ?? promptPrice) +
    BigInt(written) * (price(pricing, "input_cache_write") ?? promptPrice) +
    BigInt(usage.images ?? 0) * (price(pricing, "image") ?? 0n);
  const completionAtto =
    BigInt(usage.completion_tokens - reasoning) * completionPrice +
    BigInt(reasoning) * (reasoningPrice ?? 0n);
  const totalAtto = promptAtto + completionAtto + (price(pricing, "request") ?? 0n);
  return { total: toUsd(totalAtto), prompt: toUsd(promptAtto), completion: toUsd(completionAtto), totalAtto };
}
