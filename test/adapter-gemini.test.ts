/**
 * The Gemini family end to end: the `openai` client → Junction → the mock Gemini API as Google AI
 * Studio and as Vertex AI (both validating requests as the real one does) → back.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { mockUrl, runWeatherTools, sdk, streamedToolCalls, untyped } from "./fixtures/adapter-sdk";
import { chat, chunksOf, readSse } from "./helpers";

const MODEL = "google/gemini-2.5-flash";
const AI_STUDIO = { provider: { only: ["google-ai-studio"], allow_fallbacks: false } };
const VERTEX = { provider: { only: ["google-vertex"], allow_fallbacks: false } };

/** Pins the endpoint; the SDK's request types do not know router fields. */
const extra = (fields: Record<string, unknown> = AI_STUDIO) => untyped(fields);

/** A tool schema as SDK helpers generate it: keywords Gemini refuses included. */
const weather: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    strict: true,
    parameters: {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "object",
      properties: {
        city: { type: "string" },
        unit: { anyOf: [{ type: "string", enum: ["celsius", "fahrenheit"] }, { type: "null" }] },
      },
      required: ["city", "unit"],
      additionalProperties: false,
    },
  },
};

const twoCalls = encodeURIComponent(
  JSON.stringify([
    { name: "get_weather", arguments: '{"city":"Paris","unit":null}' },
    { name: "get_weather", arguments: '{"city":"London","unit":"celsius"}' },
  ]),
);

interface Echo {
  body: Record<string, any>;
  headers: Record<string, string | null>;
  path: string;
}

const echoOf = (completion: OpenAI.Chat.ChatCompletion) =>
  JSON.parse(completion.choices[0]?.message.content ?? "") as Echo;

