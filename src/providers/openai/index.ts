/** The OpenAI chat-completions family: every OpenAI-compatible host is a catalog entry using this. */
import type { ProviderAdapter } from "../types";
import { buildOpenAIRequest } from "./request";
import { mapOpenAIError, mapOpenAIResponse } from "./response";
import { OpenAIStreamTranslator } from "./stream";

export const openAIAdapter: ProviderAdapter = {
  buildRequest: buildOpenAIRequest,
  mapResponse: mapOpenAIResponse,
  createStreamTranslator: () => new OpenAIStreamTranslator(),
  mapError: mapOpenAIError,
};
