import { describe, expect, it } from "vitest";
import fixture from "../../../test/fixtures/catalog/openrouter-models.json";
import { bundledCatalog } from "../bundled";
import { validateCatalog } from "../schema";
import { importOpenRouter, type OpenRouterModel } from "./openrouter";

const response = fixture as { data: OpenRouterModel[] };

describe("OpenRouter /models import", () => {
  it("maps each model to an endpoint on the openrouter provider and skips variable-price routers", () => {
    const { document, skipped } = importOpenRouter(response);
    expect(validateCatalog(document).ok).toBe(true);
    expect(document.providers.map((p) => p.slug)).toEqual(["openrouter"]);
    expect(document.models.map((m) => m.id)).toEqual([
      "openai/gpt-4o-mini",
      "meta-llama/llama-3.3-70b-instruct:free",
      "mistralai/mistral-nemo",
    ]);
    expect(skipped).toEqual(["openrouter/auto: no fixed prompt/completion price"]);
    const mini = document.models[0];
    expect(mini).toMatchObject({
      name: "OpenAI: GPT-4o-mini",
      created: 1721260800,
      context_length: 128000,
      input_modalities: ["text", "image", "file"],
      tokenizer: "GPT",
      knowledge_cutoff: "2023-10-01",
    });
    expect(mini?.endpoints[0]).toEqual({
      provider: "openrouter",
      provider_model_id: "openai/gpt-4o-mini",
      context_length: 128000,
      max_completion_tokens: 16384,
      quantization: null,
      pricing: {
        prompt: "0.00000015",
        completion: "0.0000006",
        request: "0",
        image: "0.000217",
        web_search: "0",
        internal_reasoning: "0",
        input_cache_read: "0.000000075",
      },
      supported_parameters: [
        "max_tokens",
        "temperature",
        "top_p",
        "tools",
        "tool_choice",
        "response_format",
        "seed",
      ],
    });
    expect(document.models[1]?.endpoints[0]?.context_length).toBe(65536);
  });

  it("with merge, adds OpenRouter as one more endpoint of known models and appends the rest", () => {
    const { document } = importOpenRouter(response, { merge: bundledCatalog });
    expect(validateCatalog(document).ok).toBe(true);
    expect(document.models.length).toBe(bundledCatalog.models.length + 1);
    const mini = document.models.find((m) => m.id === "openai/gpt-4o-mini");
    expect(mini?.endpoints.map((e) => e.provider)).toEqual(["openai", "azure", "openrouter"]);
    expect(document.providers.at(-1)?.slug).toBe("openrouter");
    expect(document.providers.length).toBe(bundledCatalog.providers.length + 1);
  });
});