describe("Gemini through the openai client", () => {
  it("AI Studio: v1beta path, x-goog-api-key, systemInstruction, contents, generationConfig", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hi!" },
        { role: "user", content: "Weather? [[mock echo=true]]" },
      ],
      temperature: 0.4,
      max_tokens: 300,
      seed: 7,
      ...extra(),
    });
    const seen = echoOf(completion);
    expect(seen.path).toBe("/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent");
    expect(seen.headers["x-goog-api-key"]).toBe("test-key-google-ai-studio");
    expect(seen.headers.authorization).toBeNull();
    expect(seen.body).toEqual({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: "Hello" }] },
        { role: "model", parts: [{ text: "Hi!" }] },
        { role: "user", parts: [{ text: "Weather? [[mock echo=true]]" }] },
      ],
      generationConfig: { temperature: 0.4, maxOutputTokens: 300, seed: 7 },
    });
    expect((completion as any).provider).toBe("Google AI Studio");
  });

  it("Vertex AI: publisher model path and the key as an OAuth bearer token, streaming as SSE", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi [[mock echo=true]]" }],
      ...extra(VERTEX),
    });
    const seen = echoOf(completion);
    expect(seen.path).toBe("/google-vertex/models/gemini-2.5-flash:generateContent");
    expect(seen.headers.authorization).toBe("Bearer test-key-google-vertex");
    expect(seen.headers["x-goog-api-key"]).toBeNull();
    expect((completion as any).provider).toBe("Google Vertex");

    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "Hi" }],
      ...extra(VERTEX),
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("Hello from the mock upstream.");
  });

  it("usage: cached tokens inside prompt_tokens, thoughts inside completion_tokens, priced from the catalog", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      ...extra({
        ...AI_STUDIO,
        mock: {
          usage: { prompt_tokens: 1000, completion_tokens: 300, cached_tokens: 400, reasoning_tokens: 200 },
        },
      }),
    });
    const usage = completion.usage as any;
    expect(usage).toMatchObject({
      prompt_tokens: 1000,
      completion_tokens: 300,
      prompt_tokens_details: { cached_tokens: 400 },
      completion_tokens_details: { reasoning_tokens: 200 },
    });
    // 600 × 0.0000003 + 400 × 0.00000003 + 300 × 0.0000025
    expect(usage.cost).toBeCloseTo(0.00018 + 0.000012 + 0.00075, 12);
  });

  it("tools: schemas converted so Gemini accepts them; parallel calls; results sent back with signatures", async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: "user", content: `Paris and London? [[mock tool_calls=${twoCalls}]]` },
    ];
    const first = await sdk.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      tool_choice: "required",
      ...extra(),
    });
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect((first.choices[0] as any).native_finish_reason).toBe("STOP");
    const calls = (message?.tool_calls ?? []).filter((c) => c.type === "function");
    expect(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["call_mock-response_0", "get_weather", { city: "Paris", unit: null }],
      ["call_mock-response_1", "get_weather", { city: "London", unit: "celsius" }],
    ]);
    expect((message as any).reasoning_details).toEqual([
      {
        type: "reasoning.encrypted",
        data: "mock-signature",
        id: "call_mock-response_0",
        format: "google-gemini-v1",
        index: 0,
      },
    ]);

    messages.push(message as OpenAI.Chat.ChatCompletionMessageParam);
    messages.push({ role: "tool", tool_call_id: "call_mock-response_0", content: "18°C" });
    messages.push({ role: "tool", tool_call_id: "call_mock-response_1", content: '{"temp_c":12}' });
    const echoed = await sdk.chat.completions.create({
      model: MODEL,
      messages: [...messages, { role: "user", content: "[[mock echo=true]]" }],
      tools: [weather],
      ...extra(),
    });
    const seen = echoOf(echoed);
    expect(seen.body.contents[1]).toEqual({
      role: "model",
      parts: [
        {
          functionCall: { name: "get_weather", args: { city: "Paris", unit: null } },
          thoughtSignature: "mock-signature",
        },
        { functionCall: { name: "get_weather", args: { city: "London", unit: "celsius" } } },
      ],
    });
    expect(seen.body.contents[2].parts.slice(0, 2)).toEqual([
      { functionResponse: { name: "get_weather", response: { output: "18°C" } } },
      { functionResponse: { name: "get_weather", response: { temp_c: 12 } } },
    ]);
    expect(seen.body.tools[0].functionDeclarations[0].parameters).toEqual({
      type: "OBJECT",
      properties: {
        city: { type: "STRING" },
        unit: { type: "STRING", enum: ["celsius", "fahrenheit"], nullable: true },
      },
      required: ["city", "unit"],
    });
    expect(seen.body.toolConfig).toBeUndefined();

    const answer = await sdk.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      ...extra(),
    });
    expect(answer.choices[0]?.message.content).toBe("The tool returned: 18°C");
  });

  it("streams function calls with indexes and ids, and runs the tool loop (runTools)", async () => {
    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      tools: [weather],
      messages: [{ role: "user", content: `Paris and London? [[mock tool_calls=${twoCalls}]]` }],
      ...extra(),
    });
    const { calls, finish } = await streamedToolCalls(stream);
    expect(finish).toBe("tool_calls");
    expect(calls).toEqual({
      0: { id: "call_mock-response_0", name: "get_weather", arguments: '{"city":"Paris","unit":null}' },
      1: { id: "call_mock-response_1", name: "get_weather", arguments: '{"city":"London","unit":"celsius"}' },
    });

    const final = await runWeatherTools(
      MODEL,
      weather.function.parameters ?? {},
      `Weather? [[mock tool_calls=${twoCalls}]]`,
      AI_STUDIO,
    );
    expect(final).toBe("The tool returned: sunny in Paris");
  });

  it("reasoning: thinkingConfig from the effort; thoughts stream as reasoning", async () => {
    const echoed = await sdk.chat.completions.create({
      model: MODEL,
      max_tokens: 10000,
      reasoning_effort: "low",
      messages: [{ role: "user", content: "Think [[mock echo=true]]" }],
      ...extra(),
    });
    expect(echoOf(echoed).body.generationConfig).toEqual({
      maxOutputTokens: 10000,
      thinkingConfig: { includeThoughts: true, thinkingBudget: 2000 },
    });

    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "Think [[mock reasoning=Counting%20paws. content=Eight.]]" }],
      ...extra({ ...AI_STUDIO, reasoning: { effort: "medium" } }),
    });
    let reasoning = "";
    let text = "";
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as any;
      reasoning += delta?.reasoning ?? "";
      text += delta?.content ?? "";
    }
    expect([reasoning, text]).toEqual(["Counting paws.", "Eight."]);
  });

  it("json_schema → responseMimeType and a responseSchema Gemini accepts; the answer is the JSON text", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" }, population: { type: ["integer", "null"] } },
      required: ["city", "population"],
      additionalProperties: false,
    };
    const answer = await sdk.chat.completions.create({
      model: MODEL,
      messages: [
        {
          role: "user",
          content: "Where? [[mock content=%7B%22city%22%3A%22Paris%22%2C%22population%22%3Anull%7D]]",
        },
      ],
      response_format: { type: "json_schema", json_schema: { name: "place", schema, strict: true } },
      ...extra(),
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? "")).toEqual({ city: "Paris", population: null });
  });

  it("safety: a blocked prompt → content_filter with the block reason (JSON and stream)", async () => {
    const json = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "x [[mock prompt_block_reason=SAFETY]]" }],
      ...extra(),
    });
    expect(json.choices[0]).toMatchObject({
      finish_reason: "content_filter",
      native_finish_reason: "SAFETY",
    });

    const chunks = chunksOf(
      await readSse(
        await chat({
          model: MODEL,
          stream: true,
          messages: [{ role: "user", content: "x [[mock prompt_block_reason=SAFETY]]" }],
          ...AI_STUDIO,
        }),
      ),
    ) as any[];
    expect(chunks[0].choices[0]).toMatchObject({
      finish_reason: "content_filter",
      native_finish_reason: "SAFETY",
    });
    expect(chunks.at(-1).usage.prompt_tokens).toBe(12);
  });

  it("finish reasons: MAX_TOKENS → length, SAFETY → content_filter, RECITATION → content_filter", async () => {
    for (const [native, normalized] of [
      ["MAX_TOKENS", "length"],
      ["SAFETY", "content_filter"],
      ["RECITATION", "content_filter"],
    ]) {
      const json = await sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: `x [[mock finish_reason=${native}]]` }],
        ...extra(),
      });
      expect([json.choices[0]?.finish_reason, (json.choices[0] as any).native_finish_reason]).toEqual([
        normalized,
        native,
      ]);
    }
  });
});

