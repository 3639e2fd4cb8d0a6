import { describe, expect, it } from "vitest";
import type { ResolvedEndpoint } from "../../catalog/types";
import type { ChatRequest } from "../../schema/chat";
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import { buildOpenAIBody, buildOpenAIRequest } from "./request";
import { mapOpenAIResponse } from "./response";
import { OpenAIStreamTranslator } from "./stream";

const resolved = {
  provider: { slug: "acme", name: "Acme", api: "openai", base_url: "https://acme.example/v1/" },
  endpoint: { provider_model_id: "acme-large" },
  model: { id: "acme/large" },
} as unknown as ResolvedEndpoint;

const request = (extra: Record<string, unknown> = {}) =>
  ({ model: "acme/large", messages: [{ role: "user", content: "hi" }], ...extra }) as ChatRequest;

describe("buildOpenAIRequest", () => {
  it("targets <base>/chat/completions with the provider key and model id", async () => {
    const req = buildOpenAIRequest(request(), { resolved, baseUrl: "https://acme.example/v1/", apiKey: "k" });
    expect(req.url).toBe("https://acme.example/v1/chat/completions");
    expect(req.headers.get("authorization")).toBe("Bearer k");
    expect(((await req.json()) as any).model).toBe("acme-large");
  });
  it("sends no authorization header when the provider needs no key", () => {
    const req = buildOpenAIRequest(request(), {
      resolved,
      baseUrl: "http://localhost:11434/v1",
      apiKey: undefined,
    });
    expect(req.headers.has("authorization")).toBe(false);
  });
  it("drops router-only fields, keeps the rest, maps reasoning.effort", () => {
    const body = buildOpenAIBody(
      request({
        provider: {},
        models: [],
        route: "fallback",
        plugins: [],
        usage: {},
        session_id: "s",
        reasoning: { effort: "low" },
        x_new: 1,
        stream_options: { include_usage: false },
      }),
      "id",
    );
    expect(body).toEqual({
      model: "id",
      messages: [{ role: "user", content: "hi" }],
      x_new: 1,
      reasoning_effort: "low",
    });
  });
  it("always asks streams for usage, keeping other stream options", () => {
    const body = buildOpenAIBody(
      request({ stream: true, stream_options: { include_obfuscation: false } }),
      "id",
    );
    expect(body.stream_options).toEqual({ include_obfuscation: false, include_usage: true });
  });
});

describe("mapOpenAIResponse", () => {
  it("normalises finish reasons, keeps the native one, and maps usage details", () => {
    const out = mapOpenAIResponse({
      choices: [
        { index: 0, message: { role: "assistant", content: "x", refusal: null }, finish_reason: "eos" },
      ],
      usage: {
        prompt_tokens: 10,
        completion_tokens: 5,
        prompt_tokens_details: { cached_tokens: 4 },
        completion_tokens_details: { reasoning_tokens: 2 },
      },
    });
    expect(out.choices[0]).toMatchObject({
      finish_reason: "stop",
      native_finish_reason: "eos",
      message: { content: "x", refusal: null },
    });
    expect(out.usage).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      cached_tokens: 4,
      cache_write_tokens: 0,
      reasoning_tokens: 2,
    });
    expect(out.system_fingerprint).toBeNull();
  });
  it("joins content parts into a string", () => {
    const out = mapOpenAIResponse({
      choices: [
        {
          message: {
            content: [
              { type: "text", text: "a" },
              { type: "text", text: "b" },
            ],
          },
        },
      ],
    });
    expect(out.choices[0]?.message.content).toBe("ab");
  });
  it("rejects bodies that are not completions", () => {
    expect(() => mapOpenAIResponse({ nope: 1 })).toThrow(/choices/);
    expect(() => mapOpenAIResponse({ choices: [1] })).toThrow(/message/);
  });
});

describe("OpenAIStreamTranslator", () => {
  it("passes deltas through, normalises finish reasons, captures usage, stops at [DONE]", () => {
    const t = new OpenAIStreamTranslator();
    expect(
      t.push({
        data: JSON.stringify({ choices: [{ index: 0, delta: { content: "a" }, finish_reason: null }] }),
      }),
    ).toEqual([
      {
        choices: [
          {
            index: 0,
            delta: { content: "a" },
            finish_reason: null,
            native_finish_reason: null,
            logprobs: null,
          },
        ],
      },
    ]);
    const [end] = t.push({
      data: JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: "max_tokens" }] }),
    });
    expect(end?.choices[0]).toMatchObject({ finish_reason: "length", native_finish_reason: "max_tokens" });
    expect(
      t.push({ data: JSON.stringify({ choices: [], usage: { prompt_tokens: 3, completion_tokens: 2 } }) }),
    ).toEqual([]);
    expect(t.usage).toMatchObject({ prompt_tokens: 3, completion_tokens: 2 });
    expect(t.done).toBe(false);
    t.push({ data: "[DONE]" });
    expect(t.done).toBe(true);
  });
  it("turns an error event into a failure", () => {
    const t = new OpenAIStreamTranslator();
    t.push({ data: JSON.stringify({ error: { message: "overloaded", code: 529 } }) });
    expect(t.failure).toMatchObject({ status: 503, errorType: "provider_overloaded", message: "overloaded" });
    expect(t.done).toBe(true);
  });
  it("throws on an event that is not JSON", () => {
    expect(() => new OpenAIStreamTranslator().push({ data: "{oops" })).toThrow(/not JSON/);
  });
});

describe("upstream failure classification", () => {
  const h = (retryAfter?: string) => new Headers(retryAfter ? { "retry-after": retryAfter } : {});
  const table: [number, string, string, number, boolean][] = [
    [400, "bad temperature", "invalid_request", 400, false],
    [400, "This model's maximum context length is 8192 tokens", "context_length_exceeded", 400, true],
    [401, "bad key", "unmapped", 502, true],
    [408, "timeout", "timeout", 504, true],
    [413, "too big", "payload_too_large", 413, false],
    [422, "unprocessable", "unprocessable", 422, false],
    [429, "slow down", "rate_limit_exceeded", 429, true],
    [500, "boom", "provider_unavailable", 502, true],
    [503, "busy", "provider_overloaded", 503, true],
    [529, "overloaded", "provider_overloaded", 503, true],
    [504, "gateway", "timeout", 504, true],
  ];
  for (const [status, message, type, answer, retryable] of table) {
    it(`${status} ${message}`, () => {
      expect(classifyUpstreamFailure(status, message, null, h())).toMatchObject({
        errorType: type,
        status: answer,
        retryable,
      });
    });
  }
  it("reads Retry-After in seconds and as a date", () => {
    expect(classifyUpstreamFailure(429, "", null, h("12")).retryAfterSeconds).toBe(12);
    const inTenSeconds = new Date(Date.now() + 10_000).toUTCString();
    expect(classifyUpstreamFailure(429, "", null, h(inTenSeconds)).retryAfterSeconds).toBeGreaterThanOrEqual(
      9,
    );
  });
  it("finish reasons from every family map to OpenAI's set", () => {
    expect(
      ["end_turn", "tool_use", "max_tokens", "SAFETY", "weird", null].map(normalizeFinishReason),
    ).toEqual(["stop", "tool_calls", "length", "content_filter", "stop", null]);
  });
});
