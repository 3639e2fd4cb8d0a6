/** The Gemini family: Google AI Studio and Vertex AI `generateContent`. */
import type { ProviderAdapter } from "../types";
import { buildGeminiRequest } from "./request";
import { mapGeminiError, mapGeminiResponse } from "./response";
import { GeminiStreamTranslator } from "./stream";

export const geminiAdapter: ProviderAdapter = {
  buildRequest: buildGeminiRequest,
  mapResponse: mapGeminiResponse,
  createStreamTranslator: () => new GeminiStreamTranslator(),
  mapError: mapGeminiError,
};
