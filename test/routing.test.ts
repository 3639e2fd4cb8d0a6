/** Routing and failover through the Worker against the mock upstream (several OpenAI-family providers). */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { providerSetting } from "../src/env";
import { call, chat, chunksOf, readSse, user } from "./helpers";

const LLAMA = "meta-llama/llama-3.3-70b-instruct";
/** The OpenAI-family endpoints of LLAMA; `order` makes each test's order deterministic. */
const OPENAI_FAMILY = ["groq", "together", "deepinfra", "fireworks"];

let tagCounter = 0;
const newTag = () => `routing-${Date.now()}-${++tagCounter}`;

/** Requests the mock upstream saw for `tag`, per provider. */
async function callsFor(tag: string): Promise<Record<string, { requests: number; aborted: number }>> {
  const origin = new URL(providerSetting(env, "openai", "BASE_URL") as string).origin;
  const res = await fetch(`${origin}/__calls/${encodeURIComponent(tag)}`);
  return (await res.json()) as Record<string, { requests: number; aborted: number }>;
}

const content = (body: any) => body.choices[0].message.content as string;
const byProvider = (behaviours: Record<string, object>, tag?: string) => ({
  by_provider: Object.fromEntries(
    OPENAI_FAMILY.map((slug) => [
      slug,
      { content: `from ${slug}`, ...(tag ? { tag } : {}), ...(behaviours[slug] ?? {}) },
    ]),
  ),
});

describe("failover before the first byte", () => {
  for (const [name, fault] of Object.entries({
    "a 500": { status: 500 },
    "a 503 overloaded": { status: 503 },
    "a 429 with a long Retry-After": { status: 429, retry_after: "30" },
    "a timeout": { delay_ms: 4000 },
    "a malformed answer": { malformed: true },
    "a 401 from the provider (its key, not the caller's)": { status: 401 },
  })) {
    it(`JSON: ${name} moves on to the next endpoint`, async () => {
      const tag = newTag();
      const res = await chat({
        model: LLAMA,
        messages: user("hi"),
        provider: { order: ["groq", "together"] },
        mock: byProvider({ groq: fault }, tag),
      });
      expect(res.status).toBe(200);
      expect(content(await res.json())).toBe("from together");
      expect(res.headers.get("junction-route")).toMatch(
        /^together\/.+; model=meta-llama\/llama-3.3-70b-instruct; attempt=2\//,
      );
      expect((await callsFor(tag)).groq?.requests).toBe(1);
    });
  }

  it("streaming: a stall before the first token moves on after the first-token timeout", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      stream: true,
      messages: user("hi"),
      provider: { order: ["groq", "together"] },
      mock: byProvider({ groq: { stall_after_chunks: 0 } }, tag),
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[0]).toEqual({ comment: "JUNCTION PROCESSING" });
    const chunks = chunksOf(events) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("from together");
    expect(events.at(-1)).toEqual({ data: "[DONE]" });
  });

  it("streaming: a 500 before the first byte fails over with no trace in the stream", async () => {
    const res = await chat({
      model: LLAMA,
      stream: true,
      messages: user("hi"),
      provider: { order: ["groq", "together"] },
      mock: byProvider({ groq: { status: 500 } }),
    });
    expect(res.headers.get("junction-route")).toMatch(/^together\//);
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.every((c) => c.error === undefined)).toBe(true);
    expect(chunks[0].provider).toBe("Together");
  });

  it("a short Retry-After is waited out and the same endpoint retried once", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { order: ["groq", "together"] },
      mock: byProvider({ groq: { status: 429, retry_after: "1", fail_times: 1 } }, tag),
    });
    expect(res.status).toBe(200);
    expect(content(await res.json())).toBe("from groq");
    expect((await callsFor(tag)).groq?.requests).toBe(2);
    expect((await callsFor(tag)).together).toBeUndefined();
  });

  it("an upstream 400 that is the caller's fault is answered, not retried elsewhere", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { order: ["groq", "together"] },
      mock: byProvider(
        { groq: { status: 400, error_body: { error: { message: "temperature must be <= 1" } } } },
        tag,
      ),
    });
    expect(res.status).toBe(400);
    expect(Object.keys(await callsFor(tag))).toEqual(["groq"]);
  });

  it("a context-length refusal skips endpoints that are no larger and moves to the next model", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      models: ["openai/gpt-4.1"],
      messages: user("hi"),
      provider: { order: ["groq"] },
      mock: {
        by_provider: {
          groq: {
            tag,
            status: 400,
            error_body: { error: { message: "This model's maximum context length is 131072 tokens" } },
          },
          together: { tag },
          openai: { tag, content: "from openai" },
        },
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.model).toBe("openai/gpt-4.1");
    expect(content(body)).toBe("from openai");
    expect(Object.keys(await callsFor(tag)).sort()).toEqual(["groq", "openai"]);
  });
});

