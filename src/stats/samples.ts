/**
 * Turns what the gateway saw into samples: a failed attempt, or a generation that reached the
 * client (completed, cut, or cancelled by the client). Pure: every time is passed in.
 */
import { type AttemptSample, type FailureFacts, failureClass } from "./aggregate";

export interface ServedGeneration {
  /** When the serving attempt was sent upstream. */
  sentAt: number;
  /** When its first output arrived (JSON answers: the whole answer). */
  firstTokenAt: number;
  endedAt: number;
  outputTokens: number;
  streamed: boolean;
  /** Set when a stream failed after its first token. */
  failure?: FailureFacts | undefined;
}

export function failedSample(
  endpoint: string,
  failure: FailureFacts,
  sentAt: number,
  at: number,
  countsAgainstEndpoint: boolean,
  retryAfterWaitMaxMs: number,
  colo: string | undefined,
): AttemptSample {
  const retryAfterMs = (failure.retryAfterSeconds ?? 0) * 1000;
  return {
    endpoint,
    at,
    status: failureClass(failure, countsAgainstEndpoint),
    totalMs: at - sentAt,
    colo,
    // Only a Retry-After too long to wait out opens the endpoint's circuit (as in the attempt loop).
    retryUntil: countsAgainstEndpoint && retryAfterMs > retryAfterWaitMaxMs ? at + retryAfterMs : undefined,
  };
}

/**
 * Throughput is output tokens over generation time: first token → end for streams, the whole call
 * for JSON answers (which show nothing earlier), as OpenRouter reports it.
 */
export function servedSample(endpoint: string, g: ServedGeneration, colo: string | undefined): AttemptSample {
  const generationMs = g.endedAt - (g.streamed ? g.firstTokenAt : g.sentAt);
  const tokensPerSecond =
    !g.failure && g.outputTokens > 0 && generationMs > 0 ? (g.outputTokens * 1000) / generationMs : undefined;
  return {
    endpoint,
    at: g.endedAt,
    status: g.failure ? "stream_break" : "ok",
    ttftMs: g.firstTokenAt - g.sentAt,
    totalMs: g.endedAt - g.sentAt,
    tokensPerSecond,
    colo,
  };
}
