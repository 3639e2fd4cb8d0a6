import { type CostBreakdown, computeCost, type NormalizedUsage, usdOf } from "../catalog/cost";
import type { ResolvedEndpoint } from "../catalog/types";
import { chargedAtto } from "../tenants/policy";
import type { ChatContext } from "./context";

/** What a generation costs the caller: the provider's price, with the tenant's markup applied. */
export interface Charge {
  /** The provider's price. */
  upstream: CostBreakdown;
  /** What the caller is charged, exact. */
  chargedAtto: bigint;
  /** The same in USD. */
  charged: number;
}

/** The `usage` object of every response, streamed or not (DESIGN.md §1). */
export function renderUsage(usage: NormalizedUsage, charge: Charge, isByok: boolean) {
  return {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: {
      cached_tokens: usage.cached_tokens,
      cache_write_tokens: usage.cache_write_tokens,
    },
    completion_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
    cost: charge.charged,
    is_byok: isByok,
    cost_details: {
      upstream_inference_cost: charge.upstream.total,
      upstream_inference_prompt_cost: charge.upstream.prompt,
      upstream_inference_completions_cost: charge.upstream.completion,
    },
  };
}

export function priceUsage(ctx: ChatContext, resolved: ResolvedEndpoint, usage: NormalizedUsage) {
  const upstream = computeCost(resolved.endpoint.pricing, usage);
  const atto = chargedAtto(ctx.tenant, upstream.totalAtto);
  const charge: Charge = {
    upstream,
    chargedAtto: atto,
    charged: atto === upstream.totalAtto ? upstream.total : usdOf(atto),
  };
  const isByok = ctx.credentials.forProvider(resolved.provider.slug)?.byok ?? false;
  return { cost: charge, rendered: renderUsage(usage, charge, isByok) };
}
