/** Non-streaming chat: try each planned endpoint until one answers, then map and account it. */
import type { NormalizedUsage } from "../catalog/cost";
import { attoToNanos } from "../limits/money";
import { malformedFailure } from "../providers/failure";
import type { CanonicalCompletion } from "../providers/types";
import { countTokens, estimatePromptTokens } from "../tokens";
import { tryInOrder } from "./attempts";
import { type ChatContext, routeExplanation, routeHeader, serverTiming } from "./context";
import { openAttempt, withTimeout } from "./upstream";
import { priceUsage } from "./usage";

function estimateUsage(ctx: ChatContext, completion: CanonicalCompletion): NormalizedUsage {
  const text = completion.choices
    .map(
      (c) => (c.message.content ?? "") + (c.message.tool_calls ? JSON.stringify(c.message.tool_calls) : ""),
    )
    .join("");
  return {
    prompt_tokens: estimatePromptTokens(ctx.request),
    completion_tokens: countTokens(text),
    cached_tokens: 0,
    cache_write_tokens: 0,
    reasoning_tokens: 0,
  };
}

export async function completeJson(ctx: ChatContext): Promise<Response> {
  let sentAt = ctx.startedAt;
  const result = await tryInOrder(ctx, async (resolved) => {
    sentAt = Date.now();
    const remaining = ctx.startedAt + ctx.settings.totalTimeoutMs - sentAt;
    const timeout = Math.max(1, Math.min(remaining, ctx.settings.attemptTimeoutMs));
    const opened = await openAttempt(ctx, resolved, timeout);
    if (!opened.ok) return opened;
    try {
      const body = await withTimeout(opened.response.json(), ctx.settings.idleTimeoutMs, opened.abort);
      return { ok: true, value: opened.adapter.mapResponse(body) };
    } catch (error) {
      return { ok: false, failure: malformedFailure(`upstream answer could not be read: ${String(error)}`) };
    }
  });
  if (!result.ok) throw result.error;

  const { value: completion, resolved, tried } = result;
  const answeredAt = Date.now();
  const usage = completion.usage ?? estimateUsage(ctx, completion);
  const { cost, rendered } = priceUsage(ctx, resolved, usage);
  const first = completion.choices[0];
  ctx.stats?.served(resolved, {
    sentAt,
    firstTokenAt: answeredAt,
    endedAt: answeredAt,
    outputTokens: usage.completion_tokens,
    streamed: false,
  });
  const body = {
    id: ctx.generationId,
    object: "chat.completion",
    created: Math.floor(ctx.startedAt / 1000),
    model: resolved.model.id,
    provider: resolved.provider.name,
    system_fingerprint: completion.system_fingerprint,
    choices: completion.choices,
    usage: rendered,
    ...(ctx.explain && { route: routeExplanation(ctx, tried) }),
  };
  ctx.sink({
    id: ctx.generationId,
    created_at: ctx.startedAt,
    model: resolved.model.id,
    provider: resolved.provider.slug,
    provider_model_id: resolved.endpoint.provider_model_id,
    streamed: false,
    cancelled: false,
    finish_reason: first?.finish_reason ?? null,
    native_finish_reason: first?.native_finish_reason ?? null,
    usage,
    usage_estimated: completion.usage === undefined,
    cost: cost.charged,
    cost_nanos: attoToNanos(cost.chargedAtto),
    latency_ms: answeredAt - ctx.startedAt,
    generation_time_ms: answeredAt - ctx.startedAt,
    attempts: tried,
    user: ctx.request.user ?? null,
    session_id: ctx.request.session_id ?? null,
  });
  return new Response(JSON.stringify(body), {
    headers: {
      "content-type": "application/json",
      "x-generation-id": ctx.generationId,
      "junction-route": routeHeader(ctx, resolved, result.attemptNumber),
      "server-timing": serverTiming(answeredAt - ctx.startedAt, answeredAt - sentAt),
    },
  });
}
