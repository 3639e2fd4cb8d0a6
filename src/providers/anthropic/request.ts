/**
 * OpenAI chat request → Anthropic Messages request (`POST /v1/messages`). Pure.
 *
 * Per-endpoint quirks come from the catalog endpoint entry:
 * - `supported_parameters` containing `structured_outputs`: JSON schemas go to the native
 *   `output_config.format` (constrained decoding); otherwise a forced tool carries the answer.
 * - `anthropic_thinking: "adaptive"`: the model takes `thinking: {type: "adaptive"}` and an effort
 *   level instead of a token budget.
 * - `anthropic_beta: string[]`: beta flags sent as the `anthropic-beta` header.
 */
import type { EndpointEntry } from "../../catalog/types";
import type { ChatRequest, ContentPart, Message } from "../../schema/chat";
import {
  addUnknownFields,
  appendTurn,
  cannotExpress,
  EFFORT_BUDGET_RATIO,
  isHttpUrl,
  isObject,
  type Json,
  parseDataUrl,
  parseToolArguments,
  reasoningOf,
  refuseFields,
  type Turn,
} from "../translate";
import type { UpstreamTarget } from "../types";

const FAMILY = "Anthropic";
export const ANTHROPIC_VERSION = "2023-06-01";
export const ANTHROPIC_REASONING_FORMAT = "anthropic-claude-v1";
/** Anthropic requires `max_tokens`; this bounds answers when neither the caller nor the catalog does. */
const FALLBACK_MAX_TOKENS = 4096;
/** The smallest thinking budget Anthropic accepts. */
export const MIN_THINKING_BUDGET = 1024;
/**
 * The tool that carries a JSON answer on endpoints without native structured output. The response
 * side turns its input back into message content, so callers never see it as a tool call.
 */
export const JSON_ANSWER_TOOL = "junction_json_answer";

/** OpenAI request fields Anthropic has no parameter for (refused unless neutral). */
const UNEXPRESSIBLE = [
  "n",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "repetition_penalty",
  "min_p",
  "top_a",
  "logprobs",
  "top_logprobs",
  "logit_bias",
  "modalities",
] as const;

function withCacheControl(block: Json, part: Json): Json {
  if (part.cache_control !== undefined) block.cache_control = part.cache_control;
  return block;
}

function decodeBase64Text(data: string, path: string): string {
  try {
    return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
  } catch {
    throw cannotExpress(FAMILY, path, "the data URL is not valid base64");
  }
}

function imageBlock(url: string, path: string): Json {
  const inline = parseDataUrl(url);
  if (inline)
    return { type: "image", source: { type: "base64", media_type: inline.mediaType, data: inline.data } };
  if (isHttpUrl(url)) return { type: "image", source: { type: "url", url } };
  throw cannotExpress(FAMILY, path, "images must be base64 data URLs or http(s) URLs");
}

function documentBlock(file: Json, path: string): Json {
  const fileData = typeof file.file_data === "string" ? file.file_data : undefined;
  let block: Json;
  if (fileData === undefined) {
    throw cannotExpress(FAMILY, `${path}.file`, "only inline file_data is supported, not file_id");
  }
  const inline = parseDataUrl(fileData);
  if (inline?.mediaType === "application/pdf") {
    block = {
      type: "document",
      source: { type: "base64", media_type: "application/pdf", data: inline.data },
    };
  } else if (inline?.mediaType.startsWith("text/")) {
    const text = decodeBase64Text(inline.data, `${path}.file.file_data`);
    block = { type: "document", source: { type: "text", media_type: "text/plain", data: text } };
  } else if (inline === undefined && isHttpUrl(fileData)) {
    block = { type: "document", source: { type: "url", url: fileData } };
  } else {
    throw cannotExpress(FAMILY, `${path}.file.file_data`, "documents must be PDF or plain text");
  }
  if (typeof file.filename === "string" && file.filename !== "") block.title = file.filename;
  return block;
}

/** One user (or tool result) content part → an Anthropic content block; undefined for empty text. */
function contentBlock(part: ContentPart, path: string): Json | undefined {
  const raw = part as Json;
  switch (part.type) {
    case "text":
      return part.text === "" ? undefined : withCacheControl({ type: "text", text: part.text }, raw);
    case "image_url":
      return withCacheControl(imageBlock(part.image_url.url, `${path}.image_url.url`), raw);
    case "file":
      return withCacheControl(documentBlock(part.file, path), raw);
    default:
      throw cannotExpress(FAMILY, `${path}.type`, `"${part.type}" content is not accepted`);
  }
}

