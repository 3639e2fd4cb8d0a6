/**
 * Errors in OpenRouter's shape: `{"error": {"code", "message", "metadata": {"error_type", ...}}}`
 * with the same HTTP status. Every failure that reaches a client goes through `JunctionError`.
 */

/** OpenRouter's canonical error types (`ApiErrorType` in the OpenAPI document). */
export type ErrorType =
  | "context_length_exceeded"
  | "max_tokens_exceeded"
  | "authentication"
  | "permission_denied"
  | "payment_required"
  | "rate_limit_exceeded"
  | "provider_overloaded"
  | "provider_unavailable"
  | "invalid_request"
  | "not_found"
  | "payload_too_large"
  | "unprocessable"
  | "content_policy_violation"
  | "server"
  | "timeout"
  | "unmapped";

export type ErrorStatus =
  | 400
  | 401
  | 402
  | 403
  | 404
  | 405
  | 408
  | 409
  | 413
  | 415
  | 422
  | 429
  | 500
  | 502
  | 503
  | 504;

export interface ErrorBody {
  error: { code: number; message: string; metadata: Record<string, unknown> & { error_type: ErrorType } };
}

export class JunctionError extends Error {
  constructor(
    readonly status: ErrorStatus,
    message: string,
    readonly errorType: ErrorType,
    readonly metadata: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "JunctionError";
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.status,
        message: this.message,
        metadata: { error_type: this.errorType, ...this.metadata },
      },
    };
  }

  toResponse(extraHeaders?: HeadersInit): Response {
    const headers = new Headers(extraHeaders);
    headers.set("content-type", "application/json");
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    return new Response(JSON.stringify(this.toBody()), { status: this.status, headers });
  }
}

export const badRequest = (message: string, metadata?: Record<string, unknown>) =>
  new JunctionError(400, message, "invalid_request", metadata);

export const unauthorized = (message: string) => new JunctionError(401, message, "authentication");

export const notFound = (message: string, metadata?: Record<string, unknown>) =>
  new JunctionError(404, message, "not_found", metadata);
