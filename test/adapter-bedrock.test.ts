/**
 * Amazon Bedrock (Converse): transcript tables for the pure translation, then the whole path
 * through the Worker against the mock Bedrock (SigV4 verified, binary event stream), with the
 * `openai` client.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { ResolvedEndpoint } from "../src/catalog/types";
import type { Env } from "../src/env";
import { EventStreamDecoder } from "../src/providers/bedrock/event-stream";
import { buildBedrockRequest, buildConverseBody } from "../src/providers/bedrock/request";
import { mapBedrockError, mapConverseResponse } from "../src/providers/bedrock/response";
import { BedrockStreamTranslator } from "../src/providers/bedrock/stream";
import type { CanonicalChunk } from "../src/providers/types";
import type { ChatRequest } from "../src/schema/chat";
import { TEST_DEMO_KEY } from "./constants";
import errors from "./fixtures/bedrock/errors.json";
import { transcriptFrame } from "./fixtures/bedrock/frames";
import requests from "./fixtures/bedrock/requests.json";
import responses from "./fixtures/bedrock/responses.json";
import streams from "./fixtures/bedrock/streams.json";
import { collect, summary, workerWith } from "./fixtures/collect";
import { BASE, chat, chunksOf, readSse } from "./helpers";

const ENDPOINT = {
  provider: "amazon-bedrock",
  provider_model_id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  context_length: 200000,
  max_completion_tokens: 64000,
  quantization: null,
  pricing: { prompt: "0.000003", completion: "0.000015" },
  supported_parameters: [
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stop",
    "tools",
    "tool_choice",
    "reasoning",
    "response_format",
    "structured_outputs",
  ],
  bedrock_reasoning: "anthropic",
  bedrock_request_fields: { top_k: "top_k" },
};

function resolved(overrides: Record<string, unknown> = {}): ResolvedEndpoint {
  return {
    model: { id: "anthropic/claude-sonnet-4.5" },
    endpoint: { ...ENDPOINT, ...overrides },
    provider: {
      slug: "amazon-bedrock",
      name: "Amazon Bedrock",
      api: "bedrock",
      base_url: "https://bedrock-runtime.us-east-1.amazonaws.com",
      aws_region: "us-east-1",
    },
  } as unknown as ResolvedEndpoint;
}

describe("Bedrock request transcripts", () => {
  for (const entry of requests as {
    name: string;
    endpoint?: Record<string, unknown>;
    request: unknown;
    converse?: unknown;
    error?: string;
  }[]) {
    it(entry.name, () => {
      const request = { model: "anthropic/claude-sonnet-4.5", ...(entry.request as object) } as ChatRequest;
      const build = () => buildConverseBody(request, resolved(entry.endpoint).endpoint);
      if (entry.error !== undefined) expect(build).toThrow(new RegExp(entry.error));
      else expect(build()).toEqual(entry.converse);
    });
  }
});

describe("Bedrock response transcripts", () => {
  for (const entry of responses) {
    it(entry.name, () => {
      expect(summary(mapConverseResponse(entry.converse))).toEqual(entry.expected);
    });
  }
  it("a body that is not a Converse answer is malformed", () => {
    expect(() => mapConverseResponse({ output: {} })).toThrow(/output.message.content/);
  });
});

/** Frames the transcript, feeds the decoder in uneven pieces, and translates what comes out. */
function translate(events: { event?: string; exception?: string; data: unknown }[], piece: number) {
  const bytes = Uint8Array.from(events.flatMap((e) => [...transcriptFrame(e)]));
  const decoder = new EventStreamDecoder();
  const translator = new BedrockStreamTranslator();
  const chunks: CanonicalChunk[] = [];
  for (let at = 0; at < bytes.length && !translator.done; at += piece) {
    for (const event of decoder.push(bytes.subarray(at, at + piece))) chunks.push(...translator.push(event));
  }
  return { chunks, translator };
}

