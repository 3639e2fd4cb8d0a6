/**
 * The Anthropic family end to end: the `openai` client → Junction → the mock Anthropic Messages API
 * (which validates requests as the real one does) → back. Requests pin the `anthropic` endpoint so
 * other providers of the same model never answer.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { mockUrl, runWeatherTools, sdk, streamedToolCalls, untyped } from "./fixtures/adapter-sdk";
import { chat, chunksOf, readSse } from "./helpers";

const MODEL = "anthropic/claude-sonnet-4.5";
const ONLY = { provider: { only: ["anthropic"], allow_fallbacks: false } };

/** Pins the endpoint; the SDK's request types do not know router fields. */
const extra = (fields: Record<string, unknown> = {}) => untyped({ ...ONLY, ...fields });

const weather: OpenAI.Chat.ChatCompletionTool = {
  type: "function",
  function: {
    name: "get_weather",
    description: "Current weather for a city",
    parameters: {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    },
  },
};

const twoCalls = encodeURIComponent(
  JSON.stringify([
    { name: "get_weather", arguments: '{"city":"Paris"}' },
    { name: "get_weather", arguments: '{"city":"London"}' },
  ]),
);

interface Echo {
  body: Record<string, any>;
  headers: Record<string, string | null>;
  path: string;
}