function userBlocks(content: string | ContentPart[], path: string): Json[] {
  if (typeof content === "string") return content === "" ? [] : [{ type: "text", text: content }];
  const blocks: Json[] = [];
  content.forEach((part, i) => {
    const block = contentBlock(part, `${path}[${i}]`);
    if (block) blocks.push(block);
  });
  return blocks;
}

/** Signed thinking from an earlier Anthropic answer, which Anthropic needs back during tool use. */
function thinkingBlocks(details: unknown): Json[] {
  if (!Array.isArray(details)) return [];
  const blocks: Json[] = [];
  for (const detail of details) {
    if (!isObject(detail)) continue;
    // Signatures are only valid for the family that produced them.
    if (detail.format !== undefined && detail.format !== ANTHROPIC_REASONING_FORMAT) continue;
    if (detail.type === "reasoning.text" && typeof detail.signature === "string") {
      blocks.push({ type: "thinking", thinking: detail.text ?? "", signature: detail.signature });
    } else if (detail.type === "reasoning.encrypted" && typeof detail.data === "string") {
      blocks.push({ type: "redacted_thinking", data: detail.data });
    }
  }
  return blocks;
}

function assistantBlocks(message: Extract<Message, { role: "assistant" }>, path: string): Json[] {
  const blocks = thinkingBlocks(message.reasoning_details);
  const content = message.content;
  if (typeof content === "string") {
    if (content !== "") blocks.push({ type: "text", text: content });
  } else if (Array.isArray(content)) {
    for (const part of content) {
      const text = part.type === "text" ? part.text : part.refusal;
      if (text !== "") blocks.push(withCacheControl({ type: "text", text }, part as Json));
    }
  }
  message.tool_calls?.forEach((call, i) => {
    const input = parseToolArguments(
      FAMILY,
      `${path}.tool_calls[${i}].function.arguments`,
      call.function.arguments,
    );
    blocks.push({ type: "tool_use", id: call.id, name: call.function.name, input });
  });
  return blocks;
}

function toolResultBlock(message: Extract<Message, { role: "tool" }>, path: string): Json {
  const block: Json = { type: "tool_result", tool_use_id: message.tool_call_id };
  if (typeof message.content === "string") {
    if (message.content !== "") block.content = message.content;
  } else {
    const blocks = userBlocks(message.content, `${path}.content`);
    if (blocks.length > 0) block.content = blocks;
  }
  return block;
}

const toTurn = (turns: Turn[], role: Turn["role"], blocks: Json[]) =>
  appendTurn(turns, role, blocks, (b) => b.type === "tool_result");

export function toAnthropicMessages(request: ChatRequest): { system: Json[]; messages: Turn[] } {
  const system: Json[] = [];
  const turns: Turn[] = [];
  request.messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        // Anthropic takes instructions only as the top-level system prompt.
        if (typeof message.content === "string") {
          if (message.content !== "") system.push({ type: "text", text: message.content });
        } else {
          for (const part of message.content) {
            if (part.text !== "")
              system.push(withCacheControl({ type: "text", text: part.text }, part as Json));
          }
        }
        return;
      case "user":
        toTurn(turns, "user", userBlocks(message.content, `${path}.content`));
        return;
      case "assistant":
        toTurn(turns, "assistant", assistantBlocks(message, path));
        return;
      case "tool":
        toTurn(turns, "user", [toolResultBlock(message, path)]);
        return;
      case "function":
        throw cannotExpress(
          FAMILY,
          `${path}.role`,
          'the deprecated "function" role has no call id; use "tool"',
        );
    }
  });
  const last = turns.at(-1);
  if (last?.role === "assistant") {
    // A final assistant turn is a prefill, which Anthropic refuses with trailing whitespace.
    const tail = last.content.at(-1);
    if (tail?.type === "text" && typeof tail.text === "string") {
      tail.text = tail.text.trimEnd();
      if (tail.text === "") last.content.pop();
      if (last.content.length === 0) turns.pop();
    }
  }
  if (turns[0]?.role !== "user") {
    throw cannotExpress(
      FAMILY,
      "messages",
      turns.length === 0
        ? "at least one non-empty user message is required"
        : "the conversation must start with a user message (after system messages)",
    );
  }
  return { system, messages: turns };
}

