import { describe, expect, it } from "vitest";
import prices from "../../../../shared/reference/litellm-model-prices.json";
import bundled from "../bundled.json";
import { validateCatalog } from "../schema";
import curation from "../sources/models.json";
import providers from "../sources/providers.json";
import {
  type CuratedProvider,
  type Curation,
  ImportError,
  importAll,
  importCurated,
  type LiteLlmMap,
  pricingOf,
  usdDecimal,
} from "./litellm";

const map = prices as LiteLlmMap;
const curated = (): Curation => ({
  ...(curation as Omit<Curation, "providers">),
  providers: providers as CuratedProvider[],
});

describe("usdDecimal", () => {
  const cases: [number, string][] = [
    [1.5e-7, "0.00000015"],
    [7.5e-8, "0.000000075"],
    [2.253e-6, "0.000002253"],
    [3.625e-9, "0.000000003625"],
    [0.0001, "0.0001"],
    [0, "0"],
    [15, "15"],
    [1e21, "1000000000000000000000"],
    [0.5, "0.5"],
    [1.25, "1.25"],
  ];
  for (const [value, text] of cases) it(`${value} → ${text}`, () => expect(usdDecimal(value)).toBe(text));
  it("refuses what is not a price", () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY])
      expect(() => usdDecimal(bad)).toThrow(RangeError);
  });
});

describe("LiteLLM entries", () => {
  it("map to exact decimal prices, cache and image prices included; a zero cache-write price means none", () => {
    expect(pricingOf(map["gpt-4o-mini"] as object)).toEqual({
      prompt: "0.00000015",
      completion: "0.0000006",
      input_cache_read: "0.000000075",
    });
    expect(pricingOf(map["claude-sonnet-4-5"] as object)).toEqual({
      prompt: "0.000003",
      completion: "0.000015",
      input_cache_read: "0.0000003",
      input_cache_write: "0.00000375",
    });
    expect(pricingOf(map["deepseek/deepseek-v4-pro"] as object)?.input_cache_write).toBeUndefined();
    expect(pricingOf({ input_cost_per_token: 1e-6 })).toBeUndefined();
  });
});

describe("curated import of ../shared/reference/litellm-model-prices.json", () => {
  const document = importCurated(map, curated());

  it("is exactly the bundled catalog (src/catalog/bundled.json is up to date: npm run catalog:import)", () => {
    expect(document).toEqual(bundled);
  });

  it("is a valid catalog of at least 150 models from at least 15 providers, naming its source", () => {
    const result = validateCatalog(document);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(document.models.length).toBeGreaterThanOrEqual(150);
    const serving = new Set(document.models.flatMap((m) => m.endpoints.map((e) => e.provider)));
    expect(serving.size).toBeGreaterThanOrEqual(15);
    expect(document.source).toMatch(/LiteLLM.*2026-11-21/);
  });

  it("serves open-weight models from several providers, with quantizations", () => {
    const providersOf = (id: string) =>
      document.models.find((m) => m.id === id)?.endpoints.map((e) => e.provider);
    expect(providersOf("meta-llama/llama-3.3-70b-instruct")).toEqual(
      expect.arrayContaining([
        "groq",
        "together",
        "fireworks",
        "deepinfra",
        "workers-ai",
        "cerebras",
        "sambanova",
      ]),
    );
    for (const id of [
      "qwen/qwen3-32b",
      "deepseek/deepseek-r1",
      "mistralai/mistral-nemo",
      "openai/gpt-oss-120b",
    ]) {
      expect(providersOf(id)?.length).toBeGreaterThanOrEqual(4);
    }
    const quantized = document.models.flatMap((m) => m.endpoints).filter((e) => e.quantization !== null);
    expect(quantized.map((e) => e.quantization)).toContain("fp8");
    expect(quantized.length).toBeGreaterThan(10);
  });

  it("keeps the adapters' quirk fields: Claude on Vertex speaks Anthropic's API, Claude on Bedrock reasons", () => {
    const opus = document.models.find((m) => m.id === "anthropic/claude-opus-4.6");
    expect(opus?.endpoints.find((e) => e.provider === "google-vertex")).toMatchObject({
      api: "anthropic",
      anthropic_thinking: "adaptive",
    });
    expect(opus?.endpoints.find((e) => e.provider === "amazon-bedrock")).toMatchObject({
      bedrock_reasoning: "anthropic",
      bedrock_request_fields: { top_k: "top_k" },
    });
    const vertex = document.providers.find((p) => p.slug === "google-vertex");
    expect(vertex?.gemini_variant).toBe("vertex");
    expect(vertex).not.toHaveProperty("litellm");
  });

  it("reports every endpoint it cannot resolve, rather than inventing data", () => {
    const broken = curated();
    broken.models = [
      {
        id: "x/y",
        name: "X",
        created: "2025-01-01",
        tokenizer: "Other",
        endpoints: [
          "groq:groq/no-such-model",
          "nobody:gpt-4o",
          "together:together_ai/Qwen/Qwen2.5-72B-Instruct-Turbo",
        ],
      },
    ];
    expect(() => importCurated(map, broken)).toThrow(ImportError);
    try {
      importCurated(map, broken);
    } catch (error) {
      expect((error as ImportError).problems).toEqual([
        "x/y → groq:groq/no-such-model: no such LiteLLM key",
        'x/y → nobody:gpt-4o: no provider "nobody"',
        "x/y → together:together_ai/Qwen/Qwen2.5-72B-Instruct-Turbo: LiteLLM has no prompt/completion price",
      ]);
    }
  });
});

describe("import of every LiteLLM chat entry", () => {
  it("yields a valid catalog with one model per priced entry of the known providers", () => {
    const { document, skipped } = importAll(map, providers as CuratedProvider[], {
      created: 1763683200,
      source: "LiteLLM",
    });
    const result = validateCatalog(document);
    expect(result.ok ? [] : result.issues).toEqual([]);
    expect(document.models.length).toBeGreaterThan(900);
    expect(document.models.find((m) => m.id === "groq/llama-3.3-70b-versatile")?.endpoints[0]).toMatchObject({
      provider: "groq",
      provider_model_id: "llama-3.3-70b-versatile",
      context_length: 128000,
      pricing: { prompt: "0.00000059", completion: "0.00000079" },
    });
    expect(skipped.length).toBeGreaterThan(0);
  });
});
