/**
 * The `demo` family: OpenAI wire format, answered inside the Worker by `demoReply`. It goes
 * through the same adapter, stream translator and accounting as a real upstream.
 */
import { openAIAdapter } from "../openai";
import type { ProviderAdapter, TransportContext } from "../types";
import { type DemoReply, demoReply } from "./reply";

function usageOf(reply: DemoReply, completionTokens: number) {
  return {
    prompt_tokens: reply.promptTokens,
    completion_tokens: completionTokens,
    total_tokens: reply.promptTokens + completionTokens,
    prompt_tokens_details: { cached_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0 },
  };
}

function completionJson(reply: DemoReply, model: string, created: number) {
  const message =
    reply.kind === "text"
      ? { role: "assistant", content: reply.pieces.join("") }
      : {
          role: "assistant",
          content: null,
          tool_calls: [
            { id: reply.id, type: "function", function: { name: reply.name, arguments: reply.arguments } },
          ],
        };
  const completionTokens =
    reply.kind === "text" ? reply.pieces.length : 1 + Math.ceil(reply.arguments.length / 4);
  return {
    id: `chatcmpl-demo-${created}`,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message,
        finish_reason: reply.kind === "text" ? reply.finishReason : "tool_calls",
        logprobs: null,
      },
    ],
    usage: usageOf(reply, completionTokens),
  };
}

/** The stream's data events, in order; the transport paces them. */
function streamEvents(reply: DemoReply, model: string, created: number): string[] {
  const base = { id: `chatcmpl-demo-${created}`, object: "chat.completion.chunk", created, model };
  const chunk = (delta: object, finish: string | null = null) =>
    JSON.stringify({ ...base, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] });
  const events = [chunk({ role: "assistant", content: "" })];
  let completionTokens: number;
  if (reply.kind === "text") {
    for (const piece of reply.pieces) events.push(chunk({ content: piece }));
    events.push(chunk({}, reply.finishReason));
    completionTokens = reply.pieces.length;
  } else {
    events.push(
      chunk({
        tool_calls: [
          { index: 0, id: reply.id, type: "function", function: { name: reply.name, arguments: "" } },
        ],
      }),
    );
    const fragments = reply.arguments.match(/.{1,8}/gs) ?? [];
    for (const fragment of fragments)
      events.push(chunk({ tool_calls: [{ index: 0, function: { arguments: fragment } }] }));
    events.push(chunk({}, "tool_calls"));
    completionTokens = 1 + fragments.length;
  }
  events.push(JSON.stringify({ ...base, choices: [], usage: usageOf(reply, completionTokens) }));
  events.push("[DONE]");
  return events;
}

async function demoTransport(request: Request, settings: TransportContext): Promise<Response> {
  const body = (await request.json()) as Parameters<typeof demoReply>[0] & {
    model?: string;
    stream?: boolean;
  };
  const reply = demoReply(body);
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? "demo";
  if (!body.stream) return Response.json(completionJson(reply, model, created));

  const events = streamEvents(reply, model, created);
  const encoder = new TextEncoder();
  let next = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next > 0 && settings.chunkDelayMs > 0)
        await new Promise((resolve) => setTimeout(resolve, settings.chunkDelayMs));
      controller.enqueue(encoder.encode(`data: ${events[next]}\n\n`));
      if (++next === events.length) controller.close();
    },
  });
  return new Response(stream, { headers: { "content-type": "text/event-stream" } });
}

export const demoAdapter: ProviderAdapter = { ...openAIAdapter, transport: demoTransport };
