/** `PUT|PATCH|GET /api/v1/admin/catalog`: whole-document validation, nothing partially written. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { publishCatalog } from "../src/catalog/admin";
import { bundledCatalog } from "../src/catalog/bundled";
import { HEAD_WRITE_INTERVAL_MS } from "../src/catalog/layout";
import { CATALOG_LIMITS } from "../src/catalog/schema";
import type { CatalogDocument, ModelEntry } from "../src/catalog/types";
import type { Env } from "../src/env";
import { JunctionError } from "../src/errors";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY } from "./constants";
import { call, chat, user } from "./helpers";

let lastWrite = 0;

async function admin(method: string, body?: unknown, query = "", key = TEST_ADMIN_KEY): Promise<Response> {
  if (method !== "GET") {
    // KV takes one write per second to the catalog head; the API refuses faster writes (tested below).
    const wait = lastWrite + HEAD_WRITE_INTERVAL_MS + 50 - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  const res = await call(`/api/v1/admin/catalog${query}`, {
    method,
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
  });
  if (method !== "GET" && res.status === 200) lastWrite = Date.now();
  return res;
}

const clone = (): CatalogDocument => structuredClone(bundledCatalog);
const storedKeys = async () => (await env.CATALOG.list({ prefix: "catalog:" })).keys.map((k) => k.name);

const echoModel: ModelEntry = {
  id: "acme/echo",
  name: "Acme: Echo",
  created: 1763683200,
  context_length: 16384,
  input_modalities: ["text"],
  output_modalities: ["text"],
  tokenizer: "Other",
  endpoints: [
    {
      provider: "openai",
      provider_model_id: "gpt-4o-mini",
      context_length: 16384,
      max_completion_tokens: 4096,
      quantization: null,
      pricing: { prompt: "0.000001", completion: "0.000002", input_cache_read: "0.0000005" },
      supported_parameters: ["max_tokens", "temperature"],
    },
  ],
};

describe("authentication", () => {
  it("needs the management key", async () => {
    expect((await admin("GET", undefined, "", "wrong")).status).toBe(401);
    const inference = await admin("PUT", clone(), "", TEST_DEMO_KEY);
    expect(inference.status).toBe(403);
    expect(await storedKeys()).toEqual([]);
  });
});

describe("bad uploads are refused whole, with the JSON path", () => {
  const edit =
    (change: (doc: any) => void) =>
    (doc: any): unknown => {
      change(doc);
      return doc;
    };
  const cases: [string, (doc: any) => unknown, string][] = [
    ["malformed JSON", () => '{"providers": [', "(body)"],
    ["a body that is not an object", () => "[1, 2]", "(body)"],
    ["a wrong type", edit((d) => (d.models[3].context_length = "long")), "models[3].context_length"],
    [
      "a negative price",
      edit((d) => (d.models[5].endpoints[1].pricing.prompt = "-0.000001")),
      "models[5].endpoints[1].pricing.prompt",
    ],
    [
      "a non-numeric price",
      edit((d) => (d.models[0].endpoints[0].pricing.completion = "cheap")),
      "models[0].endpoints[0].pricing.completion",
    ],
    [
      "an endpoint naming a missing provider",
      edit((d) => (d.models[7].endpoints[0].provider = "nowhere")),
      "models[7].endpoints[0].provider",
    ],
    ["a duplicate model id", edit((d) => (d.models[9].id = d.models[2].id)), "models[9].id"],
    ["an unknown adapter family", edit((d) => (d.providers[4].api = "carrier-pigeon")), "providers[4].api"],
  ];
  for (const [name, make, path] of cases) {
    it(`${name} → 400 at ${path}`, async () => {
      const res = await admin("PUT", make(clone()));
      expect(res.status).toBe(400);
      const body = (await res.json()) as any;
      expect(body.error.code).toBe(400);
      expect(body.error.metadata.error_type).toBe("invalid_request");
      expect(body.error.metadata.issues[0].path).toBe(path);
      expect(body.error.message).toContain(path);
      expect(await storedKeys()).toEqual([]);
    });
  }

  it("an oversized upload → 400 at (body), before the body is read", async () => {
    const res = await admin("PUT", "x".repeat(CATALOG_LIMITS.maxBytes + 1));
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.metadata.issues[0]).toEqual({
      path: "(body)",
      message: `catalog is ${CATALOG_LIMITS.maxBytes + 1} bytes; the limit is ${CATALOG_LIMITS.maxBytes}`,
    });
    expect(await storedKeys()).toEqual([]);
  });

  it("the bundled catalog is still what is served", async () => {
    const res = await admin("GET");
    expect(res.headers.get("x-catalog-version")).toBe("bundled");
    expect(await res.json()).toEqual(bundledCatalog);
  });
});

describe("replace, patch, export", () => {
  it("PUT stores a catalog; GET exports it unchanged; the listing and routing follow at once", async () => {
    const doc = clone();
    doc.models.push(echoModel);
    const res = await admin("PUT", doc);
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as any;
    expect(data).toMatchObject({
      models: bundledCatalog.models.length + 1,
      providers: bundledCatalog.providers.length,
      shards: 11,
      added_models: 1,
      removed_models: 0,
      unchanged: false,
    });
    expect(data.kv_operations).toBeLessThanOrEqual(1000);
    const exported = await admin("GET");
    expect(exported.headers.get("x-catalog-version")).toBe(data.version);
    expect(await exported.json()).toEqual(doc);

    const listed = await call("/api/v1/models?q=acme");
    expect(listed.headers.get("x-catalog-version")).toBe(data.version);
    expect(((await listed.json()) as any).data.map((m: any) => m.id)).toEqual(["acme/echo"]);

    const completion = await chat({
      model: "acme/echo",
      messages: user("hi"),
      mock: {
        usage: { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 400, reasoning_tokens: 0 },
      },
    });
    expect(completion.status).toBe(200);
    // 600 × 1e-6 + 400 × 5e-7 + 200 × 2e-6, from the uploaded prices
    expect(((await completion.json()) as any).usage.cost).toBe(0.0012);
  });

  it("the same document again is a no-op", async () => {
    const doc = clone();
    doc.models.push(echoModel);
    const res = await admin("PUT", doc);
    expect(((await res.json()) as any).data).toMatchObject({ unchanged: true, added_models: 0 });
  });

  it("a second write within a second is refused with Retry-After (KV: one write per second per key)", async () => {
    const doc = clone();
    doc.source = "changed";
    expect((await admin("PUT", doc)).status).toBe(200);
    const head = (await env.CATALOG.get("catalog:head", "json")) as { updated_at: string };
    doc.source = "changed again";
    const soon = new Date(Date.parse(head.updated_at) + HEAD_WRITE_INTERVAL_MS - 1);
    const refused = await publishCatalog(env as Env, doc, { force: false, now: soon }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(JunctionError);
    const response = (refused as JunctionError).toResponse();
    expect(response.status).toBe(429);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(((await (await admin("GET")).json()) as any).source).toBe("changed");
  });

  it("PATCH upserts models and providers and removes models", async () => {
    const renamed = { ...bundledCatalog.providers.find((p) => p.slug === "groq"), name: "GroqCloud" };
    const cheaper: ModelEntry = {
      ...echoModel,
      endpoints: [
        {
          ...(echoModel.endpoints[0] as ModelEntry["endpoints"][number]),
          pricing: { prompt: "0.0000001", completion: "0.0000002" },
        },
      ],
    };
    const added = { ...echoModel, id: "acme/echo-2", name: "Acme: Echo 2" };
    const res = await admin("PATCH", {
      providers: [renamed],
      models: [cheaper, added],
      remove_models: ["cohere/command-r7b-12-2024"],
    });
    expect(res.status).toBe(200);
    // acme/echo was dropped by the previous test's upload, so it is added again
    expect(((await res.json()) as any).data).toMatchObject({ added_models: 2, removed_models: 1 });
    const doc = (await (await admin("GET")).json()) as CatalogDocument;
    expect(doc.providers.find((p) => p.slug === "groq")?.name).toBe("GroqCloud");
    expect(doc.models.find((m) => m.id === "acme/echo")?.endpoints[0]?.pricing.prompt).toBe("0.0000001");
    expect(doc.models.at(-1)?.id).toBe("acme/echo-2");
    expect(doc.models.some((m) => m.id === "cohere/command-r7b-12-2024")).toBe(false);
    const providers = (await (await call("/api/v1/providers")).json()) as any;
    expect(providers.data.find((p: any) => p.slug === "groq").name).toBe("GroqCloud");
  });

  it("PATCH problems are 400s with paths into the patch, nothing written", async () => {
    const before = (await (await admin("GET")).json()) as CatalogDocument;
    const cases: [unknown, string][] = [
      [
        { models: [{ ...echoModel, endpoints: [{ ...echoModel.endpoints[0], provider: "ghost" }] }] },
        "models[0].endpoints[0].provider",
      ],
      [{ remove_providers: ["groq"] }, "remove_providers[0]"],
      [
        { providers: [{ slug: "new", name: "New", api: "telepathy", base_url: "https://x.example" }] },
        "providers[0].api",
      ],
      [{ modles: [] }, "(body)"],
    ];
    for (const [patch, path] of cases) {
      const res = await admin("PATCH", patch);
      expect(res.status).toBe(400);
      expect(((await res.json()) as any).error.metadata.issues[0].path).toBe(path);
    }
    expect(await (await admin("GET")).json()).toEqual(before);
  });

  it("an upload dropping more than a fifth of the models needs ?force=true", async () => {
    const small: CatalogDocument = { ...clone(), models: bundledCatalog.models.slice(0, 10) };
    const refused = await admin("PUT", small);
    expect(refused.status).toBe(409);
    const body = (await refused.json()) as any;
    expect(body.error.metadata).toMatchObject({ error_type: "invalid_request", threshold: 0.2 });
    expect(body.error.metadata.removed_count).toBe(bundledCatalog.models.length + 1 - 10);
    const forced = await admin("PUT", small, "?force=true");
    expect(forced.status).toBe(200);
    expect(
      ((await (await call("/api/v1/models/count?output_modalities=all")).json()) as any).data.count,
    ).toBe(10);
  });

  it("old versions are deleted: KV holds the live and the previous version only", async () => {
    const head = (await env.CATALOG.get("catalog:head", "json")) as any;
    const versions = new Set(
      (await storedKeys()).filter((k) => k !== "catalog:head").map((k) => k.split(":")[1]),
    );
    expect(versions).toEqual(new Set([head.version, head.previous.version]));
  });
});
