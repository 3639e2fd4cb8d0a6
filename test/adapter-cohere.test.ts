/**
 * Cohere (Chat v2): transcript tables for the pure translation, then the whole path through the
 * Worker against the mock Cohere, with the `openai` client.
 */
import { exports } from "cloudflare:workers";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { EndpointEntry } from "../src/catalog/types";
import { buildCohereBody } from "../src/providers/cohere/request";
import { mapCohereError, mapCohereResponse } from "../src/providers/cohere/response";
import { CohereStreamTranslator } from "../src/providers/cohere/stream";
import type { CanonicalChunk, StreamEvent } from "../src/providers/types";
import type { ChatRequest } from "../src/schema/chat";
import { TEST_DEMO_KEY } from "./constants";
import errors from "./fixtures/cohere/errors.json";
import requests from "./fixtures/cohere/requests.json";
import responses from "./fixtures/cohere/responses.json";
import streams from "./fixtures/cohere/streams.json";
import { collect, endpointPricing, summary } from "./fixtures/collect";
import { BASE, chat, chunksOf, readSse } from "./helpers";

const ENDPOINT = {
  provider: "cohere",
  provider_model_id: "command-a-03-2025",
  context_length: 256000,
  max_completion_tokens: 8192,
  quantization: null,
  pricing: { prompt: "0.0000025", completion: "0.00001" },
  supported_parameters: [
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "seed",
    "tools",
    "tool_choice",
    "response_format",
  ],
};

describe("Cohere request transcripts", () => {
  for (const entry of requests as {
    name: string;
    endpoint?: object;
    request: object;
    cohere?: unknown;
    error?: string;
  }[]) {
    it(entry.name, () => {
      const request = { model: "cohere/command-a", ...entry.request } as ChatRequest;
      const build = () =>
        buildCohereBody(request, { ...ENDPOINT, ...entry.endpoint } as unknown as EndpointEntry);
      if (entry.error !== undefined) expect(build).toThrow(new RegExp(entry.error));
      else expect(build()).toEqual(entry.cohere);
    });
  }
});

describe("Cohere response transcripts", () => {
  for (const entry of responses) {
    it(entry.name, () => {
      expect(summary(mapCohereResponse(entry.cohere))).toEqual(entry.expected);
    });
  }
  it("a body without a message is malformed", () => {
    expect(() => mapCohereResponse({ id: "x" })).toThrow(/no message/);
  });
});

describe("Cohere stream transcripts", () => {
  for (const entry of streams as {
    name: string;
    events: { event?: string; data: unknown }[];
    expected: unknown;
    usage?: unknown;
    failure?: unknown;
  }[]) {
    it(entry.name, () => {
      const translator = new CohereStreamTranslator();
      const chunks: CanonicalChunk[] = [];
      for (const event of entry.events) {
        const wire: StreamEvent = {
          event: event.event,
          data: typeof event.data === "string" ? event.data : JSON.stringify(event.data),
        };
        chunks.push(...translator.push(wire));
      }
      expect(collect(chunks)).toEqual(entry.expected);
      if (entry.usage) expect(translator.usage).toEqual(entry.usage);
      if (entry.failure) expect(translator.failure).toMatchObject(entry.failure);
      else expect(translator.failure).toBeUndefined();
      expect(translator.done).toBe(true);
    });
  }
  it("an event that is not JSON is malformed", () => {
    expect(() => new CohereStreamTranslator().push({ event: "content-delta", data: "{oops" })).toThrow(
      /not JSON/,
    );
  });
});

describe("Cohere error transcripts", () => {
  for (const entry of errors as {
    name: string;
    status: number;
    headers?: Record<string, string>;
    body: unknown;
    expected: object;
  }[]) {
    it(entry.name, () => {
      const failure = mapCohereError(entry.status, JSON.stringify(entry.body), new Headers(entry.headers));
      expect(failure).toMatchObject(entry.expected);
      expect(failure.upstreamStatus).toBe(entry.status);
      expect(failure.raw).toEqual(entry.body);
    });
  }
});

// --- through the Worker --------------------------------------------------------------------------

const MODEL = "cohere/command-a";

