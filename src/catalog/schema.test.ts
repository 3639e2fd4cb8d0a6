import { describe, expect, it } from "vitest";
import { bundledCatalog } from "./bundled";
import { CATALOG_LIMITS, validateCatalog } from "./schema";
import type { CatalogDocument, EndpointEntry, ModelEntry } from "./types";

const model = (id: string, endpoint: EndpointEntry): ModelEntry => ({
  id,
  name: id,
  created: 1700000000,
  context_length: 8192,
  input_modalities: ["text"],
  output_modalities: ["text"],
  tokenizer: "Other",
  endpoints: [endpoint],
});

/** A small valid catalog; each case breaks one thing in a fresh copy. */
function base(): CatalogDocument {
  return {
    source: "test",
    providers: [
      {
        slug: "alpha",
        name: "Alpha",
        api: "openai",
        base_url: "https://alpha.example/v1",
        quirk: { kept: true },
      },
      { slug: "beta", name: "Beta", api: "anthropic", base_url: "https://beta.example" },
    ],
    models: [
      model("acme/one", {
        provider: "alpha",
        provider_model_id: "one",
        context_length: 8192,
        max_completion_tokens: 1024,
        quantization: "fp8",
        pricing: { prompt: "0.000001", completion: "0.000002" },
        supported_parameters: ["max_tokens"],
        endpoint_quirk: "kept",
      }),
      model("acme/two", {
        provider: "beta",
        provider_model_id: "two",
        context_length: 8192,
        max_completion_tokens: null,
        quantization: null,
        pricing: { prompt: "0", completion: "0" },
        supported_parameters: [],
      }),
    ],
  };
}

const issuesOf = (mutate: (doc: any) => void) => {
  const doc = base();
  mutate(doc);
  const result = validateCatalog(doc);
  return result.ok ? [] : result.issues;
};

describe("validateCatalog", () => {
  it("accepts a valid document and keeps extra fields", () => {
    const result = validateCatalog(base());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.providers[0]?.quirk).toEqual({ kept: true });
    expect(result.value.models[0]?.endpoints[0]?.endpoint_quirk).toBe("kept");
  });

  it("accepts the bundled catalog", () => {
    const result = validateCatalog(bundledCatalog);
    expect(result.ok ? [] : result.issues).toEqual([]);
  });

  const cases: [string, (doc: any) => void, string, RegExp][] = [
    ["not an object", (d) => Object.assign(d, { models: "many" }), "models", /expected array/],
    [
      "a price as a number",
      (d) => (d.models[0].endpoints[0].pricing.prompt = 0.000001),
      "models[0].endpoints[0].pricing.prompt",
      /expected string/,
    ],
    [
      "a negative price",
      (d) => (d.models[1].endpoints[0].pricing.completion = "-0.5"),
      "models[1].endpoints[0].pricing.completion",
      /non-negative decimal/,
    ],
    [
      "a non-numeric price",
      (d) => (d.models[0].endpoints[0].pricing.prompt = "free"),
      "models[0].endpoints[0].pricing.prompt",
      /decimal/,
    ],
    [
      "an exponent price",
      (d) => (d.models[0].endpoints[0].pricing.prompt = "1e-6"),
      "models[0].endpoints[0].pricing.prompt",
      /no exponent/,
    ],
    [
      "a price finer than an attodollar",
      (d) => (d.models[0].endpoints[0].pricing.prompt = "0.0000000000000000001"),
      "models[0].endpoints[0].pricing.prompt",
      /18 decimals/,
    ],
    [
      "an extra price that is not a price",
      (d) => (d.models[0].endpoints[0].pricing.image = true),
      "models[0].endpoints[0].pricing.image",
      /expected string/,
    ],
    [
      "a missing completion price",
      (d) => delete d.models[0].endpoints[0].pricing.completion,
      "models[0].endpoints[0].pricing.completion",
      /expected string/,
    ],
    [
      "an unknown adapter family",
      (d) => (d.providers[1].api = "smoke-signals"),
      "providers[1].api",
      /openai/,
    ],
    [
      "an unknown endpoint family",
      (d) => (d.models[1].endpoints[0].api = "fax"),
      "models[1].endpoints[0].api",
      /anthropic/,
    ],
    [
      "an endpoint naming a missing provider",
      (d) => (d.models[1].endpoints[0].provider = "gamma"),
      "models[1].endpoints[0].provider",
      /no provider "gamma"/,
    ],
    [
      "a duplicate model id",
      (d) => (d.models[1].id = "acme/one"),
      "models[1].id",
      /duplicate of models\[0\]/,
    ],
    [
      "a duplicate provider slug",
      (d) => (d.providers[1].slug = "alpha"),
      "providers[1].slug",
      /duplicate of providers\[0\]/,
    ],
    [
      "a duplicate endpoint",
      (d) => d.models[0].endpoints.push({ ...d.models[0].endpoints[0] }),
      "models[0].endpoints[1]",
      /duplicate/,
    ],
    ["a malformed model id", (d) => (d.models[0].id = "no slash here"), "models[0].id", /author\/slug/],
    [
      "a fractional context length",
      (d) => (d.models[0].context_length = 10.5),
      "models[0].context_length",
      /expected int/,
    ],
    [
      "an unknown quantization",
      (d) => (d.models[0].endpoints[0].quantization = "q4_k_m"),
      "models[0].endpoints[0].quantization",
      /fp8/,
    ],
    ["a model without endpoints", (d) => (d.models[0].endpoints = []), "models[0].endpoints", /too small/i],
    [
      "a latitude off the globe",
      (d) => (d.providers[0].regions = [{ id: "x", lat: 91, lon: 0 }]),
      "providers[0].regions[0].lat",
      /90/,
    ],
    [
      "a bad country code",
      (d) => (d.providers[0].headquarters = "USA"),
      "providers[0].headquarters",
      /alpha-2/,
    ],
    ["a bad base URL", (d) => (d.providers[0].base_url = "not a url"), "providers[0].base_url", /URL/i],
    [
      "an oversized description",
      (d) => (d.models[0].description = "x".repeat(CATALOG_LIMITS.maxDescription + 1)),
      "models[0].description",
      /too big/i,
    ],
  ];
  for (const [name, mutate, path, message] of cases) {
    it(`rejects ${name} at ${path}`, () => {
      const [first] = issuesOf(mutate);
      expect(first?.path).toBe(path);
      expect(first?.message).toMatch(message);
    });
  }

  it("rejects more models than the limit, at models", () => {
    const [first] = issuesOf((d) => {
      d.models = Array.from({ length: CATALOG_LIMITS.maxModels + 1 }, (_, i) => ({
        ...d.models[0],
        id: `acme/m${i}`,
      }));
    });
    expect(first?.path).toBe("models");
  });
});
