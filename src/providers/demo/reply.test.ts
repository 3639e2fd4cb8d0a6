import { describe, expect, it } from "vitest";
import { demoReply } from "./reply";

describe("demoReply", () => {
  it("quotes the last user message and counts real tokens", () => {
    const reply = demoReply({ messages: [{ role: "user", content: "Hello, world" }] });
    expect(reply.kind).toBe("text");
    if (reply.kind !== "text") return;
    expect(reply.pieces.join("")).toContain('You said: "Hello, world"');
    expect(reply.promptTokens).toBe(3 + 4 + 3);
    expect(reply.finishReason).toBe("stop");
  });
  it("honours stop sequences and max_tokens", () => {
    const stopped = demoReply({ messages: [{ role: "user", content: "x" }], stop: "You said" });
    expect(stopped.kind === "text" && stopped.pieces.join("")).toBe(
      "Hello from Junction's offline demo model.",
    );
    const cut = demoReply({ messages: [{ role: "user", content: "x" }], max_completion_tokens: 2 });
    expect(cut).toMatchObject({ kind: "text", pieces: ["Hello", " from"], finishReason: "length" });
  });
  it("calls the tool named in the prompt, never when tool_choice is none", () => {
    const tools = [
      {
        type: "function",
        function: {
          name: "search",
          parameters: {
            type: "object",
            required: ["q"],
            properties: { q: { type: "string", enum: ["a", "b"] } },
          },
        },
      },
    ];
    expect(demoReply({ messages: [{ role: "user", content: "please search" }], tools })).toMatchObject({
      kind: "tool_call",
      name: "search",
      arguments: '{"q":"a"}',
    });
    expect(
      demoReply({ messages: [{ role: "user", content: "please search" }], tools, tool_choice: "none" }).kind,
    ).toBe("text");
  });
});