describe("Cohere through the Worker", () => {
  it("sends Chat v2 with the Bearer key and maps the answer", async () => {
    const res = await chat({
      model: MODEL,
      temperature: 0.2,
      top_p: 0.5,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi [[mock echo=true]]" },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const seen = JSON.parse(body.choices[0].message.content);
    expect(seen.path).toBe("/cohere/v2/chat");
    expect(seen.headers.authorization).toBe("Bearer test-key-cohere");
    expect(seen.body).toMatchObject({ model: "command-a-03-2025", temperature: 0.2, p: 0.5 });
    expect(seen.body.messages[0]).toEqual({ role: "system", content: "Be brief." });
    expect(body.provider).toBe("Cohere");
    expect(body.choices[0]).toMatchObject({ finish_reason: "stop", native_finish_reason: "COMPLETE" });
  });

  it("prices billed units, not Cohere's raw token counts", async () => {
    const usage = encodeURIComponent(JSON.stringify({ prompt_tokens: 1000, completion_tokens: 100 }));
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: `Hi [[mock usage=${usage}]]` }],
    });
    const body = (await res.json()) as any;
    expect(body.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 100 });
    const pricing = endpointPricing(MODEL, "cohere");
    expect(body.usage.cost).toBeCloseTo(1000 * Number(pricing.prompt) + 100 * Number(pricing.completion), 12);
  });

  it("streams content, reasoning and usage", async () => {
    const res = await chat({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "[[mock content=one%20two%20three reasoning=let%20me%20see]]" }],
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("one two three");
    expect(chunks.map((c) => c.choices[0]?.delta?.reasoning ?? "").join("")).toBe("let me see");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]).toMatchObject({
      finish_reason: "stop",
      native_finish_reason: "COMPLETE",
    });
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
  });

  it("Cohere's validation errors are 400 with its raw error", async () => {
    const res = await chat({ model: MODEL, temperature: 1.7, messages: [{ role: "user", content: "Hi" }] });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      provider_name: "Cohere",
      raw: { message: "invalid request: temperature must be between 0 and 1" },
    });
  });

  it("429 keeps Retry-After; 503 is overload; 498 is a content policy refusal", async () => {
    const limited = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "[[mock status=429 retry_after=5]]" }],
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("5");
    const busy = await chat({ model: MODEL, messages: [{ role: "user", content: "[[mock status=503]]" }] });
    expect(((await busy.json()) as any).error.metadata.error_type).toBe("provider_overloaded");
    const blocked = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "[[mock status=498]]" }],
    });
    expect(blocked.status).toBe(400);
    expect(((await blocked.json()) as any).error.metadata.error_type).toBe("content_policy_violation");
  });

  it("a generation error after the first token ends the stream with an error chunk", async () => {
    const res = await chat({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "[[mock content=a%20b%20c error_after_chunks=2]]" }],
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.at(-1)).toMatchObject({
      choices: [{ finish_reason: "error" }],
      error: { code: 502, metadata: { provider_name: "Cohere" } },
    });
    expect(chunks.at(-1).error.message).toContain("internal server error during generation");
  });
});

describe("openai SDK against Cohere", () => {
  const client = new OpenAI({
    baseURL: `${BASE}/v1`,
    apiKey: TEST_DEMO_KEY,
    fetch: (input, init) => exports.default.fetch(new Request(input, init)),
    maxRetries: 0,
  });
  const tools: OpenAI.Chat.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        parameters: { type: "object", properties: { city: { type: "string" } } },
      },
    },
  ];

  it("JSON: a tool call, then its result in the next turn", async () => {
    const calls = encodeURIComponent(JSON.stringify([{ name: "get_weather", arguments: '{"city":"Oslo"}' }]));
    const first = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [{ role: "user", content: `Oslo? [[mock tool_calls=${calls}]]` }],
    });
    const message = first.choices[0]?.message;
    const call = message?.tool_calls?.[0];
    expect(call?.type === "function" && call.function).toEqual({
      name: "get_weather",
      arguments: '{"city":"Oslo"}',
    });
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    const second = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "Oslo?" },
        message as OpenAI.Chat.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call?.id ?? "", content: "3C" },
      ],
    });
    expect(second.choices[0]?.message.content).toBe("Hello from the mock upstream.");
  });

  it("streaming: parallel tool calls assemble in the SDK's stream helper", async () => {
    const calls = encodeURIComponent(
      JSON.stringify([
        { name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' },
        { name: "get_weather", arguments: '{"city":"Rome"}' },
      ]),
    );
    const final = await client.chat.completions
      .stream({
        model: MODEL,
        tools,
        messages: [{ role: "user", content: `Both? [[mock tool_calls=${calls}]]` }],
      })
      .finalChatCompletion();
    const args = final.choices[0]?.message.tool_calls?.map((t) =>
      t.type === "function" ? JSON.parse(t.function.arguments) : null,
    );
    expect(args).toEqual([{ city: "Paris", unit: "celsius" }, { city: "Rome" }]);
    expect(final.choices[0]?.finish_reason).toBe("tool_calls");
  });

  it("structured output: a JSON schema reaches Cohere as json_object with the schema", async () => {
    const completion = await client.chat.completions.create({
      model: MODEL,
      response_format: {
        type: "json_schema",
        json_schema: { name: "person", schema: { type: "object", properties: { name: { type: "string" } } } },
      },
      messages: [{ role: "user", content: "A person [[mock echo=true]]" }],
    });
    const seen = JSON.parse(completion.choices[0]?.message.content ?? "{}");
    expect(seen.body.response_format).toEqual({
      type: "json_object",
      json_schema: { type: "object", properties: { name: { type: "string" } } },
    });
  });
});
