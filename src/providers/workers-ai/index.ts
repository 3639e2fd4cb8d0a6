/**
 * The `workers-ai` family: Cloudflare Workers AI, the edge-local provider. With an `AI` binding
 * the model runs through it (no key, no extra hop); without one, through the OpenAI-compatible
 * REST API at `{base}/chat/completions` with `WORKERS_AI_API_KEY` as Bearer token.
 */
import { buildOpenAIRequest } from "../openai/request";
import type { ProviderAdapter } from "../types";
import { workersAITransport } from "./binding";
import { mapWorkersAIError, mapWorkersAIResponse } from "./response";
import { WorkersAIStreamTranslator } from "./stream";

export const workersAIAdapter: ProviderAdapter = {
  buildRequest: buildOpenAIRequest,
  mapResponse: mapWorkersAIResponse,
  createStreamTranslator: () => new WorkersAIStreamTranslator(),
  mapError: mapWorkersAIError,
  transport: workersAITransport,
  servesWithoutKey: (env) => env.AI !== undefined,
};