function thinkingConfig(
  request: ChatRequest,
  endpoint: EndpointEntry,
  maxTokens: number,
  body: Json,
): Json | undefined {
  const reasoning = reasoningOf(request);
  if (reasoning.enabled !== true) return undefined;
  if (request.temperature != null && request.temperature !== 1) {
    throw cannotExpress(FAMILY, "temperature", "with reasoning enabled Anthropic only accepts temperature 1");
  }
  if (request.top_k != null) {
    throw cannotExpress(FAMILY, "top_k", "Anthropic does not accept top_k with reasoning enabled");
  }
  if (request.top_p != null && request.top_p < 0.95) {
    throw cannotExpress(
      FAMILY,
      "top_p",
      "with reasoning enabled Anthropic only accepts top_p from 0.95 to 1",
    );
  }
  if (endpoint.anthropic_thinking === "adaptive") {
    if (reasoning.effort !== undefined) {
      const effort =
        reasoning.effort === "minimal" ? "low" : reasoning.effort === "xhigh" ? "high" : reasoning.effort;
      body.output_config = { ...(body.output_config as Json | undefined), effort };
    }
    return { type: "adaptive" };
  }
  const budget = Math.max(
    MIN_THINKING_BUDGET,
    reasoning.maxTokens ?? Math.floor(maxTokens * EFFORT_BUDGET_RATIO[reasoning.effort ?? "medium"]),
  );
  if (budget >= maxTokens) {
    throw cannotExpress(
      FAMILY,
      "max_tokens",
      `must be larger than the reasoning budget (${budget} tokens; Anthropic's minimum is ${MIN_THINKING_BUDGET})`,
    );
  }
  return { type: "enabled", budget_tokens: budget };
}

function anthropicTool(tool: NonNullable<ChatRequest["tools"]>[number], nativeStrict: boolean): Json {
  const fn = tool.function;
  const out: Json = {
    name: fn.name,
    input_schema: fn.parameters ?? { type: "object", properties: {} },
  };
  if (fn.description !== undefined) out.description = fn.description;
  // Strict decoding is a guarantee only endpoints with structured outputs give; elsewhere the tool
  // is still offered, unconstrained.
  if (fn.strict === true && nativeStrict) out.strict = true;
  const cache = (tool as Json).cache_control;
  if (cache !== undefined) out.cache_control = cache;
  return out;
}

function toolChoice(choice: ChatRequest["tool_choice"]): Json | undefined {
  if (choice == null) return undefined;
  if (choice === "auto") return { type: "auto" };
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.function.name };
}

/** Tools, tool choice and response format together: a JSON answer may need a tool of its own. */
function applyTools(request: ChatRequest, endpoint: EndpointEntry, thinking: boolean, body: Json): void {
  const native = endpoint.supported_parameters.includes("structured_outputs");
  const tools = (request.tools ?? []).map((tool) => anthropicTool(tool, native));
  if (tools.some((t) => t.name === JSON_ANSWER_TOOL)) {
    throw cannotExpress(FAMILY, "tools", `the tool name "${JSON_ANSWER_TOOL}" is reserved by Junction`);
  }
  let choice = toolChoice(request.tool_choice);
  const format = request.response_format;
  if (format?.type === "grammar" || format?.type === "python") {
    throw cannotExpress(FAMILY, "response_format.type", `"${format.type}" output is not available`);
  }
  if (format?.type === "json_schema" && native) {
    body.output_config = {
      ...(body.output_config as Json | undefined),
      format: { type: "json_schema", schema: format.json_schema.schema ?? { type: "object" } },
    };
  } else if (format?.type === "json_schema" || format?.type === "json_object") {
    if (thinking) {
      throw cannotExpress(
        FAMILY,
        "response_format",
        "without native structured outputs JSON answers need a forced tool, which Anthropic refuses with reasoning",
      );
    }
    const schema =
      format.type === "json_schema" ? (format.json_schema.schema ?? { type: "object" }) : { type: "object" };
    if (schema.type !== "object") {
      throw cannotExpress(FAMILY, "response_format.json_schema.schema", "the schema root must be an object");
    }
    const answer: Json = {
      name: JSON_ANSWER_TOOL,
      description:
        (format.type === "json_schema" ? format.json_schema.description : undefined) ??
        "Give the final answer as JSON matching this schema.",
      input_schema: schema,
    };
    if (choice?.type === "tool") {
      throw cannotExpress(
        FAMILY,
        "tool_choice",
        "a named tool choice cannot be combined with a JSON response format",
      );
    }
    if (tools.length === 0 || choice?.type === "none") {
      tools.length = 0;
      choice = { type: "tool", name: JSON_ANSWER_TOOL };
    } else {
      // The model either calls one of the caller's tools or answers through the JSON tool.
      choice = { type: "any" };
    }
    tools.push(answer);
  }
  if (thinking && (choice?.type === "any" || choice?.type === "tool")) {
    throw cannotExpress(FAMILY, "tool_choice", "Anthropic cannot force tool use while reasoning is enabled");
  }
  if (request.parallel_tool_calls === false && tools.length > 0) {
    choice = { ...(choice ?? { type: "auto" }), disable_parallel_tool_use: true };
  }
  if (tools.length > 0) body.tools = tools;
  if (choice !== undefined) body.tool_choice = choice;
}