describe("Anthropic through the openai client", () => {
  it("translates the request: system lifted, roles merged, tools, headers, default max_tokens", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello" },
        { role: "user", content: "Weather? [[mock echo=true]]" },
      ],
      tools: [weather],
      tool_choice: "auto",
      temperature: 0.5,
      stop: ["END"],
      ...extra(),
    });
    const seen = JSON.parse(completion.choices[0]?.message.content ?? "") as Echo;
    expect(seen.path).toBe("/anthropic/v1/messages");
    expect(seen.headers["x-api-key"]).toBe("test-key-anthropic");
    expect(seen.headers["anthropic-version"]).toBe("2023-06-01");
    expect(seen.headers.authorization).toBeNull();
    expect(seen.body).toMatchObject({
      model: "claude-sonnet-4-5",
      max_tokens: 64000,
      system: [{ type: "text", text: "Be brief." }],
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Hello" },
            { type: "text", text: "Weather? [[mock echo=true]]" },
          ],
        },
      ],
      tools: [{ name: "get_weather", input_schema: weather.function.parameters }],
      tool_choice: { type: "auto" },
      temperature: 0.5,
      stop_sequences: ["END"],
    });
    expect(seen.body).not.toHaveProperty("provider");
    expect((completion as any).provider).toBe("Anthropic");
  });

  it("answers text with usage (cache reads and writes in prompt_tokens) and cost from the catalog", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi" }],
      ...extra({
        mock: {
          content: "Hello there.",
          usage: {
            prompt_tokens: 10000,
            completion_tokens: 100,
            cached_tokens: 6000,
            cache_write_tokens: 2000,
          },
        },
      }),
    });
    const choice = completion.choices[0];
    expect(choice?.message.content).toBe("Hello there.");
    expect(choice?.finish_reason).toBe("stop");
    expect((choice as any).native_finish_reason).toBe("end_turn");
    const usage = completion.usage as any;
    expect(usage).toMatchObject({
      prompt_tokens: 10000,
      completion_tokens: 100,
      total_tokens: 10100,
      prompt_tokens_details: { cached_tokens: 6000, cache_write_tokens: 2000 },
    });
    // 2000 × 0.000003 + 6000 × 0.0000003 + 2000 × 0.00000375 + 100 × 0.000015
    expect(usage.cost).toBeCloseTo(0.006 + 0.0018 + 0.0075 + 0.0015, 12);
  });

  it("parallel tool calls, then the results in one user turn, then the answer (JSON)", async () => {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      { role: "user", content: `Weather in Paris and London? [[mock tool_calls=${twoCalls}]]` },
    ];
    const first = await sdk.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      ...extra(),
    });
    const message = first.choices[0]?.message;
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect((first.choices[0] as any).native_finish_reason).toBe("tool_use");
    const calls = (message?.tool_calls ?? []).filter((c) => c.type === "function");
    expect(calls.map((c) => [c.id, c.function.name, JSON.parse(c.function.arguments)])).toEqual([
      ["toolu_mock_0", "get_weather", { city: "Paris" }],
      ["toolu_mock_1", "get_weather", { city: "London" }],
    ]);
    messages.push(message as OpenAI.Chat.ChatCompletionMessageParam);
    messages.push({ role: "tool", tool_call_id: "toolu_mock_0", content: "18°C" });
    messages.push({ role: "tool", tool_call_id: "toolu_mock_1", content: "12°C" });
    // The mock refuses tool results that do not answer the previous turn's calls, as Anthropic does.
    const second = await sdk.chat.completions.create({
      model: MODEL,
      messages,
      tools: [weather],
      ...extra(),
    });
    expect(second.choices[0]?.message.content).toBe("The tool returned: 18°C");
  });

  it("streams parallel tool calls with the right index and id for each, then runs the tool loop", async () => {
    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      tools: [weather],
      messages: [{ role: "user", content: `Weather? [[mock tool_calls=${twoCalls}]]` }],
      ...extra(),
    });
    const { calls, finish } = await streamedToolCalls(stream);
    expect(finish).toBe("tool_calls");
    expect(calls).toEqual({
      0: { id: "toolu_mock_0", name: "get_weather", arguments: '{"city":"Paris"}' },
      1: { id: "toolu_mock_1", name: "get_weather", arguments: '{"city":"London"}' },
    });

    const final = await runWeatherTools(
      MODEL,
      weather.function.parameters ?? {},
      `Weather? [[mock tool_calls=${twoCalls}]]`,
      ONLY,
    );
    expect(final).toBe("The tool returned: sunny in Paris");
  });

  it("streams reasoning then text, with a final usage chunk", async () => {
    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      max_tokens: 4000,
      messages: [{ role: "user", content: "Think [[mock reasoning=Let%20me%20think. content=Done.]]" }],
      ...extra({ reasoning: { effort: "low" } }),
    });
    let reasoning = "";
    let text = "";
    let usage: OpenAI.CompletionUsage | undefined;
    const signatures: string[] = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta as any;
      reasoning += delta?.reasoning ?? "";
      text += delta?.content ?? "";
      for (const detail of delta?.reasoning_details ?? [])
        if (detail.signature) signatures.push(detail.signature);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(reasoning).toBe("Let me think.");
    expect(text).toBe("Done.");
    expect(signatures).toEqual(["mock-signature"]);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
    expect(usage?.completion_tokens_details?.reasoning_tokens).toBeGreaterThan(0);
  });

  it("json_schema goes to native structured output; json_object through the answer tool comes back as content", async () => {
    const schema = {
      type: "object",
      properties: { city: { type: "string" } },
      required: ["city"],
      additionalProperties: false,
    };
    const echoed = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Where? [[mock echo=true]]" }],
      response_format: { type: "json_schema", json_schema: { name: "place", schema, strict: true } },
      ...extra(),
    });
    const seen = JSON.parse(echoed.choices[0]?.message.content ?? "") as Echo;
    expect(seen.body.output_config).toEqual({ format: { type: "json_schema", schema } });

    const answer = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Where? [[mock content=%7B%22city%22%3A%22Paris%22%7D]]" }],
      response_format: { type: "json_object" },
      ...extra(),
    });
    expect(JSON.parse(answer.choices[0]?.message.content ?? "")).toEqual({ city: "Paris" });
    expect(answer.choices[0]?.finish_reason).toBe("stop");
    expect(answer.choices[0]?.message.tool_calls ?? []).toEqual([]);
  });

  it("stop reasons: max_tokens → length, refusal → content_filter, native kept (JSON and stream)", async () => {
    for (const [native, normalized] of [
      ["max_tokens", "length"],
      ["refusal", "content_filter"],
      ["stop_sequence", "stop"],
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
      const chunks = chunksOf(
        await readSse(
          await chat({
            model: MODEL,
            stream: true,
            messages: [{ role: "user", content: `x [[mock finish_reason=${native}]]` }],
            ...ONLY,
          }),
        ),
      ) as any[];
      const end = chunks.find((c) => c.choices[0]?.finish_reason);
      expect([end.choices[0].finish_reason, end.choices[0].native_finish_reason]).toEqual([
        normalized,
        native,
      ]);
    }
  });
});

