/**
 * Azure OpenAI: transcript tables (addresses, headers, Azure's annotations and errors), then the
 * whole path through the Worker against the mock Azure, with the `openai` client.
 */
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { ResolvedEndpoint } from "../src/catalog/types";
import { azureAdapter, buildAzureRequest, mapAzureError } from "../src/providers/azure";
import type { CanonicalChunk } from "../src/providers/types";
import type { ChatRequest } from "../src/schema/chat";
import { TEST_DEMO_KEY } from "./constants";
import errors from "./fixtures/azure/errors.json";
import requests from "./fixtures/azure/requests.json";
import responses from "./fixtures/azure/responses.json";
import streams from "./fixtures/azure/streams.json";
import { collect, summary } from "./fixtures/collect";
import { BASE, chat, chunksOf, readSse } from "./helpers";

describe("Azure request transcripts", () => {
  for (const entry of requests) {
    it(entry.name, async () => {
      const resolved = {
        model: { id: "openai/gpt-4o-mini" },
        provider: { slug: "azure", name: "Azure", api: "azure", base_url: entry.base_url, ...entry.provider },
        endpoint: { provider: "azure", supported_parameters: [], ...entry.endpoint },
      } as unknown as ResolvedEndpoint;
      const built = buildAzureRequest({ model: "openai/gpt-4o-mini", ...entry.request } as ChatRequest, {
        resolved,
        baseUrl: entry.base_url,
        apiKey: entry.api_key,
      });
      expect(built.url).toBe(entry.url);
      expect(Object.fromEntries(built.headers)).toEqual(entry.headers);
      expect(await built.json()).toEqual(entry.body);
    });
  }
});

describe("Azure response transcripts", () => {
  for (const entry of responses) {
    it(entry.name, () => {
      expect(summary(azureAdapter.mapResponse(entry.azure))).toEqual(entry.expected);
    });
  }
});

describe("Azure stream transcripts", () => {
  for (const entry of streams as {
    name: string;
    events: { data: string }[];
    expected: unknown;
    usage?: unknown;
  }[]) {
    it(entry.name, () => {
      const translator = azureAdapter.createStreamTranslator();
      const chunks: CanonicalChunk[] = entry.events.flatMap((event) => translator.push(event));
      expect(collect(chunks)).toEqual(entry.expected);
      if (entry.usage) expect(translator.usage).toEqual(entry.usage);
      expect(translator.done).toBe(true);
    });
  }
});

describe("Azure error transcripts", () => {
  for (const entry of errors as {
    name: string;
    status: number;
    headers?: Record<string, string>;
    body: unknown;
    expected: object;
  }[]) {
    it(entry.name, () => {
      const failure = mapAzureError(entry.status, JSON.stringify(entry.body), new Headers(entry.headers));
      expect(failure).toMatchObject(entry.expected);
      expect(failure.raw).toEqual(entry.body);
    });
  }
});

// --- through the Worker --------------------------------------------------------------------------

const MODEL = "openai/gpt-4o-mini";
const only = { provider: { only: ["azure"] } };

describe("Azure through the Worker", () => {
  it("addresses the deployment with api-version and the api-key header", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "Hi" }],
      mock: { echo: true },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const seen = JSON.parse(body.choices[0].message.content);
    expect(seen.path).toBe("/azure/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21");
    expect(seen.headers["api-key"]).toBe("test-key-azure");
    expect(seen.headers.authorization).toBeNull();
    expect(body.provider).toBe("Azure");
  });

  it("streams past Azure's prompt-filter preamble, with usage", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(
      "Hello from the mock upstream.",
    );
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
    expect(chunks.every((c) => c.id.startsWith("gen-"))).toBe(true);
  });

  it("a content-filtered prompt is a 400 content_policy_violation with Azure's raw error", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "x" }],
      mock: { content_filter: true },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      error_type: "content_policy_violation",
      provider_name: "Azure",
    });
    expect(body.error.metadata.raw.error.innererror.code).toBe("ResponsibleAIPolicyViolation");
  });

  it("a content-filtered prompt fails over to OpenAI, whose policy may differ", async () => {
    const res = await chat({
      model: MODEL,
      provider: { order: ["azure", "openai"] },
      messages: [{ role: "user", content: "x" }],
      mock: { by_provider: { azure: { content_filter: true } } },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).provider).toBe("OpenAI");
  });

  it("429 with only retry-after-ms still tells the client when to retry", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "x" }],
      mock: { status: 429 },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("6");
    expect(((await res.json()) as any).error.metadata.error_type).toBe("rate_limit_exceeded");
  });

  it("an output filter stop is finish_reason content_filter", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "x" }],
      mock: { finish_reason: "content_filter" },
    });
    expect(((await res.json()) as any).choices[0].finish_reason).toBe("content_filter");
  });
});

describe("openai SDK against Azure", () => {
  const client = new OpenAI({
    baseURL: `${BASE}/v1`,
    apiKey: TEST_DEMO_KEY,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    maxRetries: 0,
  });

  it("JSON and streaming", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      ...only,
    } as never);
    expect((completion as OpenAI.Chat.ChatCompletion).choices[0]?.message.content).toBe(
      "Hello from the mock upstream.",
    );
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
      ...only,
    } as never);
    let text = "";
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>)
      text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from the mock upstream.");
  });

  it("tool calls stream and assemble", async () => {
    const tools: OpenAI.Chat.ChatCompletionTool[] = [
      { type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } },
    ];
    const final = await client.chat.completions
      .stream({
        model: MODEL,
        tools,
        messages: [{ role: "user", content: "x" }],
        ...only,
        mock: { tool_calls: [{ name: "lookup", arguments: '{"q":"a long query"}' }] },
      } as never)
      .finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && call.function).toEqual({
      name: "lookup",
      arguments: '{"q":"a long query"}',
    });
  });

  it("a content-filter refusal is the SDK's BadRequestError", async () => {
    await expect(
      client.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x" }],
        ...only,
        mock: { content_filter: true },
      } as never),
    ).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  });
});
