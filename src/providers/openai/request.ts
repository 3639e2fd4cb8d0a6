import type { ChatRequest } from "../../schema/chat";
import type { UpstreamTarget } from "../types";

/** OpenRouter/Junction routing fields: meaningful to the router, rejected by OpenAI-strict hosts. */
const ROUTER_ONLY_FIELDS = new Set([
  "models",
  "provider",
  "route",
  "transforms",
  "plugins",
  "usage",
  "session_id",
  "reasoning",
]);

/**
 * The request body for an OpenAI-compatible host: the caller's request with the router's own
 * fields removed and everything else (including fields Junction does not know) kept as sent.
 */
export function buildOpenAIBody(request: ChatRequest, providerModelId: string): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key in request) {
    if (!ROUTER_ONLY_FIELDS.has(key)) body[key] = (request as Record<string, unknown>)[key];
  }
  body.model = providerModelId;
  if (request.reasoning?.effort !== undefined && body.reasoning_effort === undefined) {
    body.reasoning_effort = request.reasoning.effort;
  }
  if (request.stream) {
    // Usage must be accounted for every stream, so it is always requested.
    body.stream_options = { ...(request.stream_options ?? {}), include_usage: true };
  } else {
    delete body.stream_options;
  }
  return body;
}

export function buildOpenAIRequest(request: ChatRequest, target: UpstreamTarget): Request {
  const headers = new Headers({ "content-type": "application/json" });
  if (target.apiKey !== undefined) headers.set("authorization", `Bearer ${target.apiKey}`);
  if (request.stream) headers.set("accept", "text/event-stream");
  const body = buildOpenAIBody(request, target.resolved.endpoint.provider_model_id);
  return new Request(`${target.baseUrl.replace(/\/+$/, "")}/chat/completions`, {
    method: "POST",
    headers,
    body: JSON.stringify(body),
  });
}
