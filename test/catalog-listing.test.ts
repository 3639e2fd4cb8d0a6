/** The catalog endpoints in OpenRouter's shape, checked by @openrouter/sdk's own response validation. */
import { exports } from "cloudflare:workers";
import { HTTPClient, OpenRouter } from "@openrouter/sdk";
import { describe, expect, it } from "vitest";
import { bundledCatalog } from "../src/catalog/bundled";
import { TEST_DEMO_KEY } from "./constants";
import { BASE, call } from "./helpers";

const client = new OpenRouter({
  apiKey: TEST_DEMO_KEY,
  serverURL: `${BASE}/api/v1`,
  httpClient: new HTTPClient({ fetcher: (input, init) => exports.default.fetch(new Request(input, init)) }),
});

const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const textModels = bundledCatalog.models.filter((m) => m.output_modalities.includes("text"));

describe("@openrouter/sdk against the catalog endpoints", () => {
  it("models.list: the whole catalog, every model valid for the SDK", async () => {
    const page = await client.models.list();
    expect(page.result.data.map((m) => m.id)).toEqual(textModels.map((m) => m.id));
    expect(page.result.totalCount).toBe(textModels.length);
    const llama = page.result.data.find((m) => m.id === LLAMA);
    expect(llama).toMatchObject({
      canonicalSlug: LLAMA,
      huggingFaceId: "meta-llama/Llama-3.3-70B-Instruct",
      contextLength: 131072,
      architecture: { inputModalities: ["text"], outputModalities: ["text"], tokenizer: "Llama3" },
      topProvider: { contextLength: 131072, maxCompletionTokens: 32768, isModerated: false },
      links: { details: `/api/v1/models/${LLAMA}/endpoints` },
    });
    expect(page.result.data.find((m) => m.id === "openai/gpt-4o-mini")?.pricing).toEqual({
      prompt: "0.00000015",
      completion: "0.0000006",
      inputCacheRead: "0.000000075",
    });
  });

  it("models.list pages with limit/offset; the SDK's iterator walks every page", async () => {
    const seen: string[] = [];
    for await (const page of await client.models.list({ limit: 40 }))
      seen.push(...page.result.data.map((m) => m.id));
    expect(seen).toEqual(textModels.map((m) => m.id));
  });

  it("models.list filters and sorts server-side", async () => {
    const tools = await client.models.list({
      supportedParameters: "tools,reasoning",
      inputModalities: "image",
    });
    expect(tools.result.data.length).toBeGreaterThan(5);
    for (const m of tools.result.data) {
      expect(m.supportedParameters).toEqual(expect.arrayContaining(["tools", "reasoning"]));
      expect(m.architecture.inputModalities).toContain("image");
    }
    const cheapest = await client.models.list({ sort: "pricing-low-to-high", q: "llama", limit: 3 });
    expect(cheapest.result.data.length).toBe(3);
    expect(
      cheapest.result.data.every((m) => m.id.includes("llama") || m.name.toLowerCase().includes("llama")),
    ).toBe(true);
  });

  it("models.count", async () => {
    const count = await client.models.count();
    expect(count.data.count).toBe(textModels.length);
  });

  it("models.get, also for a variant of a catalog model", async () => {
    const model = await client.models.get({ author: "anthropic", slug: "claude-sonnet-4.5" });
    expect(model.data).toMatchObject({
      id: "anthropic/claude-sonnet-4.5",
      name: "Anthropic: Claude Sonnet 4.5",
    });
    const variant = await client.models.get({ author: "meta-llama", slug: "llama-3.3-70b-instruct:nitro" });
    expect(variant.data.id).toBe(LLAMA);
  });

  it("endpoints.list: every provider of the model, stats null until live stats exist", async () => {
    const { data } = await client.endpoints.list({ author: "meta-llama", slug: "llama-3.3-70b-instruct" });
    const model = bundledCatalog.models.find((m) => m.id === LLAMA);
    expect(data.id).toBe(LLAMA);
    expect(data.endpoints.map((e) => e.tag)).toEqual(
      model?.endpoints.map((e) => (e.quantization ? `${e.provider}/${e.quantization}` : e.provider)),
    );
    const groq = data.endpoints[0];
    expect(groq).toMatchObject({
      name: `Groq | ${LLAMA}`,
      modelId: LLAMA,
      providerName: "Groq",
      contextLength: 131072,
      maxCompletionTokens: 32768,
      quantization: null,
      pricing: { prompt: "0.00000059", completion: "0.00000079" },
      supportsToolChoice: { auto: true, none: true, required: true, function: true },
      supportsImplicitCaching: false,
      uptimeLast5m: null,
      uptimeLast30m: null,
      uptimeLast1d: null,
      latencyLast30m: null,
      throughputLast30m: null,
    });
    expect(data.endpoints.find((e) => e.tag === "together/fp8")?.quantization).toBe("fp8");
  });

  it("providers.list: every provider with datacenter countries", async () => {
    const { data } = await client.providers.list();
    expect(data.map((p) => p.slug)).toEqual(bundledCatalog.providers.map((p) => p.slug));
    expect(data.find((p) => p.slug === "nebius")).toMatchObject({
      name: "Nebius",
      headquarters: "NL",
      datacenters: ["FI", "US"],
      privacyPolicyUrl: expect.stringMatching(/^https:/),
    });
  });

  it("unknown models are a 404 in OpenRouter's error shape, for the SDK and over HTTP", async () => {
    await expect(client.endpoints.list({ author: "nobody", slug: "nothing" })).rejects.toMatchObject({
      statusCode: 404,
    });
    await expect(client.models.get({ author: "nobody", slug: "nothing" })).rejects.toMatchObject({
      statusCode: 404,
    });
    const res = await call("/api/v1/models/nobody/nothing/endpoints");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message: 'Model "nobody/nothing" not found',
        metadata: { error_type: "not_found", model: "nobody/nothing" },
      },
    });
  });
});