export function buildAnthropicBody(request: ChatRequest, endpoint: EndpointEntry): Json {
  refuseFields(FAMILY, request, UNEXPRESSIBLE);
  if (request.temperature != null && request.temperature > 1) {
    throw cannotExpress(FAMILY, "temperature", "Anthropic accepts temperatures from 0 to 1");
  }
  const { system, messages } = toAnthropicMessages(request);
  const maxTokens =
    request.max_completion_tokens ??
    request.max_tokens ??
    endpoint.max_completion_tokens ??
    FALLBACK_MAX_TOKENS;
  const body: Json = { model: endpoint.provider_model_id, max_tokens: maxTokens, messages };
  if (system.length > 0) body.system = system;
  const thinking = thinkingConfig(request, endpoint, maxTokens, body);
  if (thinking) body.thinking = thinking;
  applyTools(request, endpoint, thinking !== undefined, body);
  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.top_p = request.top_p;
  if (request.top_k != null) body.top_k = request.top_k;
  if (request.stop != null)
    body.stop_sequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.user != null) body.metadata = { user_id: request.user };
  if (request.stream) body.stream = true;
  addUnknownFields(request, body);
  return body;
}

/** Vertex AI serves Claude through `rawPredict`, with the API version in the body and an OAuth bearer. */
const VERTEX_ANTHROPIC_VERSION = "vertex-2023-10-16";

export function buildAnthropicRequest(request: ChatRequest, target: UpstreamTarget): Request {
  const { endpoint, provider } = target.resolved;
  const vertex = provider.gemini_variant === "vertex";
  const headers = new Headers({ "content-type": "application/json" });
  if (request.stream) headers.set("accept", "text/event-stream");
  const beta = endpoint.anthropic_beta;
  if (Array.isArray(beta) && beta.length > 0) headers.set("anthropic-beta", beta.join(","));
  else if (typeof beta === "string" && beta !== "") headers.set("anthropic-beta", beta);
  const body = buildAnthropicBody(request, endpoint);
  const base = target.baseUrl.replace(/\/+$/, "");
  if (vertex) {
    // The provider's base names Google's publisher; Claude is published by Anthropic.
    const root = base.replace(/\/publishers\/google$/, "");
    const { model, ...rest } = body;
    if (target.apiKey !== undefined) headers.set("authorization", `Bearer ${target.apiKey}`);
    const method = request.stream ? "streamRawPredict" : "rawPredict";
    return new Request(
      `${root}/publishers/anthropic/models/${encodeURIComponent(String(model)).replace(/%40/g, "@")}:${method}`,
      {
        method: "POST",
        headers,
        body: JSON.stringify({ anthropic_version: VERTEX_ANTHROPIC_VERSION, ...rest }),
      },
    );
  }
  headers.set("anthropic-version", ANTHROPIC_VERSION);
  if (target.apiKey !== undefined) headers.set("x-api-key", target.apiKey);
  return new Request(`${base}/v1/messages`, { method: "POST", headers, body: JSON.stringify(body) });
}
