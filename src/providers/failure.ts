/** Classifies an upstream HTTP failure; shared by every family, which only supply the message. */
import type { ErrorType } from "../errors";
import type { UpstreamFailure } from "./types";

const CONTEXT_LENGTH =
  /context[ _-]?(length|window|limit)|maximum context|too many tokens|prompt is too long|exceeds the maximum number of tokens/i;

export function parseRetryAfter(headers: Headers): number | undefined {
  const value = headers.get("retry-after");
  if (value === null) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

export function classifyUpstreamFailure(
  status: number,
  message: string,
  raw: unknown,
  headers: Headers,
): UpstreamFailure {
  const retryAfterSeconds = parseRetryAfter(headers);
  const base = {
    message,
    raw,
    upstreamStatus: status,
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  };
  const failure = (
    answer: UpstreamFailure["status"],
    errorType: ErrorType,
    retryable: boolean,
  ): UpstreamFailure => ({ ...base, status: answer, errorType, retryable });

  if (status === 400 || status === 413 || status === 422) {
    // A context-length refusal is the endpoint's limit, not the caller's mistake: a larger one may work.
    if (CONTEXT_LENGTH.test(message)) return failure(400, "context_length_exceeded", true);
    if (status === 413) return failure(413, "payload_too_large", false);
    return failure(status, status === 422 ? "unprocessable" : "invalid_request", false);
  }
  if (status === 429) return failure(429, "rate_limit_exceeded", true);
  if (status === 408) return failure(504, "timeout", true);
  if (status === 503 || status === 529) return failure(503, "provider_overloaded", true);
  if (status === 504) return failure(504, "timeout", true);
  // 401/402/403/404 are about the platform's account or the provider's model list, not the caller.
  return failure(502, status >= 500 ? "provider_unavailable" : "unmapped", true);
}

export function networkFailure(message: string, timedOut: boolean): UpstreamFailure {
  return timedOut
    ? { status: 504, errorType: "timeout", message, retryable: true, upstreamStatus: 0 }
    : { status: 502, errorType: "provider_unavailable", message, retryable: true, upstreamStatus: 0 };
}

export function malformedFailure(message: string): UpstreamFailure {
  return { status: 502, errorType: "provider_unavailable", message, retryable: true, upstreamStatus: 200 };
}
