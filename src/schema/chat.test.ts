import { describe, expect, it } from "vitest";
import { formatPath, parseChatRequest } from "./chat";

describe("parseChatRequest", () => {
  it("accepts the whole OpenAI request surface plus OpenRouter extras", () => {
    const result = parseChatRequest({
      model: "openai/gpt-4o",
      models: ["a/b"],
      messages: [
        { role: "system", content: "be brief" },
        { role: "developer", content: [{ type: "text", text: "dev", cache_control: { type: "ephemeral" } }] },
        {
          role: "user",
          content: [
            { type: "text", text: "look" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "low" } },
            { type: "input_audio", input_audio: { data: "AAAA", format: "wav" } },
            { type: "file", file: { filename: "a.pdf", file_data: "data:application/pdf;base64,AAAA" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: "c1", content: "42" },
      ],
      tools: [{ type: "function", function: { name: "f", parameters: { type: "object" }, strict: true } }],
      tool_choice: { type: "function", function: { name: "f" } },
      response_format: {
        type: "json_schema",
        json_schema: { name: "x", schema: { type: "object" }, strict: true },
      },
      stop: ["\n"],
      logprobs: true,
      top_logprobs: 2,
      seed: 7,
      n: 1,
      stream: true,
      stream_options: { include_usage: true },
      provider: {
        order: ["openai"],
        sort: { by: "price", partition: "none" },
        max_price: { prompt: 1, completion: "2.5" },
        preferred_max_latency: { p90: 3 },
      },
      reasoning: { effort: "high" },
      usage: { include: true },
      transforms: ["middle-out"],
      plugins: [{ id: "web" }],
      route: "fallback",
      session_id: "s",
      user: "u",
    });
    expect(result.ok).toBe(true);
  });

  it("keeps unknown fields, at the top and inside messages", () => {
    const result = parseChatRequest({
      model: "m",
      messages: [{ role: "user", content: "x", custom: 1 }],
      brand_new_param: { a: 1 },
    });
    expect(result.ok && result.request).toMatchObject({
      brand_new_param: { a: 1 },
      messages: [{ custom: 1 }],
    });
  });

  it("names the JSON path of each problem", () => {
    const result = parseChatRequest({
      model: 1,
      messages: [{ role: "user", content: [{ type: "text" }] }],
      top_p: 3,
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["model", "messages[0].content[0].text", "top_p"]),
    );
  });

  it("reports the innermost problem inside a union, not the union", () => {
    const result = parseChatRequest({
      model: "m",
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "a" },
            { type: "image_url", image_url: {} },
          ],
        },
      ],
    });
    expect(!result.ok && result.issues[0]?.path).toBe("messages[0].content[1].image_url.url");
  });

  it("needs a model or a models list", () => {
    expect(parseChatRequest({ messages: [{ role: "user", content: "x" }] }).ok).toBe(false);
    expect(parseChatRequest({ models: ["a/b"], messages: [{ role: "user", content: "x" }] }).ok).toBe(true);
  });
});

describe("formatPath", () => {
  it("renders zod paths as JSON paths", () => {
    expect(formatPath(["messages", 0, "content", 1, "type"])).toBe("messages[0].content[1].type");
    expect(formatPath([])).toBe("(body)");
  });
});
