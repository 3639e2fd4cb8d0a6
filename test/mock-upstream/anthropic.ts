/**
 * Anthropic Messages API (`POST /v1/messages`), JSON and SSE, written from Anthropic's public API
 * reference. Requests are validated the way the real API does (the checks Junction's translation
 * must satisfy), answering with Anthropic's error shape.
 */
import { tokensOf } from "./behaviour";
import { replyText } from "./openai";
import { type MockRequest, type MockRoute, playStream, sendError } from "./server";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  402: "billing_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  504: "timeout_error",
  529: "overloaded_error",
};

export const anthropicError = (status: number, message: string) => ({
  type: "error",
  error: { type: ERROR_TYPES[status] ?? "api_error", message },
  request_id: "req_mock",
});

const TOP_LEVEL = new Set([
  "model",
  "messages",
  "max_tokens",
  "system",
  "metadata",
  "stop_sequences",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "tools",
  "tool_choice",
  "thinking",
  "output_config",
  "output_format",
  "service_tier",
  "container",
  "context_management",
  "mcp_servers",
  "mock",
]);

/** The first problem the real API would report, or undefined. */
function validate(
  body: unknown,
  headers: MockRequest["req"]["headers"],
): { status: number; message: string } | undefined {
  if (!headers["x-api-key"]) return { status: 401, message: "x-api-key header is required" };
  if (!headers["anthropic-version"]) return { status: 400, message: "anthropic-version: header is required" };
  if (!isObject(body)) return { status: 400, message: "body: Input should be an object" };
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key)) return { status: 400, message: `${key}: Extra inputs are not permitted` };
  }
  if (typeof body.model !== "string") return { status: 400, message: "model: Field required" };
  if (body.max_tokens === undefined) return { status: 400, message: "max_tokens: Field required" };
  if (!Number.isInteger(body.max_tokens) || (body.max_tokens as number) < 1) {
    return { status: 400, message: "max_tokens: Input should be a valid integer greater than 0" };
  }
  if (typeof body.temperature === "number" && (body.temperature < 0 || body.temperature > 1)) {
    return { status: 400, message: "temperature: Input should be less than or equal to 1" };
  }
  if (body.system !== undefined && typeof body.system !== "string") {
    if (!Array.isArray(body.system) || body.system.some((b) => !isObject(b) || b.type !== "text")) {
      return { status: 400, message: "system: Input should be a valid string or a list of text blocks" };
    }
  }
  const thinking = body.thinking;
  if (isObject(thinking) && thinking.type === "enabled") {
    const budget = thinking.budget_tokens;
    if (typeof budget !== "number" || budget < 1024) {
      return {
        status: 400,
        message: "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024",
      };
    }
    if (budget >= (body.max_tokens as number)) {
      return { status: 400, message: "`max_tokens` must be greater than `thinking.budget_tokens`" };
    }
    if (body.temperature !== undefined && body.temperature !== 1) {
      return { status: 400, message: "`temperature` may only be set to 1 when thinking is enabled" };
    }
    const choice = body.tool_choice;
    if (isObject(choice) && (choice.type === "any" || choice.type === "tool")) {
      return { status: 400, message: "Thinking may not be enabled when tool_choice forces tool use." };
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return { status: 400, message: "tools: Input should be a valid list" };
    for (const [i, tool] of body.tools.entries()) {
      if (!isObject(tool) || typeof tool.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(tool.name)) {
        return {
          status: 400,
          message: `tools.${i}.name: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'`,
        };
      }
      if (!isObject(tool.input_schema) || tool.input_schema.type !== "object") {
        return { status: 400, message: `tools.${i}.input_schema.type: Input should be 'object'` };
      }
    }
  }
  return validateMessages(body.messages);
}

