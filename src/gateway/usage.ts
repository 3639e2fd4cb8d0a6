import { type CostBreakdown, computeCost, type NormalizedUsage } from "../catalog/cost";
import type { Pricing } from "../catalog/types";

/** The `usage` object of every response, streamed or not (DESIGN.md §1). */
export function renderUsage(usage: NormalizedUsage, cost: CostBreakdown) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: {
      cached_tokens: usage.cached_tokens,
      cache_write_tokens: usage.cache_write_tokens,
    },
    completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    cost: cost.total,
    is_byok: false,
    cost_details: {
      upstream_inference_cost: cost.total,
      upstream_inference_prompt_cost: cost.prompt,
      upstream_inference_completions_cost: cost.completion,
    },
  };
}

export function priceUsage(pricing: Pricing, usage: NormalizedUsage) {
  const cost = computeCost(pricing, usage);
  return { cost, rendered: renderUsage(usage, cost) };
}
