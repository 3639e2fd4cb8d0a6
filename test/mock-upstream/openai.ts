/** OpenAI chat completions (also Azure deployments and every OpenAI-compatible host). */
import { DEFAULT_CONTENT, tokensOf } from "./behaviour";
import { type MockRequest, type MockRoute, playStream, sendError } from "./server";

interface ChatBody {
  model?: string;
  stream?: boolean;
}

export function openAIUsage(request: MockRequest, completionTokens: number) {
  const b = request.behaviour;
  const u = b.usage ?? { prompt_tokens: 12, completion_tokens: completionTokens };
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
  };
}

/** The reply text: the configured content, or the received request when echoing. */
export function replyText(request: MockRequest): string {
  const { behaviour: b, body, req, url } = request;
  if (!b.echo) return b.content ?? DEFAULT_CONTENT;
  return JSON.stringify({
    body,
    headers: {
      authorization: req.headers.authorization ?? null,
      accept: req.headers.accept ?? null,
      "api-key": req.headers["api-key"] ?? null,
      "x-api-key": req.headers["x-api-key"] ?? null,
      "anthropic-version": req.headers["anthropic-version"] ?? null,
      "x-goog-api-key": req.headers["x-goog-api-key"] ?? null,
    },
    path: url.pathname + url.search,
  });
}

export async function handleOpenAIChat(request: MockRequest): Promise<void> {
  const { res, behaviour: b, provider } = request;
  const body = (request.body ?? {}) as ChatBody;
  if (b.status && b.status >= 400) {
    return sendError(request, {
      error: { message: `mock upstream error ${b.status}`, type: "server_error", code: null },
    });
  }
  const content = replyText(request);
  const created = 1_700_000_000;
  const id = `chatcmpl-mock-${provider}`;
  const model = body.model ?? "mock";

  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    if (b.malformed) return void res.end('{"id": "broken", "choices": [');
    const message = b.tool_calls
      ? {
          role: "assistant",
          content: null,
          tool_calls: b.tool_calls.map((t, i) => ({ id: `call_${i}`, type: "function", function: t })),
        }
      : { role: "assistant", content, ...(b.reasoning ? { reasoning: b.reasoning } : {}) };
    const answer: Record<string, unknown> = {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: "fp_mock",
      choices: [
        {
          index: 0,
          message,
          finish_reason: b.finish_reason ?? (b.tool_calls ? "tool_calls" : "stop"),
          logprobs: null,
        },
      ],
    };
    if (!b.no_usage) answer.usage = openAIUsage(request, tokensOf(content).length);
    return void res.end(JSON.stringify(answer));
  }

  const frame = (payload: unknown) =>
    `data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`;
  const chunk = (delta: unknown, finish: string | null = null) =>
    frame({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      system_fingerprint: "fp_mock",
      choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
    });
  const events = [chunk({ role: "assistant", content: "" })];
  let pieces = 0;
  if (b.tool_calls) {
    b.tool_calls.forEach((t, i) => {
      events.push(
        chunk({
          tool_calls: [
            { index: i, id: `call_${i}`, type: "function", function: { name: t.name, arguments: "" } },
          ],
        }),
      );
      for (const fragment of t.arguments.match(/.{1,6}/gs) ?? []) {
        events.push(chunk({ tool_calls: [{ index: i, function: { arguments: fragment } }] }));
      }
    });
  } else {
    for (const token of tokensOf(b.reasoning ?? "")) events.push(chunk({ reasoning: token }));
    for (const token of tokensOf(content)) events.push(chunk({ content: token }));
  }
  pieces = events.length - 1;
  if (!b.no_finish) events.push(chunk({}, b.finish_reason ?? (b.tool_calls ? "tool_calls" : "stop")));
  if (!b.no_usage)
    events.push(
      frame({
        id,
        object: "chat.completion.chunk",
        created,
        model,
        choices: [],
        usage: openAIUsage(request, pieces),
      }),
    );
  if (!b.no_done) events.push(frame("[DONE]"));
  await playStream(request, "text/event-stream", events, {
    contentStart: 1,
    errorEvent: frame({
      error: { message: "mock: upstream failed mid-stream", type: "server_error", code: 500 },
    }),
    malformedEvent: "data: {not json\n\n",
  });
}

export const openAIRoutes: MockRoute[] = [
  { method: "POST", path: /^\/v1\/chat\/completions$/, handle: handleOpenAIChat },
  // Azure OpenAI: /openai/deployments/{deployment}/chat/completions?api-version=...
  { method: "POST", path: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, handle: handleOpenAIChat },
];