function validateMessages(messages: unknown): { status: number; message: string } | undefined {
  if (!Array.isArray(messages) || messages.length === 0) {
    return { status: 400, message: "messages: at least one message is required" };
  }
  let previousToolUses: string[] = [];
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || (message.role !== "user" && message.role !== "assistant")) {
      return { status: 400, message: `messages.${i}.role: Input should be 'user' or 'assistant'` };
    }
    if (i === 0 && message.role !== "user") {
      return { status: 400, message: 'messages: first message must use the "user" role' };
    }
    const before = messages[i - 1] as Json | undefined;
    if (before && before.role === message.role) {
      return {
        status: 400,
        message: `messages: roles must alternate between "user" and "assistant", but found multiple "${message.role}" roles in a row`,
      };
    }
    const blocks =
      typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
    if (!Array.isArray(blocks) || blocks.length === 0) {
      return { status: 400, message: `messages.${i}: all messages must have non-empty content` };
    }
    const toolResults: string[] = [];
    let seenOther = false;
    for (const [j, block] of blocks.entries()) {
      if (!isObject(block))
        return { status: 400, message: `messages.${i}.content.${j}: Input should be an object` };
      if (block.type === "text" && (typeof block.text !== "string" || block.text === "")) {
        return { status: 400, message: "messages: text content blocks must be non-empty" };
      }
      if (block.type === "tool_result") {
        if (message.role !== "user" || seenOther) {
          return {
            status: 400,
            message: `messages.${i}.content.${j}: tool_result blocks must come first in a user message`,
          };
        }
        toolResults.push(String(block.tool_use_id));
      } else seenOther = true;
      if (block.type === "tool_use" && message.role !== "assistant") {
        return {
          status: 400,
          message: `messages.${i}.content.${j}: tool_use blocks are only allowed in assistant messages`,
        };
      }
    }
    const unexpected = toolResults.filter((id) => !previousToolUses.includes(id));
    if (unexpected.length > 0) {
      return {
        status: 400,
        message: `messages.${i}.content.0: unexpected \`tool_use_id\` found in \`tool_result\` blocks: ${unexpected.join(", ")}. Each \`tool_result\` block must have a corresponding \`tool_use\` block in the previous message.`,
      };
    }
    const missing = previousToolUses.filter((id) => !toolResults.includes(id));
    if (missing.length > 0) {
      return {
        status: 400,
        message: `messages.${i - 1}: \`tool_use\` ids were found without \`tool_result\` blocks immediately after: ${missing.join(", ")}`,
      };
    }
    previousToolUses = blocks.filter((b: Json) => b.type === "tool_use").map((b: Json) => String(b.id));
  }
  return undefined;
}

interface Reply {
  blocks: Json[];
  stopReason: string;
  usage: Json;
}

/** The text of the first tool result in the last user turn: a conversation that answered a call. */
function lastToolResult(body: Json): string | undefined {
  const last = Array.isArray(body.messages) ? (body.messages.at(-1) as Json | undefined) : undefined;
  if (!last || !Array.isArray(last.content)) return undefined;
  const result = (last.content as Json[]).find((block) => block.type === "tool_result");
  if (!result) return undefined;
  if (typeof result.content === "string") return result.content;
  return Array.isArray(result.content) ? (result.content as Json[]).map((b) => b.text ?? "").join("") : "";
}

