/**
 * What a request reserves before it is sent: tokens (the prompt estimate plus the most it may
 * generate) and its worst-case cost on the most expensive endpoint it may be routed to. The
 * prompt estimate is padded for the cost because it is an estimate and a credit limit must hold.
 */
import { computeCost } from "../catalog/cost";
import type { ResolvedEndpoint } from "../catalog/types";
import type { ChatRequest } from "../schema/chat";
import type { Demand } from "./types";

const PROMPT_ESTIMATE_MARGIN = 1.5;
const ATTO_PER_NANO = 1_000_000_000n;

/** `charge` turns a provider price into what the caller pays (the tenant's markup). */
export function demandFor(
  request: ChatRequest,
  attempts: ResolvedEndpoint[],
  promptTokens: number,
  charge: (atto: bigint) => bigint = (atto) => atto,
): Demand {
  let tokens = 0;
  let creditAtto = 0n;
  const requested = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  for (const { endpoint } of attempts) {
    const output =
      requested ?? endpoint.max_completion_tokens ?? Math.max(0, endpoint.context_length - promptTokens);
    tokens = Math.max(tokens, promptTokens + output);
    const worst = computeCost(endpoint.pricing, {
      prompt_tokens: Math.ceil(promptTokens * PROMPT_ESTIMATE_MARGIN),
      completion_tokens: output,
      cached_tokens: 0,
      cache_write_tokens: 0,
      reasoning_tokens: 0,
    });
    const charged = charge(worst.totalAtto);
    if (charged > creditAtto) creditAtto = charged;
  }
  // Round up: a reservation must never be smaller than the cost it covers.
  return { tokens, creditNanos: Number((creditAtto + ATTO_PER_NANO - 1n) / ATTO_PER_NANO) };
}
