/**
 * The attempt loop shared by JSON and streaming answers: try the planned endpoints in order until
 * one succeeds, all before the first byte reaches the client.
 *
 * - Retryable failures (network, timeouts, 408/429/5xx/529, overloaded) move on to the next endpoint.
 * - A failure that is the caller's (a 400 the upstream blames on the request) is answered at once.
 * - A context-length refusal skips every remaining endpoint whose context is no larger.
 * - A short `Retry-After` is waited out and the same endpoint retried once; a long one moves on
 *   and opens that endpoint's circuit for as long as it asked.
 * - Every outcome feeds the isolate's circuit breakers, which routing reads; failed attempts are
 *   also sampled for the shared stats (successes are, once their generation ends).
 */
import type { ResolvedEndpoint } from "../catalog/types";
import type { JunctionError } from "../errors";
import { networkFailure } from "../providers/failure";
import type { UpstreamFailure } from "../providers/types";
import { CircuitBreakers } from "../routing/circuit";
import { endpointKey } from "../routing/health";
import { attemptRecord, type ChatContext, failureError } from "./context";
import type { AttemptRecord } from "./generation";

/** This isolate's circuit breakers: shared by every request the isolate serves. */
export const isolateCircuits = new CircuitBreakers();

export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; failure: UpstreamFailure };

export type AttemptsResult<T> =
  | { ok: true; value: T; resolved: ResolvedEndpoint; tried: AttemptRecord[]; attemptNumber: number }
  | { ok: false; error: JunctionError; tried: AttemptRecord[] };

/** Failures that say something about the endpoint's health rather than about this request. */
function countsAgainstEndpoint(failure: UpstreamFailure): boolean {
  // Context-length refusals and requests the adapter could not express are about the request.
  return (
    failure.retryable &&
    failure.errorType !== "context_length_exceeded" &&
    failure.errorType !== "invalid_request"
  );
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function tryInOrder<T>(
  ctx: ChatContext,
  attempt: (resolved: ResolvedEndpoint) => Promise<AttemptOutcome<T>>,
): Promise<AttemptsResult<T>> {
  const tried: AttemptRecord[] = [];
  let shortestRetryAfter: number | undefined;
  let last: { failure: UpstreamFailure; resolved: ResolvedEndpoint } | undefined;
  let contextTooSmallAtMost = -1;
  const deadline = ctx.startedAt + ctx.settings.totalTimeoutMs;

  for (let i = 0; i < ctx.attempts.length; i++) {
    const resolved = ctx.attempts[i] as ResolvedEndpoint;
    if (ctx.clientSignal.aborted) break;
    if (resolved.endpoint.context_length <= contextTooSmallAtMost) continue;
    if (Date.now() >= deadline) {
      last = {
        failure: networkFailure(`deadline of ${ctx.settings.totalTimeoutMs} ms passed`, true),
        resolved,
      };
      break;
    }
    const key = endpointKey(resolved);
    let sentAt = Date.now();
    let outcome = await attempt(resolved);
    if (!outcome.ok) {
      const wait = (outcome.failure.retryAfterSeconds ?? Number.POSITIVE_INFINITY) * 1000;
      if (
        outcome.failure.retryable &&
        wait <= ctx.settings.retryAfterWaitMaxMs &&
        Date.now() + wait < deadline
      ) {
        tried.push(attemptRecord(resolved, outcome.failure));
        ctx.stats?.failed(resolved, outcome.failure, sentAt, countsAgainstEndpoint(outcome.failure));
        await sleep(wait);
        // The client left while we waited: its failure is already recorded.
        if (ctx.clientSignal.aborted) break;
        sentAt = Date.now();
        outcome = await attempt(resolved);
      }
    }
    if (outcome.ok) {
      isolateCircuits.recordSuccess(key);
      tried.push(attemptRecord(resolved));
      return { ok: true, value: outcome.value, resolved, tried, attemptNumber: i + 1 };
    }
    const { failure } = outcome;
    // An attempt cut short because the client left says nothing about the endpoint.
    if (ctx.clientSignal.aborted) break;
    tried.push(attemptRecord(resolved, failure));
    ctx.stats?.failed(resolved, failure, sentAt, countsAgainstEndpoint(failure));
    last = { failure, resolved };
    if (failure.retryAfterSeconds !== undefined) {
      shortestRetryAfter = Math.min(
        shortestRetryAfter ?? Number.POSITIVE_INFINITY,
        failure.retryAfterSeconds,
      );
    }
    if (countsAgainstEndpoint(failure)) {
      const wait = (failure.retryAfterSeconds ?? 0) * 1000;
      isolateCircuits.recordFailure(key, wait > ctx.settings.retryAfterWaitMaxMs ? wait : undefined);
    }
    if (!failure.retryable) break;
    if (failure.errorType === "context_length_exceeded") {
      contextTooSmallAtMost = Math.max(contextTooSmallAtMost, resolved.endpoint.context_length);
    }
  }

  if (!last) {
    const resolved = ctx.attempts[0] as ResolvedEndpoint;
    const cancelled = networkFailure("the client cancelled the request", false);
    return {
      ok: false,
      error: failureError({ ...cancelled, status: 408, errorType: "timeout" }, resolved, tried),
      tried,
    };
  }
  // When the last failure gave no Retry-After, the shortest one any attempt gave is the best hint.
  const failure = {
    ...last.failure,
    retryAfterSeconds: last.failure.retryAfterSeconds ?? shortestRetryAfter,
  };
  return { ok: false, error: failureError(failure, last.resolved, tried), tried };
}
