/** The OpenAI family against the mock upstream: translation, usage, cost, and every fault. */
import { describe, expect, it } from "vitest";
import { TEST_UPSTREAM_KEY } from "./constants";
import { chat, chunksOf, readSse, user } from "./helpers";

const MODEL = "openai/gpt-4o-mini";
/** MODEL is also served by Azure; these tests are about the OpenAI endpoint alone. */
const OPENAI_ONLY = { provider: { only: ["openai"] } };

describe("OpenAI-compatible upstream", () => {
  it("forwards the request with the provider model id, the provider key, unknown fields kept and router fields removed", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("echo"),
      temperature: 0.3,
      some_future_param: { nested: [1, 2] },
      provider: { order: ["openai"] },
      models: [MODEL],
      transforms: [],
      session_id: "s-1",
      mock: { echo: true },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const seen = JSON.parse(body.choices[0].message.content);
    expect(seen.path).toBe("/openai/v1/chat/completions");
    expect(seen.headers.authorization).toBe(`Bearer ${TEST_UPSTREAM_KEY}`);
    expect(seen.body.model).toBe("gpt-4o-mini");
    expect(seen.body.temperature).toBe(0.3);
    expect(seen.body.some_future_param).toEqual({ nested: [1, 2] });
    for (const field of ["provider", "models", "transforms", "session_id"])
      expect(seen.body).not.toHaveProperty(field);
    expect(seen.body).not.toHaveProperty("stream_options");
    expect(body.provider).toBe("OpenAI");
    expect(body.model).toBe(MODEL);
    expect(body.system_fingerprint).toBe("fp_mock");
  });

  it("asks a streaming upstream for usage even when the client did not", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      stream: true,
      messages: user("echo"),
      mock: { echo: true },
    });
    const text = chunksOf(await readSse(res))
      .flatMap((c: any) => c.choices.map((ch: any) => ch.delta.content ?? ""))
      .join("");
    const seen = JSON.parse(text);
    expect(seen.body.stream_options).toEqual({ include_usage: true });
    expect(seen.headers.accept).toBe("text/event-stream");
  });

  it("prices usage from the catalog, cached tokens at the cache-read price", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("hi"),
      mock: {
        usage: { prompt_tokens: 1000, completion_tokens: 200, cached_tokens: 400, reasoning_tokens: 0 },
      },
    });
    const body = (await res.json()) as any;
    // 600 × 0.00000015 + 400 × 0.000000075 + 200 × 0.0000006
    expect(body.usage.cost).toBeCloseTo(0.00009 + 0.00003 + 0.00012, 12);
    expect(body.usage.cost_details.upstream_inference_prompt_cost).toBeCloseTo(0.00012, 12);
    expect(body.usage.cost_details.upstream_inference_completions_cost).toBeCloseTo(0.00012, 12);
    expect(body.usage.prompt_tokens_details.cached_tokens).toBe(400);
  });

  it("maps tool calls in JSON and streams (parallel calls keep their index)", async () => {
    const tool_calls = [
      { name: "a", arguments: '{"x":1,"y":"long value"}' },
      { name: "b", arguments: '{"z":true}' },
    ];
    const json = (await (
      await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("t"), mock: { tool_calls } })
    ).json()) as any;
    expect(json.choices[0].finish_reason).toBe("tool_calls");
    expect(json.choices[0].message.tool_calls.map((t: any) => t.function.name)).toEqual(["a", "b"]);

    const chunks = chunksOf(
      await readSse(
        await chat({ ...OPENAI_ONLY, model: MODEL, stream: true, messages: user("t"), mock: { tool_calls } }),
      ),
    ) as any[];
    const args: Record<number, string> = {};
    for (const c of chunks)
      for (const ch of c.choices)
        for (const t of ch.delta.tool_calls ?? [])
          args[t.index] = (args[t.index] ?? "") + (t.function?.arguments ?? "");
    expect(args).toEqual({ 0: tool_calls[0]?.arguments, 1: tool_calls[1]?.arguments });
    expect(chunks.some((c) => c.choices[0]?.finish_reason === "tool_calls")).toBe(true);
  });

  it("estimates usage when the upstream reports none, streamed or not", async () => {
    const json = (await (
      await chat({
        ...OPENAI_ONLY,
        model: MODEL,
        messages: user("hi"),
        mock: { no_usage: true, content: "one two three" },
      })
    ).json()) as any;
    expect(json.usage.completion_tokens).toBe(3);
    expect(json.usage.prompt_tokens).toBeGreaterThan(0);
    const chunks = chunksOf(
      await readSse(
        await chat({
          model: MODEL,
          stream: true,
          messages: user("hi"),
          mock: { no_usage: true, content: "one two three" },
        }),
      ),
    ) as any[];
    const usage = chunks.filter((c) => c.usage);
    expect(usage).toHaveLength(1);
    expect(usage[0].usage.completion_tokens).toBe(3);
  });
});

