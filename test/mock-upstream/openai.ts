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
      "content-type": req.headers["content-type"] ?? null,
    },
    path: url.pathname + url.search,
  });
}

/** Azure OpenAI annotates prompts and answers with its content filter's verdicts. */
const AZURE_FILTER = {
  hate: { filtered: false, severity: "safe" },
  self_harm: { filtered: false, severity: "safe" },
  sexual: { filtered: false, severity: "safe" },
  violence: { filtered: false, severity: "safe" },
};
const AZURE_PROMPT_FILTER = [{ prompt_index: 0, content_filter_results: AZURE_FILTER }];

export async function handleOpenAIChat(
  request: MockRequest,
  options: { azure?: boolean } = {},
): Promise<void> {
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
          ...(options.azure && { content_filter_results: AZURE_FILTER }),
        },
      ],
      ...(options.azure && { prompt_filter_results: AZURE_PROMPT_FILTER }),
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
  // Azure's first event carries only the prompt's filter results, with empty choices and ids.
  const preamble = options.azure
    ? [
        frame({
          choices: [],
          created: 0,
          id: "",
          model: "",
          object: "",
          prompt_filter_results: AZURE_PROMPT_FILTER,
        }),
      ]
    : [];
  const events = [...preamble, chunk({ role: "assistant", content: "" })];
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
  pieces = events.length - 1 - preamble.length;
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
    contentStart: 1 + preamble.length,
    errorEvent: frame({
      error: { message: "mock: upstream failed mid-stream", type: "server_error", code: 500 },
    }),
    malformedEvent: "data: {not json\n\n",
  });
}

function sendAzureError(
  request: MockRequest,
  status: number,
  error: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  const { res, behaviour } = request;
  const all: Record<string, string> = {
    "content-type": "application/json",
    "apim-request-id": "mock-apim",
    ...headers,
  };
  if (behaviour.retry_after !== undefined) all["retry-after"] = String(behaviour.retry_after);
  res.writeHead(status, all);
  const body = behaviour.error_body ?? { error };
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/**
 * Azure OpenAI: the resource key in `api-key` (or an Entra ID Bearer token), the API version in
 * the query, and Azure's own error codes and rate-limit headers.
 */
async function handleAzureChat(request: MockRequest): Promise<void> {
  const { req, url, behaviour: b } = request;
  if (!req.headers["api-key"] && !/^bearer \S+/i.test(req.headers.authorization ?? "")) {
    return sendAzureError(request, 401, {
      code: "401",
      message:
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key for an active subscription and use a correct regional API endpoint for your resource.",
    });
  }
  const version = url.searchParams.get("api-version");
  if (request.params[0] !== undefined && !/^\d{4}-\d{2}-\d{2}(-preview)?$/.test(version ?? "")) {
    return sendAzureError(request, 404, { code: "404", message: "Resource not found" });
  }
  if (b.content_filter) {
    return sendAzureError(request, 400, {
      message:
        "The response was filtered due to the prompt triggering Azure OpenAI's content management policy. Please modify your prompt and retry.",
      type: null,
      param: "prompt",
      code: "content_filter",
      status: 400,
      innererror: {
        code: "ResponsibleAIPolicyViolation",
        content_filter_result: { ...AZURE_FILTER, violence: { filtered: true, severity: "high" } },
      },
    });
  }
  if (b.status === 429) {
    const seconds = Number(b.retry_after ?? 6);
    return sendAzureError(
      request,
      429,
      {
        code: "429",
        message: `Requests to the ChatCompletions_Create Operation under Azure OpenAI API version ${version ?? "v1"} have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after ${seconds} seconds.`,
      },
      {
        "retry-after-ms": String(seconds * 1000),
        "x-ratelimit-remaining-requests": "0",
        "x-ratelimit-remaining-tokens": "0",
      },
    );
  }
  if (b.status && b.status >= 400) {
    return sendAzureError(request, b.status, {
      code: String(b.status),
      message: `mock Azure error ${b.status}`,
    });
  }
  return handleOpenAIChat(request, { azure: true });
}

export const openAIRoutes: MockRoute[] = [
  { method: "POST", path: /^\/v1\/chat\/completions$/, handle: (request) => handleOpenAIChat(request) },
  // Azure OpenAI: /openai/deployments/{deployment}/chat/completions?api-version=... and the v1 API.
  { method: "POST", path: /^\/openai\/deployments\/([^/]+)\/chat\/completions$/, handle: handleAzureChat },
  { method: "POST", path: /^\/openai\/v1\/chat\/completions$/, handle: handleAzureChat },
];
