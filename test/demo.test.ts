import { describe, expect, it } from "vitest";
import { chat, chunksOf, readSse, user } from "./helpers";

describe("demo provider through the Worker", () => {
  it("answers a JSON request with a complete OpenRouter-shaped completion", async () => {
    const res = await chat({ model: "junction/demo", messages: user("Hello there") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("application/json");
    const id = res.headers.get("x-generation-id");
    expect(id).toMatch(/^gen-\d+-[0-9A-Za-z]{20}$/);
    expect(res.headers.get("server-timing")).toMatch(/junction;dur=[\d.]+, upstream;dur=[\d.]+/);
    const body = (await res.json()) as Record<string, any>;
    expect(body).toMatchObject({
      id,
      object: "chat.completion",
      model: "junction/demo",
      provider: "Junction Demo",
      system_fingerprint: null,
    });
    expect(Number.isInteger(body.created)).toBe(true);
    const [choice] = body.choices;
    expect(choice.message.role).toBe("assistant");
    expect(choice.message.content).toContain('You said: "Hello there"');
    expect(choice.finish_reason).toBe("stop");
    expect(choice.native_finish_reason).toBe("stop");
    expect(body.usage).toEqual({
      prompt_tokens: expect.any(Number),
      completion_tokens: expect.any(Number),
      total_tokens: body.usage.prompt_tokens + body.usage.completion_tokens,
      prompt_tokens_details: { cached_tokens: 0, cache_write_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
      cost: 0,
      is_byok: false,
      cost_details: {
        upstream_inference_cost: 0,
        upstream_inference_prompt_cost: 0,
        upstream_inference_completions_cost: 0,
      },
    });
    expect(body.usage.completion_tokens).toBeGreaterThan(10);
  });

  it("is deterministic", async () => {
    const a = (await (await chat({ model: "junction/demo", messages: user("same") })).json()) as any;
    const b = (await (await chat({ model: "junction/demo", messages: user("same") })).json()) as any;
    expect(a.choices[0].message.content).toBe(b.choices[0].message.content);
    expect(a.usage.completion_tokens).toBe(b.usage.completion_tokens);
    expect(a.id).not.toBe(b.id);
  });

  it("streams token chunks, one usage chunk and [DONE]; the streamed text equals the JSON answer", async () => {
    const json = (await (await chat({ model: "junction/demo", messages: user("stream me") })).json()) as any;
    const res = await chat({ model: "junction/demo", stream: true, messages: user("stream me") });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/event-stream");
    const events = await readSse(res);
    expect(events.at(-1)).toEqual({ data: "[DONE]" });
    const chunks = chunksOf(events) as any[];
    const id = res.headers.get("x-generation-id");
    for (const chunk of chunks) {
      expect(chunk).toMatchObject({
        id,
        object: "chat.completion.chunk",
        model: "junction/demo",
        provider: "Junction Demo",
      });
      expect(Number.isInteger(chunk.created)).toBe(true);
      for (const choice of chunk.choices) {
        expect(choice).toHaveProperty("index");
        expect(choice).toHaveProperty("delta");
        expect(choice).toHaveProperty("finish_reason");
      }
    }
    const usageChunks = chunks.filter((c) => c.usage);
    expect(usageChunks).toHaveLength(1);
    expect(usageChunks[0].choices).toEqual([]);
    expect(chunks.at(-1)).toBe(usageChunks[0]);
    const text = chunks.flatMap((c) => c.choices.map((ch: any) => ch.delta.content ?? "")).join("");
    expect(text).toBe(json.choices[0].message.content);
    expect(usageChunks[0].usage.completion_tokens).toBe(json.usage.completion_tokens);
    expect(chunks.filter((c) => c.choices.length > 0).length).toBeGreaterThan(10);
  });

  it("stops at max_tokens with finish_reason length", async () => {
    const res = await chat({ model: "junction/demo", max_tokens: 3, messages: user("hi") });
    const body = (await res.json()) as any;
    expect(body.choices[0].finish_reason).toBe("length");
    expect(body.usage.completion_tokens).toBe(3);
  });

  it("calls a tool when asked, with arguments matching the schema's required fields", async () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "get_weather",
          parameters: {
            type: "object",
            properties: { city: { type: "string" }, days: { type: "integer" } },
            required: ["city", "days"],
          },
        },
      },
    ];
    const res = await chat({
      model: "junction/demo",
      tools,
      tool_choice: "required",
      messages: user("weather?"),
    });
    const body = (await res.json()) as any;
    expect(body.choices[0].finish_reason).toBe("tool_calls");
    const call = body.choices[0].message.tool_calls[0];
    expect(call.function.name).toBe("get_weather");
    expect(JSON.parse(call.function.arguments)).toEqual({ city: "demo", days: 1 });

    const followUp = await chat({
      model: "junction/demo",
      tools,
      messages: [
        ...user("weather?"),
        { role: "assistant", content: null, tool_calls: [call] },
        { role: "tool", tool_call_id: call.id, content: "sunny, 21C" },
      ],
    });
    const answer = (await followUp.json()) as any;
    expect(answer.choices[0].message.content).toBe("The tool returned: sunny, 21C");
  });
});