function reply(request: MockRequest): Reply {
  const b = request.behaviour;
  const body = request.body as Json;
  const blocks: Json[] = [];
  if (b.reasoning) blocks.push({ type: "thinking", thinking: b.reasoning, signature: "mock-signature" });
  const choice = isObject(body.tool_choice) ? body.tool_choice : undefined;
  // After the tool results come back the model answers, so a tool loop ends.
  const toolResult = lastToolResult(body);
  if (b.echo) {
    blocks.push({ type: "text", text: replyText(request) });
  } else if (toolResult !== undefined) {
    blocks.push({ type: "text", text: b.content ?? `The tool returned: ${toolResult}` });
  } else if (b.tool_calls) {
    b.tool_calls.forEach((call, i) => {
      blocks.push({
        type: "tool_use",
        id: `toolu_mock_${i}`,
        name: call.name,
        input: JSON.parse(call.arguments || "{}"),
      });
    });
  } else if (choice?.type === "tool") {
    // A forced tool: the model answers through it with the configured content as its input.
    let input: unknown = {};
    try {
      input = JSON.parse(replyText(request));
    } catch {
      input = { text: replyText(request) };
    }
    blocks.push({ type: "tool_use", id: "toolu_mock_forced", name: choice.name, input });
  } else {
    blocks.push({ type: "text", text: replyText(request) });
  }
  const text = blocks.map((block) =>
    block.type === "text" ? block.text : JSON.stringify(block.input ?? block.thinking),
  );
  const u = b.usage ?? { prompt_tokens: 12, completion_tokens: tokensOf(text.join(" ")).length };
  const cached = u.cached_tokens ?? 0;
  const written = u.cache_write_tokens ?? 0;
  return {
    blocks,
    stopReason:
      b.finish_reason ?? (blocks.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn"),
    usage: {
      input_tokens: u.prompt_tokens - cached - written,
      cache_creation_input_tokens: written,
      cache_read_input_tokens: cached,
      output_tokens: u.completion_tokens,
    },
  };
}

const frame = (payload: Json) => `event: ${String(payload.type)}\ndata: ${JSON.stringify(payload)}\n\n`;

function streamEvents(request: MockRequest, answer: Reply, model: string): string[] {
  const b = request.behaviour;
  const usage = answer.usage;
  const events = [
    frame({
      type: "message_start",
      message: {
        id: "msg_mock",
        type: "message",
        role: "assistant",
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: b.no_usage ? undefined : { ...usage, output_tokens: 1 },
      },
    }),
    frame({ type: "ping" }),
  ];
  answer.blocks.forEach((block, index) => {
    if (block.type === "thinking") {
      events.push(
        frame({ type: "content_block_start", index, content_block: { type: "thinking", thinking: "" } }),
      );
      for (const token of tokensOf(String(block.thinking))) {
        events.push(
          frame({ type: "content_block_delta", index, delta: { type: "thinking_delta", thinking: token } }),
        );
      }
      events.push(
        frame({
          type: "content_block_delta",
          index,
          delta: { type: "signature_delta", signature: block.signature },
        }),
      );
    } else if (block.type === "text") {
      events.push(frame({ type: "content_block_start", index, content_block: { type: "text", text: "" } }));
      for (const token of tokensOf(String(block.text))) {
        events.push(
          frame({ type: "content_block_delta", index, delta: { type: "text_delta", text: token } }),
        );
      }
    } else {
      events.push(frame({ type: "content_block_start", index, content_block: { ...block, input: {} } }));
      for (const fragment of JSON.stringify(block.input).match(/.{1,6}/gs) ?? []) {
        events.push(
          frame({
            type: "content_block_delta",
            index,
            delta: { type: "input_json_delta", partial_json: fragment },
          }),
        );
      }
    }
    events.push(frame({ type: "content_block_stop", index }));
  });
  if (!b.no_finish) {
    events.push(
      frame({
        type: "message_delta",
        delta: { stop_reason: answer.stopReason, stop_sequence: null },
        usage: b.no_usage ? undefined : { output_tokens: usage.output_tokens },
      }),
    );
  }
  if (!b.no_done) events.push(frame({ type: "message_stop" }));
  return events;
}

async function handleMessages(request: MockRequest): Promise<void> {
  const { res, behaviour: b } = request;
  if (b.status && b.status >= 400)
    return sendError(request, anthropicError(b.status, `mock upstream error ${b.status}`));
  const invalid = validate(request.body, request.req.headers);
  if (invalid) {
    res.writeHead(invalid.status, { "content-type": "application/json" });
    return void res.end(JSON.stringify(anthropicError(invalid.status, invalid.message)));
  }
  const body = request.body as Json;
  const model = String(body.model);
  const answer = reply(request);
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    if (b.malformed) return void res.end('{"id": "msg_broken", "content": [');
    return void res.end(
      JSON.stringify({
        id: "msg_mock",
        type: "message",
        role: "assistant",
        model,
        content: answer.blocks,
        stop_reason: answer.stopReason,
        stop_sequence: null,
        ...(b.no_usage ? {} : { usage: answer.usage }),
      }),
    );
  }
  await playStream(request, "text/event-stream", streamEvents(request, answer, model), {
    contentStart: 2,
    errorEvent: frame(anthropicError(529, "Overloaded")),
    malformedEvent: "event: content_block_delta\ndata: {not json\n\n",
  });
}

/**
 * Claude on Vertex AI: `…/publishers/anthropic/models/{model}:rawPredict` (or `streamRawPredict`)
 * with a bearer token and `anthropic_version` in the body instead of headers and `model`.
 */
async function handleVertexRawPredict(request: MockRequest): Promise<void> {
  const [model, method] = request.params;
  const body = (isObject(request.body) ? request.body : {}) as Json;
  const problem = !request.req.headers.authorization?.startsWith("Bearer ")
    ? { status: 401, message: "Request had invalid authentication credentials" }
    : body.anthropic_version !== "vertex-2023-10-16"
      ? { status: 400, message: "anthropic_version: must be vertex-2023-10-16" }
      : body.model !== undefined
        ? { status: 400, message: "model: Extra inputs are not permitted" }
        : undefined;
  if (problem && !(request.behaviour.status && request.behaviour.status >= 400)) {
    request.res.writeHead(problem.status, { "content-type": "application/json" });
    return void request.res.end(JSON.stringify(anthropicError(problem.status, problem.message)));
  }
  const { anthropic_version: _version, ...rest } = body;
  // From here on it is the Messages API: satisfy its header checks.
  request.req.headers["x-api-key"] = "vertex-bearer";
  request.req.headers["anthropic-version"] = "2023-06-01";
  await handleMessages({ ...request, body: { ...rest, model, stream: method === "streamRawPredict" } });
}

export const anthropicRoutes: MockRoute[] = [
  { method: "POST", path: /^\/v1\/messages$/, handle: handleMessages },
  {
    method: "POST",
    path: /^\/(?:.*\/)?publishers\/anthropic\/models\/([^/:]+):(rawPredict|streamRawPredict)$/,
    handle: handleVertexRawPredict,
  },
];