describe("Gemini errors and failover", () => {
  it("429 RESOURCE_EXHAUSTED: the RetryInfo delay becomes Retry-After; the SDK sees a RateLimitError", async () => {
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "x [[mock status=429 retry_after=17]]" }],
      ...AI_STUDIO,
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("17");
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      error_type: "rate_limit_exceeded",
      provider_name: "Google AI Studio",
      raw: { error: { code: 429, status: "RESOURCE_EXHAUSTED" } },
    });
    await expect(
      sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x [[mock status=429 retry_after=17]]" }],
        ...extra(),
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("a failing AI Studio fails over to Vertex before the first byte", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "x [[mock@google-ai-studio status=503]]" }],
      ...extra({ provider: { order: ["google-ai-studio", "google-vertex"] } }),
    });
    expect((completion as any).provider).toBe("Google Vertex");
    expect(completion.choices[0]?.message.content).toBe("Hello from the mock upstream.");
  });

  it("a schema keyword Gemini refuses would be a 400 from Google: a native responseSchema passes through untouched", async () => {
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "x" }],
      generationConfig: {
        responseMimeType: "application/json",
        responseSchema: { type: "object", additionalProperties: false },
      },
      ...AI_STUDIO,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain('Unknown name "additionalProperties"');
    expect(body.error.metadata).toMatchObject({
      error_type: "invalid_request",
      provider_name: "Google AI Studio",
    });
  });

  it("a mid-stream error event ends the stream with an error chunk", async () => {
    const res = await chat({
      model: MODEL,
      stream: true,
      messages: [
        { role: "user", content: "x [[mock content=one%20two%20three%20four error_after_chunks=2]]" },
      ],
      ...AI_STUDIO,
    });
    expect(res.status).toBe(200);
    const chunks = chunksOf(await readSse(res)) as any[];
    const last = chunks.at(-1);
    expect(last.error).toMatchObject({
      code: 503,
      metadata: { error_type: "provider_overloaded", provider_name: "Google AI Studio" },
    });
    expect(last.choices[0].finish_reason).toBe("error");
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("one two");
  });

  it("a parameter Gemini cannot express is a 400 that names it", async () => {
    const res = await chat({
      model: MODEL,
      logit_bias: { "42": 10 },
      messages: [{ role: "user", content: "x" }],
      ...AI_STUDIO,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.message).toContain("logit_bias");
  });
});

describe("the mock Gemini API refuses what Gemini refuses", () => {
  const send = (body: unknown) =>
    fetch(mockUrl("/google-ai-studio/v1beta/models/gemini-2.5-flash:generateContent"), {
      method: "POST",
      headers: { "content-type": "application/json", "x-goog-api-key": "k" },
      body: JSON.stringify(body),
    });
  const user = { role: "user", parts: [{ text: "x" }] };
  const cases: [string, unknown, string][] = [
    [
      "an unknown schema keyword in a function declaration",
      {
        contents: [user],
        tools: [
          {
            functionDeclarations: [
              {
                name: "f",
                parameters: {
                  type: "object",
                  properties: { a: { type: "string" } },
                  additionalProperties: false,
                },
              },
            ],
          },
        ],
      },
      `Unknown name "additionalProperties" at 'tools[0].function_declarations[0].parameters'`,
    ],
    [
      "an unknown keyword deep in a response schema",
      {
        contents: [user],
        generationConfig: {
          responseMimeType: "application/json",
          responseSchema: { type: "OBJECT", properties: { a: { type: "STRING", $ref: "#/x" } } },
        },
      },
      'Unknown name "$ref"',
    ],
    [
      "a role other than user and model",
      { contents: [{ role: "assistant", parts: [{ text: "x" }] }] },
      "valid role",
    ],
    ["no contents", { contents: [] }, "contents is not specified"],
    [
      "function responses that do not answer the previous turn's calls",
      {
        contents: [
          user,
          { role: "model", parts: [{ functionCall: { name: "f", args: {} } }] },
          {
            role: "user",
            parts: [
              { functionResponse: { name: "f", response: {} } },
              { functionResponse: { name: "f", response: {} } },
            ],
          },
        ],
      },
      "number of function response parts is equal to the number of function call parts",
    ],
  ];
  for (const [name, body, message] of cases) {
    it(name, async () => {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 400, status: "INVALID_ARGUMENT", message: expect.stringContaining(message) },
      });
    });
  }
});
