import type { ApiFamily } from "../catalog/types";
import { demoAdapter } from "./demo";
import { openAIAdapter } from "./openai";
import type { ProviderAdapter } from "./types";

/** Adapters by API family; families without one yet are skipped by routing. */
const adapters: Partial<Record<ApiFamily, ProviderAdapter>> = {
  openai: openAIAdapter,
  demo: demoAdapter,
};

export function adapterFor(family: ApiFamily): ProviderAdapter | undefined {
  return adapters[family];
}
