import type { ResolvedEndpoint } from "../catalog/types";
import type { Env } from "../env";
import { JunctionError } from "../errors";
import type { UpstreamFailure } from "../providers/types";
import type { Exclusion } from "../routing/plan";
import type { ChatRequest } from "../schema/chat";
import type { StatsReporter } from "../stats/isolate";
import type { Credentials } from "../tenants/credentials";
import type { TenantConfig } from "../tenants/types";
import type { AttemptRecord, GenerationSink } from "./generation";
import type { GatewaySettings } from "./settings";

/** Everything the execute stage needs for one chat request. */
export interface ChatContext {
  env: Env;
  request: ChatRequest;
  attempts: ResolvedEndpoint[];
  /** How routing ordered the attempts (for the `Junction-Route` header). */
  strategy: string;
  /** Set when the client sent `X-Junction-Explain: true`: what was left out of the plan and why. */
  explain?: { excluded: Exclusion[] } | undefined;
  clientSignal: AbortSignal;
  settings: GatewaySettings;
  tenant: TenantConfig;
  /** Provider keys for this tenant (its own, or the platform's where allowed). */
  credentials: Credentials;
  /** `Date.now()` when the request arrived. */
  startedAt: number;
  generationId: string;
  sink: GenerationSink;
  waitUntil(promise: Promise<unknown>): void;
  /** Samples attempts and generations for the shared endpoint stats (absent without the binding). */
  stats?: StatsReporter | undefined;
}

export function attemptRecord(resolved: ResolvedEndpoint, failure?: UpstreamFailure): AttemptRecord {
  return failure
    ? {
        provider: resolved.provider.slug,
        model: resolved.model.id,
        status: failure.upstreamStatus,
        code: failure.errorType,
        message: failure.message.slice(0, 300),
      }
    : { provider: resolved.provider.slug, model: resolved.model.id, status: 200, code: "ok" };
}

/** The error for a request on which every attempt failed, or the first failure that is the caller's. */
export function failureError(
  failure: UpstreamFailure,
  resolved: ResolvedEndpoint,
  tried: AttemptRecord[],
): JunctionError {
  const headers: Record<string, string> = {};
  if (failure.status === 429 || failure.status === 503)
    headers["retry-after"] = String(Math.ceil(failure.retryAfterSeconds ?? 1));
  const prefix = failure.retryable && tried.length > 1 ? `All ${tried.length} attempts failed; last: ` : "";
  return new JunctionError(
    failure.status,
    `${prefix}${resolved.provider.name}: ${failure.message}`,
    failure.errorType,
    {
      provider_name: resolved.provider.name,
      raw: failure.raw ?? null,
      previous_errors: tried.map(({ provider, status, code }) => ({ provider, status, code })),
    },
    headers,
  );
}

export function serverTiming(totalMs: number, upstreamMs: number): string {
  const junction = Math.max(0, totalMs - upstreamMs);
  return `junction;dur=${junction.toFixed(1)}, upstream;dur=${upstreamMs.toFixed(1)}`;
}

/** `Junction-Route`: which endpoint served, which attempt it was, and how the order was chosen. */
export function routeHeader(ctx: ChatContext, resolved: ResolvedEndpoint, attemptNumber: number): string {
  return `${resolved.provider.slug}/${resolved.endpoint.provider_model_id}; model=${resolved.model.id}; attempt=${attemptNumber}/${ctx.attempts.length}; strategy=${ctx.strategy}`;
}

/**
 * The opt-in `route` block (`X-Junction-Explain: true`): every planned endpoint in order, what
 * happened on each attempt, and what was excluded and why.
 */
export function routeExplanation(ctx: ChatContext, tried: AttemptRecord[]) {
  if (!ctx.explain) return undefined;
  return {
    strategy: ctx.strategy,
    planned: ctx.attempts.map((r) => `${r.model.id}@${r.provider.slug}`),
    attempts: tried,
    excluded: ctx.explain.excluded,
  };
}