describe("Bedrock stream transcripts", () => {
  for (const entry of streams as {
    name: string;
    events: { event?: string; exception?: string; data: unknown }[];
    expected: unknown;
    usage?: unknown;
    failure?: unknown;
  }[]) {
    it(entry.name, () => {
      for (const piece of [1, 7, 64, 100_000]) {
        const { chunks, translator } = translate(entry.events, piece);
        expect(collect(chunks)).toEqual(entry.expected);
        if (entry.usage) expect(translator.usage).toEqual(entry.usage);
        if (entry.failure) expect(translator.failure).toMatchObject(entry.failure);
        else expect(translator.failure).toBeUndefined();
        expect(translator.done).toBe(true);
      }
    });
  }
  it("tool calls keep their index and id in the first chunk of each call", () => {
    const { chunks } = translate((streams[1] as unknown as { events: [] }).events, 100_000);
    const starts = chunks
      .flatMap((c) => (c.choices[0]?.delta.tool_calls as any[] | undefined) ?? [])
      .filter((t) => t.id);
    expect(starts).toEqual([
      { index: 0, id: "tooluse_p", type: "function", function: { name: "get_weather", arguments: "" } },
      { index: 1, id: "tooluse_r", type: "function", function: { name: "get_weather", arguments: "" } },
    ]);
  });
});

describe("Bedrock error transcripts", () => {
  for (const entry of errors) {
    it(entry.name, () => {
      const failure = mapBedrockError(
        entry.status,
        JSON.stringify(entry.body),
        new Headers(entry.headers as Record<string, string>),
      );
      expect(failure).toMatchObject(entry.expected);
      expect(failure.upstreamStatus).toBe(entry.status);
      expect(failure.raw).toEqual(entry.body);
    });
  }
});

describe("Bedrock request signing", () => {
  const target = (apiKey: string | undefined) => ({
    resolved: resolved(),
    baseUrl: "https://bedrock-runtime.us-east-1.amazonaws.com",
    apiKey,
  });
  const request = { model: "m", messages: [{ role: "user", content: "Hi" }] } as ChatRequest;

  it("signs with SigV4 for bedrock in the provider's region, the model id escaped in the path", async () => {
    const signed = await buildBedrockRequest(
      request,
      target("AKIDEXAMPLE:wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
      "20251121T120000Z",
    );
    expect(signed.url).toBe(
      "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse",
    );
    expect(signed.headers.get("x-amz-date")).toBe("20251121T120000Z");
    expect(signed.headers.get("authorization")).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20251121\/us-east-1\/bedrock\/aws4_request, SignedHeaders=accept;host;x-amz-date, Signature=[0-9a-f]{64}$/,
    );
    expect(await signed.json()).toEqual({ messages: [{ role: "user", content: [{ text: "Hi" }] }] });
  });

  it("adds the session token of temporary credentials, and streams from converse-stream", async () => {
    const signed = await buildBedrockRequest(
      { ...request, stream: true },
      target("AKIDEXAMPLE:secret:SESSIONTOKEN"),
      "20251121T120000Z",
    );
    expect(signed.url).toMatch(/\/converse-stream$/);
    expect(signed.headers.get("x-amz-security-token")).toBe("SESSIONTOKEN");
    expect(signed.headers.get("accept")).toBe("application/vnd.amazon.eventstream");
    expect(signed.headers.get("authorization")).toContain(
      "SignedHeaders=accept;host;x-amz-date;x-amz-security-token,",
    );
  });

  it("sends a Bedrock API key as a Bearer token", async () => {
    const sent = await buildBedrockRequest(request, target("ABSKQmVkcm9ja0FQSUtleQ=="));
    expect(sent.headers.get("authorization")).toBe("Bearer ABSKQmVkcm9ja0FQSUtleQ==");
  });

  it("refuses malformed credentials without echoing them", async () => {
    await expect(buildBedrockRequest(request, target("AKID::"))).rejects.toThrow(/accessKeyId/);
    await expect(buildBedrockRequest(request, target("AKID:s3cr3tvalue:token:extra"))).rejects.not.toThrow(
      /s3cr3tvalue/,
    );
  });
});

// --- through the Worker --------------------------------------------------------------------------

const MODEL = "anthropic/claude-sonnet-4.5";
const only = { provider: { only: ["amazon-bedrock"] } };
/** Credentials whose signatures the mock verifies in full (see test/mock-upstream/bedrock.ts). */
const SIGV4 = "AKIDMOCKJUNCTION:mock-secret-for-AKIDMOCKJUNCTION";