describe("after the first byte there is no failover", () => {
  it("a cut stream ends with the error chunk; the next endpoint is never called", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      stream: true,
      messages: user("hi"),
      provider: { order: ["groq", "together"] },
      mock: byProvider({ groq: { content: "one two three four", cut_after_chunks: 2 } }, tag),
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.at(-1).error.metadata.provider_name).toBe("Groq");
    expect(chunks.at(-1).choices[0].finish_reason).toBe("error");
    expect(Object.keys(await callsFor(tag))).toEqual(["groq"]);
  });
});

describe("fallback models and provider preferences", () => {
  it("models[]: when every endpoint of the first model fails, the next model answers", async () => {
    const res = await chat({
      model: "openai/gpt-4.1",
      models: [LLAMA],
      messages: user("hi"),
      provider: { only: ["openai", ...OPENAI_FAMILY] },
      mock: {
        by_provider: {
          openai: { status: 503 },
          groq: { content: "from groq" },
          together: { content: "from together" },
          deepinfra: { content: "from deepinfra" },
          fireworks: { content: "from fireworks" },
        },
      },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.model).toBe(LLAMA);
    expect(content(body)).toMatch(/^from /);
  });

  it("order + allow_fallbacks: false tries only the named providers", async () => {
    const tag = newTag();
    const res = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { order: ["groq"], allow_fallbacks: false },
      mock: byProvider({ groq: { status: 502 } }, tag),
    });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.metadata.previous_errors).toEqual([
      { provider: "groq", status: 502, code: "provider_unavailable" },
    ]);
    expect(Object.keys(await callsFor(tag))).toEqual(["groq"]);
  });

  it("only and ignore", async () => {
    const only = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { only: ["deepinfra"] },
      mock: byProvider({}),
    });
    expect(content(await only.json())).toBe("from deepinfra");
    const ignore = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { only: OPENAI_FAMILY, ignore: ["groq", "together", "deepinfra"] },
      mock: byProvider({}),
    });
    expect(content(await ignore.json())).toBe("from fireworks");
  });

  it("sort: price serves the cheapest endpoint first", async () => {
    const res = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { sort: "price" },
      mock: byProvider({}),
    });
    expect(content(await res.json())).toBe("from deepinfra");
    expect(res.headers.get("junction-route")).toContain("strategy=sort=price");
  });

  it("max_price below every endpoint is a 404 that says why", async () => {
    const res = await chat({ model: LLAMA, messages: user("hi"), provider: { max_price: { prompt: 0.01 } } });
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.metadata.error_type).toBe("not_found");
    expect(body.error.metadata.excluded.length).toBeGreaterThanOrEqual(4);
    expect(body.error.metadata.excluded[0].reason).toMatch(/exceeds max_price.prompt/);
  });

  it("when everything fails: the last status, Retry-After and every previous error", async () => {
    const res = await chat({
      model: LLAMA,
      messages: user("hi"),
      provider: { only: ["groq", "together"], order: ["groq", "together"] },
      mock: byProvider({ groq: { status: 500 }, together: { status: 429, retry_after: "20" } }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("20");
    const body = (await res.json()) as any;
    expect(body.error.metadata.previous_errors).toEqual([
      { provider: "groq", status: 500, code: "provider_unavailable" },
      { provider: "together", status: 429, code: "rate_limit_exceeded" },
    ]);
  });
});

describe("cancellation", () => {
  it("a client that goes away mid-stream cancels the upstream request", async () => {
    const tag = newTag();
    const controller = new AbortController();
    const res = await call("/api/v1/chat/completions", {
      method: "POST",
      signal: controller.signal,
      headers: {
        authorization: `Bearer ${(await import("./constants")).TEST_DEMO_KEY}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        model: LLAMA,
        stream: true,
        messages: user("hi"),
        provider: { order: ["groq"] },
        mock: byProvider({ groq: { content: "a b c d e f g h i j k l m n o p", chunk_delay_ms: 150 } }, tag),
      }),
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    controller.abort();
    let aborted = 0;
    for (let i = 0; i < 40 && aborted === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      aborted = (await callsFor(tag)).groq?.aborted ?? 0;
    }
    expect(aborted).toBe(1);
  });
});

describe("explainability", () => {
  it("X-Junction-Explain: true adds the plan, the attempts and the exclusions", async () => {
    const res = await call("/api/v1/chat/completions", {
      method: "POST",
      headers: {
        authorization: `Bearer ${(await import("./constants")).TEST_DEMO_KEY}`,
        "content-type": "application/json",
        "x-junction-explain": "true",
      },
      body: JSON.stringify({
        model: LLAMA,
        messages: user("hi"),
        provider: { order: ["groq", "together"], ignore: ["fireworks"] },
        mock: byProvider({ groq: { status: 500 } }),
      }),
    });
    const body = (await res.json()) as any;
    expect(body.route.strategy).toBe("order+weighted-price");
    expect(body.route.planned.slice(0, 2)).toEqual([`${LLAMA}@groq`, `${LLAMA}@together`]);
    expect(body.route.attempts.map((a: any) => [a.provider, a.code])).toEqual([
      ["groq", "provider_unavailable"],
      ["together", "ok"],
    ]);
    expect(body.route.excluded).toContainEqual({
      model: LLAMA,
      provider: "fireworks",
      reason: "in provider.ignore",
    });
  });
});
