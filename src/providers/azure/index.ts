/**
 * The `azure` family: Azure OpenAI deployments. The wire format is OpenAI's; what differs is the
 * address (`{base}/openai/deployments/{deployment}/chat/completions?api-version=...`, the
 * deployment being the endpoint's `provider_model_id`), the `api-key` header, and the errors.
 *
 * The API version is the endpoint's `api_version`, else the provider's. `"v1"` selects Azure's
 * version-less v1 API (`{base}/openai/v1/chat/completions`, deployment in the body's `model`).
 */

import type { ChatRequest } from "../../schema/chat";
import { classifyUpstreamFailure } from "../failure";
import { openAIAdapter } from "../openai";
import { buildOpenAIBody } from "../openai/request";
import { openAIErrorMessage } from "../openai/response";
import { isObject } from "../translate";
import type { ProviderAdapter, UpstreamFailure, UpstreamTarget } from "../types";

const DEFAULT_API_VERSION = "2024-10-21";

export function azureUrl(target: UpstreamTarget): string {
  const { endpoint, provider } = target.resolved;
  const base = target.baseUrl.replace(/\/+$/, "").replace(/\/openai(\/v1)?$/, "");
  const version = String(endpoint.api_version ?? provider.api_version ?? DEFAULT_API_VERSION);
  if (version === "v1") return `${base}/openai/v1/chat/completions`;
  const deployment = encodeURIComponent(endpoint.provider_model_id);
  return `${base}/openai/deployments/${deployment}/chat/completions?api-version=${encodeURIComponent(version)}`;
}

export function buildAzureRequest(request: ChatRequest, target: UpstreamTarget): Request {
  const headers = new Headers({ "content-type": "application/json" });
  const key = target.apiKey;
  // A Microsoft Entra ID token is sent as a Bearer token; a resource key as `api-key`.
  if (key !== undefined && /^bearer /i.test(key)) headers.set("authorization", key);
  else if (key !== undefined) headers.set("api-key", key);
  if (request.stream) headers.set("accept", "text/event-stream");
  return new Request(azureUrl(target), {
    method: "POST",
    headers,
    body: JSON.stringify(buildOpenAIBody(request, target.resolved.endpoint.provider_model_id)),
  });
}

/** Azure's rate-limit hints: `retry-after-ms` is finer than `retry-after`, and sometimes the only one. */
function retryAfterSeconds(headers: Headers, message: string): number | undefined {
  const ms = Number(headers.get("retry-after-ms"));
  if (headers.has("retry-after-ms") && Number.isFinite(ms) && ms >= 0) return Math.ceil(ms / 1000);
  const stated = /retry after (\d+) seconds?/i.exec(message);
  return stated ? Number(stated[1]) : undefined;
}

/**
 * Azure errors are OpenAI-shaped with Azure codes: `content_filter` (the prompt tripped the
 * deployment's content filter; another provider's policy may differ), `DeploymentNotFound`,
 * `"429"` with `retry-after-ms`.
 */
export function mapAzureError(status: number, body: string, headers: Headers): UpstreamFailure {
  const { message, raw } = openAIErrorMessage(body);
  const failure = classifyUpstreamFailure(status, message, raw, headers);
  const error = isObject(raw) && isObject(raw.error) ? raw.error : {};
  const inner = isObject(error.innererror) ? error.innererror : {};
  if (error.code === "content_filter" || inner.code === "ResponsibleAIPolicyViolation") {
    return { ...failure, status: 400, errorType: "content_policy_violation", retryable: true };
  }
  if (error.code === "context_length_exceeded") {
    return { ...failure, status: 400, errorType: "context_length_exceeded", retryable: true };
  }
  if (failure.retryAfterSeconds === undefined && (status === 429 || status === 503)) {
    const seconds = retryAfterSeconds(headers, message);
    if (seconds !== undefined) return { ...failure, retryAfterSeconds: seconds };
  }
  return failure;
}

export const azureAdapter: ProviderAdapter = {
  ...openAIAdapter,
  buildRequest: buildAzureRequest,
  mapError: mapAzureError,
};
