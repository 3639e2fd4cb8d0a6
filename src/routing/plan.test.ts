import { describe, expect, it } from "vitest";
import type { Catalog } from "../catalog/store";
import type { EndpointEntry, ModelEntry, ProviderEntry, ResolvedEndpoint } from "../catalog/types";
import { JunctionError } from "../errors";
import type { ChatRequest } from "../schema/chat";
import type { EndpointHealth } from "./health";
import { HIGH_ERROR_RATE, noEndpointError, type PlanInput, plan } from "./plan";
import { seededRandom } from "./random";

function provider(slug: string, extra: Partial<ProviderEntry> = {}): ProviderEntry {
  return {
    slug,
    name: slug.toUpperCase(),
    api: "openai",
    base_url: `https://${slug}.example/v1`,
    data_policy: { training: false, retains_prompts: false, zdr: false },
    ...extra,
  };
}

function endpoint(p: string, prompt: string, extra: Partial<EndpointEntry> = {}): EndpointEntry {
  return {
    provider: p,
    provider_model_id: `${p}-model`,
    context_length: 100_000,
    max_completion_tokens: 8_000,
    quantization: null,
    pricing: { prompt, completion: prompt },
    supported_parameters: ["max_tokens", "temperature", "tools", "tool_choice", "response_format"],
    ...extra,
  };
}

function model(id: string, endpoints: EndpointEntry[], extra: Partial<ModelEntry> = {}): ModelEntry {
  return {
    id,
    name: id,
    created: 0,
    context_length: 100_000,
    input_modalities: ["text"],
    output_modalities: ["text"],
    tokenizer: "Other",
    endpoints,
    ...extra,
  };
}

function catalogOf(providers: ProviderEntry[], models: ModelEntry[]): Catalog {
  const bySlug = new Map(providers.map((p) => [p.slug, p]));
  const byId = new Map(models.map((m) => [m.id, m]));
  const catalog: Pick<Catalog, "model" | "provider" | "endpoints"> = {
    model: (id: string) => byId.get(id),
    provider: (slug: string) => bySlug.get(slug),
    endpoints: (m: ModelEntry): ResolvedEndpoint[] =>
      m.endpoints.map((e) => ({ model: m, endpoint: e, provider: bySlug.get(e.provider) as ProviderEntry })),
  };
  return catalog as Catalog;
}

const providers = [
  provider("cheap", { regions: [{ id: "eu", lat: 50.1, lon: 8.7 }] }),
  provider("mid", {
    regions: [{ id: "us", lat: 37.8, lon: -122.4 }],
    data_policy: { training: false, retains_prompts: true, zdr: false },
  }),
  provider("pricey", {
    regions: [{ id: "us", lat: 40.7, lon: -74 }],
    data_policy: { training: false, retains_prompts: false, zdr: true },
  }),
  provider("trainer", { data_policy: { training: true, retains_prompts: true, zdr: false } }),
  provider("nokey"),
  provider("exotic", { api: "bedrock" }),
];

const catalog = catalogOf(providers, [
  model("a/model", [
    endpoint("cheap", "0.000001", { quantization: "fp8" }),
    endpoint("mid", "0.000002", { quantization: "bf16" }),
    endpoint("pricey", "0.000004", { context_length: 200_000, supported_parameters: ["max_tokens"] }),
  ]),
  model("b/model", [endpoint("mid", "0.000003"), endpoint("trainer", "0.000001")]),
  model("free/model", [endpoint("cheap", "0"), endpoint("mid", "0.000001")]),
  model("free/model:free", [endpoint("pricey", "0")]),
  model(
    "vision/model",
    [endpoint("cheap", "0.000001", { input_modalities: ["text"] }), endpoint("mid", "0.000002")],
    {
      input_modalities: ["text", "image"],
    },
  ),
  model("small/model", [
    endpoint("cheap", "0.000001", { context_length: 50 }),
    endpoint("mid", "0.000002", { context_length: 100_000 }),
  ]),
  model("gated/model", [
    endpoint("nokey", "0.000001"),
    endpoint("exotic", "0.000001"),
    endpoint("cheap", "0.000002"),
  ]),
]);

