import type { ApiFamily, ResolvedEndpoint } from "../catalog/types";
import { anthropicAdapter } from "./anthropic";
import { azureAdapter } from "./azure";
import { bedrockAdapter } from "./bedrock";
import { cohereAdapter } from "./cohere";
import { demoAdapter } from "./demo";
import { geminiAdapter } from "./gemini";
import { openAIAdapter } from "./openai";
import type { ProviderAdapter } from "./types";
import { workersAIAdapter } from "./workers-ai";

/** Adapters by API family; families without one yet are skipped by routing. */
const adapters: Partial<Record<ApiFamily, ProviderAdapter>> = {
  openai: openAIAdapter,
  demo: demoAdapter,
  anthropic: anthropicAdapter,
  gemini: geminiAdapter,
  bedrock: bedrockAdapter,
  azure: azureAdapter,
  cohere: cohereAdapter,
  "workers-ai": workersAIAdapter,
};

export function adapterFor(family: ApiFamily): ProviderAdapter | undefined {
  return adapters[family];
}

/**
 * The API family an endpoint speaks: its own `api` when it differs from its provider's (Claude
 * served by Vertex AI speaks Anthropic's Messages API), else the provider's.
 */
export function familyOf(resolved: ResolvedEndpoint): ApiFamily {
  const own = resolved.endpoint.api;
  return typeof own === "string" && own in adapters ? (own as ApiFamily) : resolved.provider.api;
}

export function adapterForEndpoint(resolved: ResolvedEndpoint): ProviderAdapter | undefined {
  return adapters[familyOf(resolved)];
}
