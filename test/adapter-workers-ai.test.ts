/**
 * Workers AI: the binding path (a fake `AI` binding, in unit tests and through the Worker) and the
 * REST path against the mock's OpenAI-compatible route; transcript tables for both formats.
 */
import { env } from "cloudflare:test";
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import type { Env } from "../src/env";
import type { CanonicalChunk } from "../src/providers/types";
import { bindingErrorResponse, bindingInputs, workersAITransport } from "../src/providers/workers-ai/binding";
import { mapWorkersAIError, mapWorkersAIResponse, toolCallId } from "../src/providers/workers-ai/response";
import { WorkersAIStreamTranslator } from "../src/providers/workers-ai/stream";
import { TEST_DEMO_KEY } from "./constants";
import { collect, endpointPricing, summary, workerWith } from "./fixtures/collect";
import bindingErrors from "./fixtures/workers-ai/binding-errors.json";
import inputs from "./fixtures/workers-ai/binding-inputs.json";
import errors from "./fixtures/workers-ai/errors.json";
import responses from "./fixtures/workers-ai/responses.json";
import streams from "./fixtures/workers-ai/streams.json";
import { BASE, chat, chunksOf, readSse } from "./helpers";

/** Transcripts write the binding's synthesized tool call ids as ID<index>: the ids are hashes. */
function withIds<T>(expected: T): T {
  const text = JSON.stringify(expected);
  return JSON.parse(
    text
      .replace(
        /"id":"ID(\d+)","type":"function","function":\{"name":"([^"]*)","arguments":"((?:[^"\\]|\\.)*)"\}/g,
        (_m, i, name, args) =>
          `"id":"${toolCallId(Number(i), name, JSON.parse(`"${args}"`))}","type":"function","function":{"name":"${name}","arguments":"${args}"}`,
      )
      .replace(
        /"id":"ID(\d+)","name":"([^"]*)","arguments":"((?:[^"\\]|\\.)*)"/g,
        (_m, i, name, args) =>
          `"id":"${toolCallId(Number(i), name, JSON.parse(`"${args}"`))}","name":"${name}","arguments":"${args}"`,
      ),
  );
}

describe("Workers AI binding inputs", () => {
  for (const entry of inputs) {
    it(entry.name, () => {
      expect(bindingInputs(entry.body)).toEqual({ model: entry.model, inputs: entry.inputs });
    });
  }
});

describe("Workers AI response transcripts", () => {
  for (const entry of responses) {
    it(entry.name, () => {
      expect(summary(mapWorkersAIResponse(entry.answer))).toEqual(withIds(entry.expected));
    });
  }
  it("synthesized tool call ids are stable and distinct", () => {
    const ids = [toolCallId(0, "f", "{}"), toolCallId(1, "f", "{}"), toolCallId(0, "g", "{}")];
    expect(new Set(ids).size).toBe(3);
    expect(toolCallId(0, "f", "{}")).toBe(ids[0]);
    expect(ids[0]).toMatch(/^call_[0-9a-f]{8}0$/);
  });
  it("an answer of neither format is malformed", () => {
    expect(() => mapWorkersAIResponse({ result: null })).toThrow(/neither choices nor response/);
  });
});

describe("Workers AI stream transcripts", () => {
  for (const entry of streams as {
    name: string;
    events: { data: string }[];
    expected: unknown;
    usage?: unknown;
  }[]) {
    it(entry.name, () => {
      const translator = new WorkersAIStreamTranslator();
      const chunks: CanonicalChunk[] = entry.events.flatMap((event) => translator.push(event));
      expect(collect(chunks)).toEqual(withIds(entry.expected));
      if (entry.usage) expect(translator.usage).toEqual(entry.usage);
      expect(translator.done).toBe(true);
      expect(translator.failure).toBeUndefined();
    });
  }
});

describe("Workers AI error transcripts", () => {
  for (const entry of errors as { name: string; status: number; body: unknown; expected: object }[]) {
    it(entry.name, () => {
      const failure = mapWorkersAIError(entry.status, JSON.stringify(entry.body), new Headers());
      expect(failure).toMatchObject(entry.expected);
      expect(failure.raw).toEqual(entry.body);
    });
  }
  for (const entry of bindingErrors) {
    it(`a binding error "${entry.message}" is answered like the REST API would`, async () => {
      const res = bindingErrorResponse(new Error(entry.message));
      expect(res.status).toBe(entry.status);
      expect(await res.json()).toMatchObject({
        success: false,
        errors: [{ code: entry.code, message: entry.message }],
      });
    });
  }
});

// --- the binding, faked --------------------------------------------------------------------------

interface Call {
  model: string;
  inputs: Record<string, unknown>;
  options: { signal?: AbortSignal };
}

/** A fake `AI` binding: answers like Workers AI (native JSON, or an SSE stream), and records calls. */
function fakeAi(answer: (call: Call) => unknown) {
  const calls: Call[] = [];
  const ai = {
    async run(model: string, inputs: Record<string, unknown>, options: { signal?: AbortSignal }) {
      const call = { model, inputs, options };
      calls.push(call);
      return answer(call);
    },
  };
  return { ai: ai as unknown as Ai, calls };
}

function sseStream(events: unknown[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const event of events)
        controller.enqueue(
          encoder.encode(`data: ${typeof event === "string" ? event : JSON.stringify(event)}\n\n`),
        );
      controller.close();
    },
  });
}