describe("Anthropic errors through the openai client", () => {
  it("529 overloaded → 503 provider_overloaded with Anthropic's raw error and Retry-After", async () => {
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "x [[mock status=529]]" }],
      ...ONLY,
    });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBeTruthy();
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      error_type: "provider_overloaded",
      provider_name: "Anthropic",
      raw: { type: "error", error: { type: "overloaded_error", message: "mock upstream error 529" } },
    });
    await expect(
      sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x [[mock status=529]]" }],
        ...extra(),
      }),
    ).rejects.toMatchObject({ status: 503 });
  });

  it("429 keeps Retry-After and is the SDK's RateLimitError", async () => {
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: "x [[mock status=429 retry_after=9]]" }],
      ...ONLY,
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("9");
    expect(((await res.json()) as any).error.metadata.error_type).toBe("rate_limit_exceeded");
    await expect(
      sdk.chat.completions.create({
        model: MODEL,
        messages: [{ role: "user", content: "x [[mock status=429 retry_after=9]]" }],
        ...extra(),
      }),
    ).rejects.toBeInstanceOf(OpenAI.RateLimitError);
  });

  it("a prompt over the context window → 400 context_length_exceeded", async () => {
    const errorBody = encodeURIComponent(
      JSON.stringify({
        type: "error",
        error: {
          type: "invalid_request_error",
          message: "prompt is too long: 208310 tokens > 200000 maximum",
        },
      }),
    );
    const res = await chat({
      model: MODEL,
      messages: [{ role: "user", content: `x [[mock status=400 error_body=${errorBody}]]` }],
      ...ONLY,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as any).error.metadata.error_type).toBe("context_length_exceeded");
  });

  it("a request the real API refuses is refused the same way (native thinking budget below 1024)", async () => {
    const res = await chat({
      model: MODEL,
      max_tokens: 2000,
      messages: [{ role: "user", content: "x" }],
      thinking: { type: "enabled", budget_tokens: 100 },
      ...ONLY,
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain("budget_tokens");
    expect(body.error.metadata).toMatchObject({ error_type: "invalid_request", provider_name: "Anthropic" });
  });

  it("a parameter Anthropic cannot express is a 400 that names it", async () => {
    const res = await chat({ model: MODEL, seed: 3, messages: [{ role: "user", content: "x" }], ...ONLY });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain("seed");
    expect(body.error.metadata.error_type).toBe("invalid_request");
  });

  it("an error event mid-stream ends the stream with an error chunk after the delivered text", async () => {
    const res = await chat({
      model: MODEL,
      stream: true,
      messages: [
        { role: "user", content: "x [[mock content=one%20two%20three%20four error_after_chunks=3]]" },
      ],
      ...ONLY,
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events.some((e) => e.data === "[DONE]")).toBe(false);
    const chunks = chunksOf(events) as any[];
    const last = chunks.at(-1);
    expect(last.error).toMatchObject({
      code: 503,
      metadata: { error_type: "provider_overloaded", provider_name: "Anthropic" },
    });
    expect(last.choices[0].finish_reason).toBe("error");
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("");
    expect(text.length).toBeGreaterThan(0);
  });

  it("a cut stream ends in an error chunk; a malformed event before any token is a 502 answer", async () => {
    const cut = chunksOf(
      await readSse(
        await chat({
          model: MODEL,
          stream: true,
          messages: [
            { role: "user", content: "x [[mock content=one%20two%20three%20four cut_after_chunks=3]]" },
          ],
          ...ONLY,
        }),
      ),
    ) as any[];
    expect(cut.at(-1).choices[0].finish_reason).toBe("error");
    expect(cut.at(-1).error.metadata.provider_name).toBe("Anthropic");

    const malformed = await chat({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "x [[mock malformed=true]]" }],
      ...ONLY,
    });
    expect(malformed.status).toBe(502);
    expect(((await malformed.json()) as any).error.metadata.provider_name).toBe("Anthropic");
  });
});

