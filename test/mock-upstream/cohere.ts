/**
 * Cohere Chat API v2 (`POST /v2/chat`), JSON and server-sent events, written from Cohere's API
 * reference. Requests are validated the way Cohere does, answering with its `{"id", "message"}`
 * error shape.
 */
import { tokensOf } from "./behaviour";
import { replyText } from "./openai";
import { type MockRequest, type MockRoute, playStream } from "./server";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const MESSAGES: Record<number, string> = {
  400: "invalid request: the request is not well formed",
  401: "invalid api token",
  404: "model not found, make sure the correct model ID was used and that you have access to the model.",
  429: "You are past the per minute request limit, please wait and try again later.",
  498: "blocked input: please adjust your prompt and try again, as it may be a potential violation of our Usage Policy at https://docs.cohere.com/docs/usage-policy",
  500: "internal server error, this has been reported to our developers. id 8d2e1f4a-mock",
  503: "service unavailable, please try again later",
};

function sendCohereError(request: MockRequest, status: number, message: string): void {
  const { res, behaviour } = request;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (behaviour.retry_after !== undefined) headers["retry-after"] = String(behaviour.retry_after);
  res.writeHead(status, headers);
  const body = behaviour.error_body ?? { id: "5a1c0b8e-mock", message };
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

const ROLES = new Set(["system", "user", "assistant", "tool"]);

/** The first problem Cohere would report, or undefined. */
function validate(body: unknown): string | undefined {
  if (!isObject(body)) return "invalid request: body must be a JSON object";
  if (typeof body.model !== "string" || body.model === "") return "invalid request: model must be a string";
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0) return "invalid request: messages must not be empty";
  const calls = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || !ROLES.has(String(message.role))) {
      return `invalid request: messages[${i}].role must be one of system, user, assistant, tool`;
    }
    const content = message.content;
    if (message.role === "user" || message.role === "system") {
      if (typeof content !== "string" && !Array.isArray(content))
        return `invalid request: messages[${i}].content is required`;
      if (Array.isArray(content)) {
        for (const part of content) {
          if (!isObject(part) || (part.type !== "text" && part.type !== "image_url")) {
            return `invalid request: messages[${i}].content has an invalid content type`;
          }
          if (part.type === "image_url" && message.role === "system")
            return "invalid request: system messages may only contain text";
        }
      }
    }
    if (message.role === "assistant") {
      if (content === undefined && message.tool_calls === undefined) {
        return `invalid request: messages[${i}] assistant message must have content or tool_calls`;
      }
      for (const call of Array.isArray(message.tool_calls) ? message.tool_calls : []) {
        const fn = isObject(call) && isObject(call.function) ? call.function : undefined;
        if (!isObject(call) || typeof call.id !== "string" || !fn || typeof fn.name !== "string") {
          return `invalid request: messages[${i}].tool_calls entries need id and function.name`;
        }
        calls.add(call.id);
      }
    }
    if (message.role === "tool") {
      if (typeof message.tool_call_id !== "string")
        return `invalid request: messages[${i}].tool_call_id is required`;
      if (!calls.has(message.tool_call_id))
        return `invalid request: tool_call_id ${message.tool_call_id} does not match any tool call`;
      if (content === undefined) return `invalid request: messages[${i}].content is required`;
    }
  }
  const { temperature, p, k, tool_choice, tools, response_format, stream, max_tokens } = body;
  if (temperature !== undefined && (typeof temperature !== "number" || temperature < 0 || temperature > 1)) {
    return "invalid request: temperature must be between 0 and 1";
  }
  if (p !== undefined && (typeof p !== "number" || p < 0.01 || p > 0.99))
    return "invalid request: p must be between 0.01 and 0.99";
  if (k !== undefined && (!Number.isInteger(k) || (k as number) < 0 || (k as number) > 500))
    return "invalid request: k must be between 0 and 500";
  if (max_tokens !== undefined && (!Number.isInteger(max_tokens) || (max_tokens as number) < 1))
    return "invalid request: max_tokens must be a positive integer";
  if (stream !== undefined && typeof stream !== "boolean") return "invalid request: stream must be a boolean";
  if (tool_choice !== undefined) {
    if (tool_choice !== "REQUIRED" && tool_choice !== "NONE")
      return "invalid request: tool_choice must be one of REQUIRED, NONE";
    if (!Array.isArray(tools) || tools.length === 0) return "invalid request: tool_choice requires tools";
  }
  if (tools !== undefined) {
    if (!Array.isArray(tools)) return "invalid request: tools must be a list";
    for (const [i, tool] of tools.entries()) {
      const fn = isObject(tool) && isObject(tool.function) ? tool.function : undefined;
      if (
        !isObject(tool) ||
        tool.type !== "function" ||
        !fn ||
        typeof fn.name !== "string" ||
        !isObject(fn.parameters)
      ) {
        return `invalid request: tools[${i}] needs type "function", function.name and function.parameters`;
      }
    }
  }
  if (response_format !== undefined) {
    if (!isObject(response_format) || !["text", "json_object"].includes(String(response_format.type))) {
      return "invalid request: response_format.type must be text or json_object";
    }
    if (Array.isArray(tools) && tools.length > 0)
      return "invalid request: response_format is not supported with tools";
  }
  return undefined;
}