describe("catalog endpoints over HTTP", () => {
  it("/models carries links.next for the next page, on the prefix the client used", async () => {
    const res = await call("/v1/models?limit=10&q=qwen");
    const body = (await res.json()) as any;
    expect(body.data.length).toBe(10);
    expect(body.links.next).toBe("/v1/models?limit=10&q=qwen&offset=10");
    expect(res.headers.get("x-catalog-version")).toBe("bundled");
    const last = (await (
      await call(`/api/v1/models?limit=10&offset=${body.total_count - 1}&q=qwen`)
    ).json()) as any;
    expect(last.links.next).toBeNull();
  });

  it("repeated listings are identical (served from the pre-rendered response cache)", async () => {
    const a = await (await call("/api/v1/models?sort=newest&limit=5")).text();
    const b = await (await call("/api/v1/models?limit=5&sort=newest")).text();
    expect(b).toBe(a);
    expect(JSON.parse(a).data[0].created).toBeGreaterThanOrEqual(JSON.parse(a).data[4].created);
  });

  it("bad query parameters are a 400 naming the parameter", async () => {
    const res = await call("/api/v1/models?limit=5000");
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.metadata.issues[0].path).toBe("limit");
    expect((await call("/api/v1/models?sort=best")).status).toBe(400);
  });

  it("output_modalities defaults to text, and `all` lists everything", async () => {
    const all = (await (await call("/api/v1/models/count?output_modalities=all")).json()) as any;
    expect(all.data.count).toBe(bundledCatalog.models.length);
    const images = (await (await call("/api/v1/models/count?output_modalities=image")).json()) as any;
    expect(images.data.count).toBe(0);
  });
});

describe("the providers filter", () => {
  it("lists the models a provider serves, by slug or display name", async () => {
    const body = (await (await call("/api/v1/models?providers=Cerebras,sambanova")).json()) as any;
    const expected = textModels.filter((m) =>
      m.endpoints.some((e) => e.provider === "cerebras" || e.provider === "sambanova"),
    );
    expect(body.data.map((m: any) => m.id)).toEqual(expected.map((m) => m.id));
    expect(body.data.length).toBeGreaterThan(5);
  });

  it("an unknown provider is a 404 in OpenRouter's error shape", async () => {
    const res = await call("/api/v1/models?providers=groq,nobody");
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: {
        code: 404,
        message: 'Provider "nobody" not found',
        metadata: { error_type: "not_found", providers: ["nobody"] },
      },
    });
    await expect(client.models.list({ providers: "nobody" })).rejects.toMatchObject({ statusCode: 404 });
  });
});
