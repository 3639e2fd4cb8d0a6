/**
 * Workers AI answers → OpenAI's shape. The REST API (and some models through the binding) answer in
 * OpenAI's format already; the binding's own format is `{response, tool_calls, usage}`. Pure.
 */
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import { mapOpenAIResponse, mapOpenAIUsage, openAIErrorMessage } from "../openai/response";
import { isObject, type Json } from "../translate";
import {
  type AssistantMessage,
  type CanonicalCompletion,
  MalformedUpstreamError,
  type UpstreamFailure,
} from "../types";

/**
 * The binding's tool calls carry no id, yet clients must echo one back with the result. A hash of
 * the call keeps ids stable (pure) and distinct between calls.
 */
export function toolCallId(index: number, name: string, args: string): string {
  let hash = 0x811c9dc5;
  const text = `${index}:${name}:${args}`;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return `call_${(hash >>> 0).toString(16).padStart(8, "0")}${index}`;
}

/** One native tool call, whole (`{name, arguments}`) or OpenAI-shaped (`{id, function: {...}}`). */
export function nativeToolCall(call: Json, index: number): Json {
  const fn = isObject(call.function) ? call.function : call;
  const name = String(fn.name ?? "");
  const raw = fn.arguments;
  const args = typeof raw === "string" ? raw : JSON.stringify(raw ?? {});
  const id = typeof call.id === "string" && call.id !== "" ? call.id : toolCallId(index, name, args);
  return { id, type: "function", function: { name, arguments: args } };
}

export function mapWorkersAIResponse(body: unknown): CanonicalCompletion {
  if (isObject(body) && Array.isArray(body.choices)) return mapOpenAIResponse(body);
  // The REST API wraps answers of its native routes as {result, success}.
  const answer = isObject(body) && isObject(body.result) && body.success === true ? body.result : body;
  if (!isObject(answer) || !("response" in answer || "tool_calls" in answer)) {
    throw new MalformedUpstreamError("Workers AI answer has neither choices nor response");
  }
  const toolCalls = Array.isArray(answer.tool_calls)
    ? answer.tool_calls.filter(isObject).map(nativeToolCall)
    : [];
  const response = answer.response;
  // JSON mode answers with the parsed object; OpenAI clients expect its text.
  const content = typeof response === "string" ? response : response == null ? "" : JSON.stringify(response);
  const message: AssistantMessage = {
    role: "assistant",
    content: content === "" && toolCalls.length > 0 ? null : content,
  };
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const native = typeof answer.finish_reason === "string" ? answer.finish_reason : null;
  return {
    choices: [
      {
        index: 0,
        message,
        finish_reason: toolCalls.length > 0 ? "tool_calls" : (normalizeFinishReason(native) ?? "stop"),
        native_finish_reason: native,
        logprobs: null,
      },
    ],
    usage: mapOpenAIUsage(answer.usage),
    system_fingerprint: null,
  };
}

const CONTEXT_WINDOW = /tokens?\b.*must be <=|exceeds? (?:the )?(?:model'?s? )?context window/i;

/** Cloudflare's `{errors: [{code, message}]}` or OpenAI's `{error: {...}}`. */
export function mapWorkersAIError(status: number, body: string, headers: Headers): UpstreamFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const first =
    isObject(parsed) && Array.isArray(parsed.errors) && isObject(parsed.errors[0])
      ? parsed.errors[0]
      : undefined;
  const { message, raw } =
    first && typeof first.message === "string"
      ? { message: first.message, raw: parsed }
      : openAIErrorMessage(body);
  const failure = classifyUpstreamFailure(status, message, raw, headers);
  if (status === 400 && CONTEXT_WINDOW.test(message)) {
    return { ...failure, errorType: "context_length_exceeded", retryable: true };
  }
  return failure;
}