describe("the mock Messages API refuses what Anthropic refuses", () => {
  const send = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(mockUrl("/anthropic/v1/messages"), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-api-key": "k",
        "anthropic-version": "2023-06-01",
        ...headers,
      },
      body: JSON.stringify(body),
    });
  const user = (text: string) => ({ role: "user", content: text });
  const cases: [string, unknown, string][] = [
    ["missing max_tokens", { model: "m", messages: [user("x")] }, "max_tokens: Field required"],
    [
      "two user turns in a row",
      { model: "m", max_tokens: 10, messages: [user("a"), user("b")] },
      "roles must alternate",
    ],
    [
      "an assistant first",
      { model: "m", max_tokens: 10, messages: [{ role: "assistant", content: "hi" }, user("x")] },
      'first message must use the "user" role',
    ],
    [
      "a system role inside messages",
      { model: "m", max_tokens: 10, messages: [{ role: "system", content: "s" }, user("x")] },
      "Input should be 'user' or 'assistant'",
    ],
    [
      "a tool result without its tool use",
      {
        model: "m",
        max_tokens: 10,
        messages: [
          { role: "user", content: [{ type: "tool_result", tool_use_id: "toolu_x", content: "r" }] },
        ],
      },
      "unexpected `tool_use_id`",
    ],
    ["an unknown field", { model: "m", max_tokens: 10, messages: [user("x")], seed: 1 }, "Extra inputs"],
  ];
  for (const [name, body, message] of cases) {
    it(name, async () => {
      const res = await send(body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        type: "error",
        error: { type: "invalid_request_error", message: expect.stringContaining(message) },
      });
    });
  }
  it("a missing key is a 401 authentication_error", async () => {
    const res = await send({ model: "m", max_tokens: 10, messages: [user("x")] }, { "x-api-key": "" });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).error.type).toBe("authentication_error");
  });
});

describe("Claude on Vertex AI (rawPredict)", () => {
  const VERTEX = { provider: { only: ["google-vertex"], allow_fallbacks: false } };

  it("sends the Messages body to rawPredict with a bearer token, and answers like Anthropic", async () => {
    const completion = await sdk.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "Hi [[mock echo=true]]" }],
      ...untyped(VERTEX),
    });
    const seen = JSON.parse(completion.choices[0]?.message.content ?? "") as Echo;
    expect(seen.path).toBe(
      "/google-vertex/publishers/anthropic/models/claude-sonnet-4-5@20250929:rawPredict",
    );
    expect(seen.headers.authorization).toBe("Bearer test-key-google-vertex");
    expect(seen.body.model).toBe("claude-sonnet-4-5@20250929");
    expect((completion as unknown as { provider: string }).provider).toBe("Google Vertex");
  });

  it("streams through streamRawPredict", async () => {
    const stream = await sdk.chat.completions.create({
      model: MODEL,
      stream: true,
      messages: [{ role: "user", content: "Hi [[mock content=vertex%20claude]]" }],
      ...untyped(VERTEX),
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("vertex claude");
  });
});