function usage(request: MockRequest, completionTokens: number): Json {
  const u = request.behaviour.usage ?? { prompt_tokens: 12, completion_tokens: completionTokens };
  return {
    billed_units: { input_tokens: u.prompt_tokens, output_tokens: u.completion_tokens },
    // Cohere's raw counts include its own system instructions, which are not billed.
    tokens: { input_tokens: u.prompt_tokens + 150, output_tokens: u.completion_tokens },
    ...(u.cached_tokens !== undefined && { cached_tokens: u.cached_tokens }),
  };
}

async function handleCohereChat(request: MockRequest): Promise<void> {
  const { res, behaviour: b, req } = request;
  if (!/^bearer \S+/i.test(req.headers.authorization ?? ""))
    return sendCohereError(request, 401, "no api key supplied");
  const problem = validate(request.body);
  if (problem) return sendCohereError(request, 400, problem);
  if (b.status && b.status >= 400) return sendCohereError(request, b.status, MESSAGES[b.status] ?? "error");

  const body = request.body as Json;
  const content = replyText(request);
  const finish = b.finish_reason ?? (b.tool_calls ? "TOOL_CALL" : "COMPLETE");
  const plan = b.tool_calls ? `I will call ${b.tool_calls.map((t) => t.name).join(" and ")}.` : undefined;
  const calls = b.tool_calls?.map((t, i) => ({ id: `${t.name}_mock${i}`, type: "function", function: t }));

  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    if (b.malformed) return void res.end('{"id": "broken", "message": {');
    const message: Json = { role: "assistant" };
    if (calls) {
      message.tool_plan = plan;
      message.tool_calls = calls;
    } else {
      message.content = [
        ...(b.reasoning ? [{ type: "thinking", thinking: b.reasoning }] : []),
        { type: "text", text: content },
      ];
    }
    const answer: Json = { id: "c14c80c3-mock", message, finish_reason: finish };
    if (!b.no_usage) answer.usage = usage(request, tokensOf(content).length);
    return void res.end(JSON.stringify(answer));
  }

  const frame = (payload: Json) => `event: ${payload.type}\ndata: ${JSON.stringify(payload)}\n\n`;
  const events = [
    frame({
      id: "c14c80c3-mock",
      type: "message-start",
      delta: { message: { role: "assistant", content: [], tool_plan: "", tool_calls: [], citations: [] } },
    }),
  ];
  let pieces = 0;
  let index = 0;
  if (b.reasoning) {
    events.push(
      frame({
        type: "content-start",
        index,
        delta: { message: { content: { type: "thinking", thinking: "" } } },
      }),
    );
    for (const token of tokensOf(b.reasoning)) {
      events.push(
        frame({ type: "content-delta", index, delta: { message: { content: { thinking: token } } } }),
      );
    }
    events.push(frame({ type: "content-end", index: index++ }));
  }
  if (calls && plan) {
    for (const token of tokensOf(plan))
      events.push(frame({ type: "tool-plan-delta", delta: { message: { tool_plan: token } } }));
    calls.forEach((call, i) => {
      events.push(
        frame({
          type: "tool-call-start",
          index: i,
          delta: {
            message: {
              tool_calls: {
                id: call.id,
                type: "function",
                function: { name: call.function.name, arguments: "" },
              },
            },
          },
        }),
      );
      for (const fragment of call.function.arguments.match(/.{1,6}/gs) ?? []) {
        events.push(
          frame({
            type: "tool-call-delta",
            index: i,
            delta: { message: { tool_calls: { function: { arguments: fragment } } } },
          }),
        );
        pieces++;
      }
      events.push(frame({ type: "tool-call-end", index: i }));
    });
  } else {
    events.push(
      frame({ type: "content-start", index, delta: { message: { content: { type: "text", text: "" } } } }),
    );
    for (const token of tokensOf(content)) {
      events.push(frame({ type: "content-delta", index, delta: { message: { content: { text: token } } } }));
      pieces++;
    }
    events.push(frame({ type: "content-end", index }));
  }
  if (!b.no_finish) {
    events.push(
      frame({
        type: "message-end",
        delta: { finish_reason: finish, ...(!b.no_usage && { usage: usage(request, pieces) }) },
      }),
    );
  }
  if (!b.no_done) events.push("data: [DONE]\n\n");
  await playStream(request, "text/event-stream", events, {
    contentStart: 1,
    errorEvent: frame({
      type: "message-end",
      delta: { finish_reason: "ERROR", error: "internal server error during generation" },
    }),
    malformedEvent: "event: content-delta\ndata: {not json\n\n",
  });
}

export const cohereRoutes: MockRoute[] = [{ method: "POST", path: /^\/v2\/chat$/, handle: handleCohereChat }];
