/** The Anthropic Messages family (`POST /v1/messages`). */
import { mapOpenAIError } from "../openai/response";
import type { ProviderAdapter } from "../types";
import { buildAnthropicRequest } from "./request";
import { mapAnthropicResponse } from "./response";
import { AnthropicStreamTranslator } from "./stream";

export const anthropicAdapter: ProviderAdapter = {
  buildRequest: buildAnthropicRequest,
  mapResponse: mapAnthropicResponse,
  createStreamTranslator: () => new AnthropicStreamTranslator(),
  // Anthropic's error body (`{"type": "error", "error": {"type", "message"}}`) keeps the message
  // where OpenAI's does, and its statuses (529 overloaded included) classify the same way.
  mapError: mapOpenAIError,
};