const MODEL_ID = "@cf/meta/llama-3.3-70b-instruct-fp8-fast";
const restRequest = (body: object) =>
  new Request("https://api.cloudflare.com/client/v4/accounts/x/ai/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer k" },
    body: JSON.stringify(body),
  });

describe("the binding transport", () => {
  const context = (ai: Ai | undefined) => ({
    env: { ...env, AI: ai } as Env,
    signal: new AbortController().signal,
    chunkDelayMs: 0,
  });

  it("runs the model on the binding with the translated inputs and the abort signal", async () => {
    const { ai, calls } = fakeAi(() => ({
      response: "hi",
      usage: { prompt_tokens: 1, completion_tokens: 1 },
    }));
    const ctx = context(ai);
    const res = await workersAITransport(
      restRequest({ model: MODEL_ID, messages: [{ role: "user", content: "x" }], max_completion_tokens: 5 }),
      ctx,
    );
    expect(await res.json()).toEqual({ response: "hi", usage: { prompt_tokens: 1, completion_tokens: 1 } });
    expect(calls).toEqual([
      {
        model: MODEL_ID,
        inputs: { messages: [{ role: "user", content: "x" }], max_tokens: 5 },
        options: { signal: ctx.signal },
      },
    ]);
  });

  it("passes a stream through as server-sent events", async () => {
    const { ai } = fakeAi(() => sseStream([{ response: "a" }, "[DONE]"]));
    const res = await workersAITransport(
      restRequest({ model: MODEL_ID, stream: true, messages: [] }),
      context(ai),
    );
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(await res.text()).toBe('data: {"response":"a"}\n\ndata: [DONE]\n\n');
  });

  it("turns a thrown binding error into Workers AI's HTTP error", async () => {
    const { ai } = fakeAi(() => {
      throw new Error("3040: Capacity temporarily exceeded, please try again.");
    });
    const res = await workersAITransport(restRequest({ model: MODEL_ID, messages: [] }), context(ai));
    expect(res.status).toBe(429);
  });
});

// --- through the Worker --------------------------------------------------------------------------

const MODEL = "meta-llama/llama-3.3-70b-instruct";
const only = { provider: { only: ["workers-ai"] } };

describe("Workers AI through the Worker, on the REST API (no binding)", () => {
  it("sends the OpenAI-compatible request with the Bearer key and the @cf model id", async () => {
    const res = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "Hi" }],
      mock: { echo: true },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const seen = JSON.parse(body.choices[0].message.content);
    expect(seen.path).toBe("/workers-ai/v1/chat/completions");
    expect(seen.headers.authorization).toBe("Bearer test-key-workers-ai");
    expect(seen.body.model).toBe(MODEL_ID);
    expect(body.provider).toBe("Cloudflare Workers AI");
  });

  it("streams with usage; rate limits keep Retry-After", async () => {
    const chunks = chunksOf(
      await readSse(
        await chat({ model: MODEL, ...only, stream: true, messages: [{ role: "user", content: "Hi" }] }),
      ),
    ) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe(
      "Hello from the mock upstream.",
    );
    expect(chunks.at(-1).usage.completion_tokens).toBeGreaterThan(0);
    const limited = await chat({
      model: MODEL,
      ...only,
      messages: [{ role: "user", content: "x" }],
      mock: { status: 429, retry_after: "9" },
    });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("retry-after")).toBe("9");
  });
});