const sigv4Fetch = workerWith({ AMAZON_BEDROCK_API_KEY: SIGV4 } as Partial<Env>);
const sigv4Chat = (body: unknown) =>
  sigv4Fetch(`${BASE}/api/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${TEST_DEMO_KEY}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("Bedrock through the Worker", () => {
  it("signs with SigV4, which the mock verifies, and translates the answer", async () => {
    const res = await sigv4Chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "Hi [[mock echo=true]]" }],
      max_tokens: 64,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const seen = JSON.parse(body.choices[0].message.content);
    expect(seen.path).toBe("/amazon-bedrock/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse");
    expect(seen.modelId).toBe("us.anthropic.claude-sonnet-4-5-20250929-v1:0");
    expect(seen.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDMOCKJUNCTION\/\d{8}\/us-east-1\/bedrock\/aws4_request/,
    );
    expect(seen.body.inferenceConfig).toEqual({ maxTokens: 64 });
    expect(body.provider).toBe("Amazon Bedrock");
    expect(body.choices[0].finish_reason).toBe("stop");
    expect(body.choices[0].native_finish_reason).toBe("end_turn");
  });

  it("a wrong secret fails the signature check and the request fails over (here: to nothing)", async () => {
    const res = await workerWith({ AMAZON_BEDROCK_API_KEY: "AKIDMOCKJUNCTION:wrong" } as Partial<Env>)(
      `${BASE}/api/v1/chat/completions`,
      {
        method: "POST",
        headers: { authorization: `Bearer ${TEST_DEMO_KEY}`, "content-type": "application/json" },
        body: JSON.stringify({ model: MODEL, ...only, messages: [{ role: "user", content: "Hi" }] }),
      },
    );
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.metadata.provider_name).toBe("Amazon Bedrock");
    expect(body.error.message).toContain("InvalidSignatureException");
  });

  it("streams the binary event stream as OpenAI chunks with usage", async () => {
    const res = await sigv4Chat({
      model: MODEL,
      ...only,
      stream: true,
      messages: [
        {
          role: "user",
          content:
            "[[mock content=one%20two%20three reasoning=hmm%20ok usage=%7B%22prompt_tokens%22%3A30%2C%22completion_tokens%22%3A5%2C%22cached_tokens%22%3A10%7D]]",
        },
      ],
    });
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const chunks = chunksOf(await readSse(res)) as any[];
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    const reasoning = chunks.map((c) => c.choices[0]?.delta?.reasoning ?? "").join("");
    expect(text).toBe("one two three");
    expect(reasoning).toBe("hmm ok");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]).toMatchObject({
      finish_reason: "stop",
      native_finish_reason: "end_turn",
    });
    const usage = chunks.find((c) => c.usage)?.usage;
    expect(usage).toMatchObject({
      prompt_tokens: 30,
      completion_tokens: 5,
      prompt_tokens_details: { cached_tokens: 10 },
    });
  });

  it("a Bedrock API key (the default test secret) is sent as Bearer and accepted", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "Hi [[mock echo=true]]" }],
    });
    expect(res.status).toBe(200);
    const seen = JSON.parse(((await res.json()) as any).choices[0].message.content);
    expect(seen.headers.authorization).toBe("Bearer test-key-amazon-bedrock");
  });

  it("a corrupt frame (CRC mismatch) ends the stream with an error chunk", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      stream: true,
      messages: [{ role: "user", content: "[[mock content=a%20b%20c%20d malformed=true]]" }],
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    const last = chunks.at(-1);
    expect(last.choices[0].finish_reason).toBe("error");
    expect(last.error.message).toMatch(/CRC/);
  });

  it("an exception event mid-stream ends the stream with an error chunk", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      stream: true,
      messages: [{ role: "user", content: "[[mock content=a%20b%20c%20d error_after_chunks=2]]" }],
    });
    const chunks = chunksOf(await readSse(res)) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("a b");
    expect(chunks.at(-1).error).toMatchObject({
      code: 502,
      metadata: { error_type: "provider_unavailable", provider_name: "Amazon Bedrock" },
    });
  });

  it("Bedrock's validation errors come back as 400 with the raw error and provider", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      temperature: 1.5,
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.metadata.provider_name).toBe("Amazon Bedrock");
    expect(body.error.metadata.raw).toEqual({ message: "temperature: range: 0..1" });
  });

  it("throttling → 429 with the upstream's Retry-After, and overload → 503", async () => {
    const limited = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "[[mock status=429 retry_after=3]]" }],
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("3");
    expect(((await limited.json()) as any).error.metadata.error_type).toBe("rate_limit_exceeded");
    const busy = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "[[mock status=503]]" }],
    });
    expect(busy.status).toBe(503);
    expect(((await busy.json()) as any).error.metadata.error_type).toBe("provider_overloaded");
  });

  it("a context-length refusal is classified as such, with Bedrock's raw error", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [
        {
          role: "user",
          content:
            "Hi [[mock status=400 error_body=%7B%22message%22%3A%22Input%20is%20too%20long%20for%20requested%20model.%22%7D]]",
        },
      ],
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      error_type: "context_length_exceeded",
      provider_name: "Amazon Bedrock",
      raw: { message: "Input is too long for requested model." },
    });
  });

  it("a Bedrock outage fails over to the next provider", async () => {
    const res = await chat({
      model: MODEL,
      provider: { order: ["amazon-bedrock", "anthropic"] },
      messages: [{ role: "user", content: "Hi [[mock@amazon-bedrock status=500]]" }],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.provider).toBe("Anthropic");
  });
});

describe("openai SDK against Bedrock", () => {
  const client = new OpenAI({
    baseURL: `${BASE}/v1`,
    apiKey: TEST_DEMO_KEY,
    fetch: sigv4Fetch,
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

  it("JSON: parallel tool calls, then the results in the next turn", async () => {
    const calls = encodeURIComponent(
      JSON.stringify([
        { name: "get_weather", arguments: '{"city":"Paris"}' },
        { name: "get_weather", arguments: '{"city":"Rome"}' },
      ]),
    );
    const first = await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [{ role: "user", content: `Paris and Rome? [[mock tool_calls=${calls}]]` }],
      ...only,
    } as never);
    const message = (first as OpenAI.Chat.ChatCompletion).choices[0]?.message;
    expect(message?.tool_calls?.map((t) => (t.type === "function" ? t.function.arguments : ""))).toEqual([
      '{"city":"Paris"}',
      '{"city":"Rome"}',
    ]);
    expect((first as OpenAI.Chat.ChatCompletion).choices[0]?.finish_reason).toBe("tool_calls");
    const second = (await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "Paris and Rome?" },
        message as OpenAI.Chat.ChatCompletionMessageParam,
        ...(message?.tool_calls ?? []).map((t, i) => ({
          role: "tool" as const,
          tool_call_id: t.id,
          content: `${18 + i}C`,
        })),
      ],
      ...only,
    } as never)) as OpenAI.Chat.ChatCompletion;
    expect(second.choices[0]?.message.content).toBe("Hello from the mock upstream.");
  });

  it("streaming: text with usage, through the SDK's iterator", async () => {
    const stream = await client.chat.completions.create({
      model: MODEL,
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Hi" }],
      ...only,
    } as never);
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream as unknown as AsyncIterable<OpenAI.Chat.ChatCompletionChunk>) {
      text += chunk.choices[0]?.delta.content ?? "";
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).toBe("Hello from the mock upstream.");
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it("streaming: tool call arguments assemble in the SDK's stream helper", async () => {
    const calls = encodeURIComponent(
      JSON.stringify([{ name: "get_weather", arguments: '{"city":"Paris","unit":"celsius"}' }]),
    );
    const runner = client.chat.completions.stream({
      model: MODEL,
      tools,
      messages: [{ role: "user", content: `Paris? [[mock tool_calls=${calls}]]` }],
      ...only,
    } as never);
    const final = await runner.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === "function" && JSON.parse(call.function.arguments)).toEqual({
      city: "Paris",
      unit: "celsius",
    });
  });
});
