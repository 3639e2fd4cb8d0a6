import { describe, expect, it } from "vitest";
import type { ChatRequest } from "./schema/chat";
import { countTokens, estimatePromptTokens, splitTokens } from "./tokens";

describe("token counts", () => {
  it("countTokens counts words and punctuation marks", () => {
    expect(countTokens("Hello, world!")).toBe(4);
    expect(splitTokens("Hello, world")).toEqual(["Hello", ",", " world"]);
  });
  it("estimatePromptTokens works from lengths: text, tool calls, tools, images, framing", () => {
    const request = {
      messages: [
        { role: "user", content: "x".repeat(400) },
        {
          role: "user",
          content: [
            { type: "text", text: "y".repeat(40) },
            { type: "image_url", image_url: { url: "u" } },
          ],
        },
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: "c", type: "function", function: { name: "f", arguments: "{}" } }],
        },
      ],
    } as unknown as ChatRequest;
    // 3 + 3 × 4 framing + 100 + 10 + 85 (image) + 1 (tool call)
    expect(estimatePromptTokens(request)).toBe(211);
  });
});