describe("upstream faults before the first byte", () => {
  it("500 → 502 with the provider name and the upstream's raw error", async () => {
    const res = await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("x"), mock: { status: 500 } });
    expect(res.status).toBe(502);
    const body = (await res.json()) as any;
    expect(body.error.code).toBe(502);
    expect(body.error.metadata.provider_name).toBe("OpenAI");
    expect(body.error.metadata.raw).toEqual({
      error: { message: "mock upstream error 500", type: "server_error", code: null },
    });
    expect(body.error.metadata.error_type).toBe("provider_unavailable");
    expect(body.error.metadata.previous_errors).toEqual([
      { provider: "openai", status: 500, code: "provider_unavailable" },
    ]);
  });

  it("503 and 529 → 503 provider_overloaded with Retry-After", async () => {
    for (const status of [503, 529]) {
      const res = await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("x"), mock: { status } });
      expect(res.status).toBe(503);
      expect(res.headers.get("retry-after")).toBeTruthy();
      expect(((await res.json()) as any).error.metadata.error_type).toBe("provider_overloaded");
    }
  });

  it("429 keeps the upstream's Retry-After", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("x"),
      mock: { status: 429, retry_after: "7" },
    });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
    expect(((await res.json()) as any).error.metadata.error_type).toBe("rate_limit_exceeded");
  });

  it("an upstream 400 that is the caller's fault is returned as 400, not retried", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("x"),
      mock: {
        status: 400,
        error_body: { error: { message: "Invalid value for 'temperature'", type: "invalid_request_error" } },
      },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as any;
    expect(body.error.message).toContain("Invalid value for 'temperature'");
    expect(body.error.metadata.provider_name).toBe("OpenAI");
  });

  it("never leaks the provider key echoed in an upstream error", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("x"),
      mock: {
        status: 401,
        error_body: { error: { message: `Incorrect API key provided: ${TEST_UPSTREAM_KEY}` } },
      },
    });
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(text).not.toContain(TEST_UPSTREAM_KEY);
    expect(text).toContain("[redacted]");
  });

  it("a slow upstream times out → 504", async () => {
    const res = await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("x"), mock: { delay_ms: 5000 } });
    expect(res.status).toBe(504);
    expect(((await res.json()) as any).error.metadata.error_type).toBe("timeout");
  });

  it("a malformed JSON answer → 502", async () => {
    const res = await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("x"), mock: { malformed: true } });
    expect(res.status).toBe(502);
  });

  it("a stream that stalls after its role chunk but before any token times out in the stream", async () => {
    // The first-token timeout (1.5 s) is longer than the keep-alive delay (0.4 s), so the client
    // was already committed to with keep-alives and learns of the timeout from an error chunk.
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      stream: true,
      messages: user("x"),
      mock: { stall_after_chunks: 0 },
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[0]).toEqual({ comment: "JUNCTION PROCESSING" });
    const chunks = chunksOf(events) as any[];
    expect(chunks).toHaveLength(1);
    expect(chunks[0].error).toMatchObject({
      code: 504,
      metadata: { error_type: "timeout", provider_name: "OpenAI" },
    });
  });

  it("sends keep-alive comments while waiting, then the answer", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      stream: true,
      messages: user("x"),
      mock: { delay_ms: 900 },
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[0]).toEqual({ comment: "JUNCTION PROCESSING" });
    expect(events.at(-1)).toEqual({ data: "[DONE]" });
  });

  it("a failure after keep-alives were sent is reported in the stream", async () => {
    const res = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      stream: true,
      messages: user("x"),
      mock: { delay_ms: 700, status: 500 },
    });
    expect(res.status).toBe(200);
    const events = await readSse(res);
    expect(events[0]).toEqual({ comment: "JUNCTION PROCESSING" });
    const last = JSON.parse(events.at(-1)?.data ?? "{}");
    expect(last.error.code).toBe(502);
    expect(last.choices[0].finish_reason).toBe("error");
  });
});

describe("upstream faults after the first byte end the stream with an error chunk", () => {
  const cases = {
    "a cut connection": { cut_after_chunks: 2 },
    "a stall": { stall_after_chunks: 2 },
    "an error event": { error_after_chunks: 2 },
    "a malformed event": { malformed: true },
    "a clean close without finish or [DONE]": { no_finish: true, no_done: true, no_usage: true },
  };
  for (const [name, mock] of Object.entries(cases)) {
    it(name, async () => {
      const res = await chat({
        ...OPENAI_ONLY,
        model: MODEL,
        stream: true,
        messages: user("x"),
        mock: { content: "one two three four five", ...mock },
      });
      expect(res.status).toBe(200);
      const events = await readSse(res);
      expect(events.some((e) => e.data === "[DONE]")).toBe(false);
      const chunks = chunksOf(events) as any[];
      const last = chunks.at(-1);
      expect(last.error).toMatchObject({ code: expect.any(Number), message: expect.any(String) });
      expect(last.error.metadata.provider_name).toBe("OpenAI");
      expect(last.choices[0].finish_reason).toBe("error");
      // Usage of what was delivered is still reported, just before the error.
      const usage = chunks.at(-2);
      expect(usage.choices).toEqual([]);
      expect(usage.usage.completion_tokens).toBeGreaterThanOrEqual(0);
    });
  }
});

describe("mock directives in message text (how tests steer non-OpenAI families)", () => {
  it("a general directive applies to every provider, a scoped one only to its provider", async () => {
    const general = await chat({ ...OPENAI_ONLY, model: MODEL, messages: user("hi [[mock status=503]]") });
    expect(general.status).toBe(503);
    const other = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("hi [[mock@anthropic status=503]]"),
    });
    expect(other.status).toBe(200);
    const scoped = await chat({
      ...OPENAI_ONLY,
      model: MODEL,
      messages: user("hi [[mock@openai content=Scoped%20reply]]"),
    });
    expect(((await scoped.json()) as any).choices[0].message.content).toBe("Scoped reply");
  });
});