const base = (request: Partial<ChatRequest>, extra: Partial<PlanInput> = {}) =>
  plan({
    request: { model: "a/model", messages: [{ role: "user", content: "hi" }], ...request } as ChatRequest,
    catalog,
    adapterFamily: (r) => (r.provider.api === "openai" ? "openai" : undefined),
    hasCredentials: (p) => p.slug !== "nokey",
    random: seededRandom(1),
    ...extra,
  });

const order = (request: Partial<ChatRequest>, extra?: Partial<PlanInput>) =>
  base(request, extra).attempts.map((r) => `${r.model.id}@${r.provider.slug}`);
const providersOf = (request: Partial<ChatRequest>, extra?: Partial<PlanInput>) =>
  base(request, extra).attempts.map((r) => r.provider.slug);

describe("model resolution", () => {
  it("plans the model's endpoints, then the models[] fallbacks, each model a partition", () => {
    const attempts = order({ models: ["b/model"] });
    expect(attempts.slice(0, 3).every((a) => a.startsWith("a/model@"))).toBe(true);
    expect(attempts.slice(3).sort()).toEqual(["b/model@mid", "b/model@trainer"]);
  });
  it("accepts models[] without model, and skips unknown fallbacks with a reason", () => {
    const p = base({ model: undefined, models: ["nope/x", "b/model"] });
    expect(p.attempts.map((r) => r.model.id)).toEqual(["b/model", "b/model"]);
    expect(p.excluded).toContainEqual({ model: "nope/x", provider: "-", reason: "unknown model" });
  });
  it("an entirely unknown model is a 404 not_found", () => {
    try {
      base({ model: "nope/x" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(JunctionError);
      expect((error as JunctionError).status).toBe(404);
      expect((error as JunctionError).errorType).toBe("not_found");
    }
  });
  it(":floor sorts by price, :nitro by throughput", () => {
    expect(providersOf({ model: "a/model:floor" })).toEqual(["cheap", "mid", "pricey"]);
    const health = (r: ResolvedEndpoint): EndpointHealth => ({
      circuit: "closed",
      throughput: { p50: { cheap: 10, mid: 90, pricey: 50 }[r.provider.slug] },
    });
    expect(providersOf({ model: "a/model:nitro" }, { health })).toEqual(["mid", "pricey", "cheap"]);
  });
  it(":free keeps only free endpoints; a catalog id containing a colon wins over the variant", () => {
    expect(providersOf({ model: "free/model:free" })).toEqual(["pricey"]);
    const p = base({ model: "a/model:free" });
    expect(p.attempts).toEqual([]);
    expect(p.excluded.every((e) => e.reason === "not free (:free)")).toBe(true);
  });
});

describe("provider preferences", () => {
  it("order puts the named providers first, in that order", () => {
    expect(providersOf({ provider: { order: ["pricey", "cheap"] } })).toEqual(["pricey", "cheap", "mid"]);
  });
  it("order matches display names case-insensitively", () => {
    expect(providersOf({ provider: { order: ["PRICEY"] } })[0]).toBe("pricey");
  });
  it("order + allow_fallbacks: false keeps only the named providers", () => {
    const p = base({ provider: { order: ["mid"], allow_fallbacks: false } });
    expect(p.attempts.map((r) => r.provider.slug)).toEqual(["mid"]);
    expect(p.excluded.filter((e) => e.reason === "allow_fallbacks: false")).toHaveLength(2);
  });
  it("allow_fallbacks: false without order keeps only the first choice", () => {
    expect(providersOf({ provider: { allow_fallbacks: false, sort: "price" } })).toEqual(["cheap"]);
  });
  it("only and ignore", () => {
    expect(providersOf({ provider: { only: ["mid", "pricey"], sort: "price" } })).toEqual(["mid", "pricey"]);
    expect(providersOf({ provider: { ignore: ["cheap"], sort: "price" } })).toEqual(["mid", "pricey"]);
    expect(providersOf({ provider: { only: ["cheap"], ignore: ["cheap"] } })).toEqual([]);
  });
  it("data_collection: deny drops providers that retain or train; zdr keeps only zero-retention", () => {
    expect(providersOf({ provider: { data_collection: "deny", sort: "price" } })).toEqual([
      "cheap",
      "pricey",
    ]);
    expect(providersOf({ provider: { zdr: true } })).toEqual(["pricey"]);
    expect(providersOf({ model: "b/model", provider: { data_collection: "allow", sort: "price" } })).toEqual([
      "trainer",
      "mid",
    ]);
  });
  it("quantizations (a missing quantization is 'unknown')", () => {
    expect(providersOf({ provider: { quantizations: ["fp8"] } })).toEqual(["cheap"]);
    expect(providersOf({ provider: { quantizations: ["unknown", "bf16"], sort: "price" } })).toEqual([
      "mid",
      "pricey",
    ]);
  });
  it("max_price in USD per million tokens, numbers or strings; nothing left is a 404", () => {
    expect(providersOf({ provider: { max_price: { prompt: 2, completion: "2" }, sort: "price" } })).toEqual([
      "cheap",
      "mid",
    ]);
    const p = base({ provider: { max_price: { prompt: 0.5 } } });
    expect(p.attempts).toEqual([]);
    const error = noEndpointError({ model: "a/model" } as ChatRequest, p.excluded);
    expect(error.status).toBe(404);
    expect((error.toBody().error.metadata.excluded as unknown[]).length).toBe(3);
  });
  it("sort: price, throughput, latency; unknown figures last", () => {
    const health = (r: ResolvedEndpoint): EndpointHealth => ({
      circuit: "closed",
      latencyMs: r.provider.slug === "cheap" ? undefined : { p50: r.provider.slug === "mid" ? 900 : 300 },
      throughput: { p50: { cheap: 40, mid: 20, pricey: 30 }[r.provider.slug] },
    });
    expect(providersOf({ provider: { sort: "price" } })).toEqual(["cheap", "mid", "pricey"]);
    expect(providersOf({ provider: { sort: "throughput" } }, { health })).toEqual(["cheap", "pricey", "mid"]);
    expect(providersOf({ provider: { sort: { by: "latency" } } }, { health })).toEqual([
      "pricey",
      "mid",
      "cheap",
    ]);
  });
  it("sort with partition none orders across models; the default keeps models in order", () => {
    const byModel = order({ models: ["b/model"], provider: { sort: "price" } });
    expect(byModel).toEqual([
      "a/model@cheap",
      "a/model@mid",
      "a/model@pricey",
      "b/model@trainer",
      "b/model@mid",
    ]);
    const global = order({ models: ["b/model"], provider: { sort: { by: "price", partition: "none" } } });
    expect(global.slice(0, 2).sort()).toEqual(["a/model@cheap", "b/model@trainer"]);
    expect(global.at(-1)).toBe("a/model@pricey");
  });
  it("preferred_max_latency and preferred_min_throughput demote but never exclude", () => {
    const health = (r: ResolvedEndpoint): EndpointHealth => ({
      circuit: "closed",
      latencyMs: {
        p50: r.provider.slug === "cheap" ? 5000 : 500,
        p90: r.provider.slug === "mid" ? 9000 : 800,
      },
      throughput: { p50: r.provider.slug === "pricey" ? 5 : 50 },
    });
    expect(providersOf({ provider: { sort: "price", preferred_max_latency: 2 } }, { health })).toEqual([
      "mid",
      "pricey",
      "cheap",
    ]);
    expect(
      providersOf({ provider: { sort: "price", preferred_max_latency: { p90: 2 } } }, { health }),
    ).toEqual(["cheap", "pricey", "mid"]);
    expect(providersOf({ provider: { sort: "price", preferred_min_throughput: 10 } }, { health })).toEqual([
      "cheap",
      "mid",
      "pricey",
    ]);
    expect(
      providersOf({ provider: { sort: "price", preferred_min_throughput: { p50: 60 } } }, { health }),
    ).toHaveLength(3);
  });
  it("require_parameters keeps endpoints supporting every parameter used", () => {
    expect(providersOf({ temperature: 0.2, provider: { require_parameters: true, sort: "price" } })).toEqual([
      "cheap",
      "mid",
    ]);
    expect(providersOf({ temperature: 0.2, provider: { sort: "price" } })).toEqual([
      "cheap",
      "mid",
      "pricey",
    ]);
  });
});

describe("hard filters", () => {
  it("credentials, adapters and the allow-list hook, each with a reason", () => {
    const p = base(
      { model: "gated/model" },
      { refuseEndpoint: (r) => (r.provider.slug === "cheap" ? "not allowed for this key" : undefined) },
    );
    expect(p.attempts).toEqual([]);
    expect(p.excluded.map((e) => e.reason)).toEqual([
      "no credentials configured",
      'no adapter for API family "bedrock"',
      "not allowed for this key",
    ]);
  });
  it("only configuration missing → 503; filters → 404", () => {
    const p = base({ model: "gated/model", provider: { only: ["nokey", "exotic"] } });
    expect(
      noEndpointError(
        { model: "gated/model" } as ChatRequest,
        p.excluded.filter((e) => !e.reason.includes("only")),
      ).status,
    ).toBe(503);
  });
  it("context length must hold the prompt estimate plus the requested output", () => {
    const long = [{ role: "user", content: "word ".repeat(100) }];
    expect(providersOf({ model: "small/model", messages: long } as Partial<ChatRequest>)).toEqual(["mid"]);
    expect(providersOf({ model: "small/model", provider: { sort: "price" } })).toEqual(["cheap", "mid"]);
    expect(providersOf({ max_tokens: 150_000 })).toEqual([]);
    expect(providersOf({ max_tokens: 7_000, provider: { sort: "price" } })).toEqual([
      "cheap",
      "mid",
      "pricey",
    ]);
  });
  it("max_tokens above an endpoint's output cap excludes it", () => {
    expect(providersOf({ max_tokens: 9_000 })).toEqual([]);
  });
  it("image input needs an image-capable endpoint", () => {
    const messages = [
      { role: "user", content: [{ type: "image_url", image_url: { url: "https://x/y.png" } }] },
    ];
    expect(providersOf({ model: "vision/model", messages } as Partial<ChatRequest>)).toEqual(["mid"]);
  });
  it("tools prefer endpoints that support them (soft: kept when none do)", () => {
    const tools = [{ type: "function", function: { name: "f" } }];
    expect(providersOf({ tools, provider: { sort: "price" } } as Partial<ChatRequest>)).toEqual([
      "cheap",
      "mid",
    ]);
    expect(providersOf({ tools, provider: { only: ["pricey"] } } as Partial<ChatRequest>)).toEqual([
      "pricey",
    ]);
  });
});

describe("default order", () => {
  it("open circuits go last", () => {
    const health = (r: ResolvedEndpoint): EndpointHealth => ({
      circuit: r.provider.slug === "cheap" ? "open" : "closed",
    });
    for (let seed = 0; seed < 20; seed++) {
      expect(providersOf({}, { health, random: seededRandom(seed) }).at(-1)).toBe("cheap");
    }
  });
  it("a high recent error rate demotes a closed endpoint behind healthy ones, ahead of open circuits", () => {
    type Case = [
      name: string,
      health: Record<string, EndpointHealth>,
      request: Partial<ChatRequest>,
      expected: string[],
    ];
    const closed = (errorRate?: number): EndpointHealth => ({ circuit: "closed", errorRate });
    const cases: Case[] = [
      ["no figures: price order", {}, {}, ["cheap", "mid", "pricey"]],
      [
        "below the threshold: unchanged",
        { cheap: closed(HIGH_ERROR_RATE - 0.01) },
        {},
        ["cheap", "mid", "pricey"],
      ],
      ["at the threshold: demoted", { cheap: closed(HIGH_ERROR_RATE) }, {}, ["mid", "pricey", "cheap"]],
      [
        "two failing keep their order",
        { cheap: closed(0.9), mid: closed(0.5) },
        {},
        ["pricey", "cheap", "mid"],
      ],
      [
        "an open circuit goes after a high error rate",
        { cheap: { circuit: "open" }, mid: closed(0.6) },
        {},
        ["pricey", "mid", "cheap"],
      ],
      [
        "half-open is probed, not demoted",
        { cheap: { circuit: "half_open", errorRate: 1 } },
        {},
        ["cheap", "mid", "pricey"],
      ],
      [
        "after missed preferences",
        { cheap: closed(0.5), mid: { circuit: "closed", latencyMs: { p50: 9000 } } },
        { provider: { sort: "price", preferred_max_latency: 2 } },
        ["pricey", "mid", "cheap"],
      ],
      [
        "provider.order still wins",
        { cheap: closed(1) },
        { provider: { order: ["cheap"] } },
        ["cheap", "mid", "pricey"],
      ],
    ];
    for (const [name, byProvider, request, expected] of cases) {
      const health = (r: ResolvedEndpoint) => byProvider[r.provider.slug] ?? closed();
      const provider = { sort: "price" as const, ...request.provider };
      expect(providersOf({ ...request, provider }, { health }), name).toEqual(expected);
    }
  });
  it("equal prices go to the nearest region first", () => {
    const near = catalogOf(providers, [
      model("tie/model", [
        endpoint("cheap", "0.000001"),
        endpoint("mid", "0.000001"),
        endpoint("pricey", "0.000001"),
      ]),
    ]);
    const newYork = { lat: 40.7, lon: -74 };
    const frankfurt = { lat: 50, lon: 8.6 };
    for (let seed = 0; seed < 10; seed++) {
      expect(
        providersOf({ model: "tie/model" }, { catalog: near, caller: newYork, random: seededRandom(seed) }),
      ).toEqual(["pricey", "mid", "cheap"]);
      expect(
        providersOf(
          { model: "tie/model" },
          { catalog: near, caller: frankfurt, random: seededRandom(seed) },
        )[0],
      ).toBe("cheap");
    }
  });
  it("spreads first choices by inverse square of price (chi-square, fixed seed)", () => {
    const random = seededRandom(42);
    const counts: Record<string, number> = { cheap: 0, mid: 0, pricey: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const first = providersOf({}, { random })[0] as string;
      counts[first] = (counts[first] ?? 0) + 1;
    }
    // prices 1 : 2 : 4 → weights 1 : 1/4 : 1/16 → shares 16/21, 4/21, 1/21
    const expected = { cheap: (n * 16) / 21, mid: (n * 4) / 21, pricey: (n * 1) / 21 };
    let chiSquare = 0;
    for (const k of Object.keys(expected) as (keyof typeof expected)[])
      chiSquare += ((counts[k] ?? 0) - expected[k]) ** 2 / expected[k];
    // 2 degrees of freedom: p = 0.001 at 13.82.
    expect(chiSquare).toBeLessThan(13.82);
    expect(counts.pricey).toBeGreaterThan(0);
  });
  it("free endpoints come before paid ones", () => {
    for (let seed = 0; seed < 10; seed++)
      expect(providersOf({ model: "free/model" }, { random: seededRandom(seed) })[0]).toBe("cheap");
  });
  it("reports its strategy", () => {
    expect(base({}).strategy).toBe("weighted-price");
    expect(base({ provider: { order: ["mid"], sort: { by: "price", partition: "none" } } }).strategy).toBe(
      "order+sort=price+partition=none",
    );
  });
});