describe("Workers AI through the Worker, on the AI binding", () => {
  const chatWith = (fetcher: ReturnType<typeof workerWith>, body: object) =>
    fetcher(`${BASE}/api/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_DEMO_KEY}`, "content-type": "application/json" },
      body: JSON.stringify({ model: MODEL, ...only, ...body }),
    });

  it("answers from the binding (no HTTP to the REST API), usage and cost included", async () => {
    const { ai, calls } = fakeAi(() => ({
      response: "From the edge.",
      usage: { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100 },
    }));
    const res = await chatWith(workerWith({ AI: ai }), {
      messages: [{ role: "user", content: "Hi" }],
      temperature: 0.1,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.choices[0].message.content).toBe("From the edge.");
    expect(body.usage).toMatchObject({ prompt_tokens: 1000, completion_tokens: 100 });
    const pricing = endpointPricing(MODEL, "workers-ai");
    expect(body.usage.cost).toBeCloseTo(1000 * Number(pricing.prompt) + 100 * Number(pricing.completion), 12);
    expect(calls[0]).toMatchObject({
      model: MODEL_ID,
      inputs: { messages: [{ role: "user", content: "Hi" }], temperature: 0.1 },
    });
  });

  it("is routed to with the binding alone, no WORKERS_AI_API_KEY", async () => {
    const { ai } = fakeAi(() => ({
      response: "Keyless.",
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    }));
    const res = await chatWith(workerWith({ AI: ai, WORKERS_AI_API_KEY: undefined } as Partial<Env>), {
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe("Keyless.");
    const without = await chatWith(workerWith({ WORKERS_AI_API_KEY: undefined } as Partial<Env>), {
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(without.status).toBe(404);
    const excluded = ((await without.json()) as any).error.metadata.excluded;
    expect(excluded).toContainEqual(
      expect.objectContaining({ provider: "workers-ai", reason: "no credentials configured" }),
    );
  });

  it("streams the binding's native events as OpenAI chunks", async () => {
    const { ai } = fakeAi(() =>
      sseStream([
        { response: "From" },
        { response: " the" },
        { response: " edge." },
        { response: "", usage: { prompt_tokens: 5, completion_tokens: 3 } },
        "[DONE]",
      ]),
    );
    const chunks = chunksOf(
      await readSse(
        await chatWith(workerWith({ AI: ai }), { stream: true, messages: [{ role: "user", content: "Hi" }] }),
      ),
    ) as any[];
    expect(chunks.map((c) => c.choices[0]?.delta?.content ?? "").join("")).toBe("From the edge.");
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe("stop");
    expect(chunks.at(-1).usage).toMatchObject({ prompt_tokens: 5, completion_tokens: 3 });
  });

  it("a binding capacity error is a 429 the router can fail over on", async () => {
    const { ai } = fakeAi(() => {
      throw new Error("3040: Capacity temporarily exceeded, please try again.");
    });
    const res = await chatWith(workerWith({ AI: ai }), { messages: [{ role: "user", content: "Hi" }] });
    expect(res.status).toBe(429);
    const body = (await res.json()) as any;
    expect(body.error.metadata).toMatchObject({
      error_type: "rate_limit_exceeded",
      provider_name: "Cloudflare Workers AI",
    });
  });

  it("the openai SDK: tool calls from the binding, then the result, JSON and streamed", async () => {
    const { ai, calls } = fakeAi((call) => {
      const last = (call.inputs.messages as { role: string }[]).at(-1);
      if (last?.role === "tool")
        return { response: "It is 3C in Oslo.", usage: { prompt_tokens: 30, completion_tokens: 8 } };
      if (call.inputs.stream) {
        return sseStream([
          {
            response: "",
            tool_calls: [
              {
                id: "chatcmpl-tool-9",
                type: "function",
                index: 0,
                function: { name: "get_weather", arguments: "" },
              },
            ],
          },
          { response: "", tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] },
          { response: "", tool_calls: [{ index: 0, function: { arguments: '"Oslo"}' } }] },
          { response: "", usage: { prompt_tokens: 20, completion_tokens: 9 } },
          "[DONE]",
        ]);
      }
      return {
        response: null,
        tool_calls: [{ name: "get_weather", arguments: { city: "Oslo" } }],
        usage: { prompt_tokens: 20, completion_tokens: 9 },
      };
    });
    const client = new OpenAI({
      baseURL: `${BASE}/v1`,
      apiKey: TEST_DEMO_KEY,
      fetch: workerWith({ AI: ai }),
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
    const first = (await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [{ role: "user", content: "Oslo?" }],
      ...only,
    } as never)) as OpenAI.Chat.ChatCompletion;
    const call = first.choices[0]?.message.tool_calls?.[0];
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function).toEqual({
      name: "get_weather",
      arguments: '{"city":"Oslo"}',
    });
    const streamed = await client.chat.completions
      .stream({ model: MODEL, tools, messages: [{ role: "user", content: "Oslo?" }], ...only } as never)
      .finalChatCompletion();
    const streamedCall = streamed.choices[0]?.message.tool_calls?.[0];
    expect(streamedCall?.id).toBe("chatcmpl-tool-9");
    expect(streamed.choices[0]?.finish_reason).toBe("tool_calls");
    const answer = (await client.chat.completions.create({
      model: MODEL,
      tools,
      messages: [
        { role: "user", content: "Oslo?" },
        first.choices[0]?.message as OpenAI.Chat.ChatCompletionMessageParam,
        { role: "tool", tool_call_id: call?.id ?? "", content: "3C" },
      ],
      ...only,
    } as never)) as OpenAI.Chat.ChatCompletion;
    expect(answer.choices[0]?.message.content).toBe("It is 3C in Oslo.");
    const sent = (calls.at(-1) as Call).inputs.messages as { tool_call_id?: string }[];
    expect(sent.at(-1)?.tool_call_id).toBe(call?.id);
  });
});
