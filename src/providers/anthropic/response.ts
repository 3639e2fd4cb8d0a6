/** Anthropic Messages answer → OpenAI chat completion. Pure. */
import type { NormalizedUsage } from "../../catalog/cost";
import { countTokens } from "../../tokens";
import { normalizeFinishReason } from "../finish-reason";
import { isObject, type Json, tokenCount } from "../translate";
import {
  type AssistantMessage,
  type CanonicalCompletion,
  type FinishReason,
  MalformedUpstreamError,
} from "../types";
import { ANTHROPIC_REASONING_FORMAT, JSON_ANSWER_TOOL } from "./request";

/**
 * Anthropic's usage counts input in three disjoint buckets; OpenAI's `prompt_tokens` is their sum.
 * Anthropic does not split thinking out of `output_tokens`, so `reasoningTokens` is an estimate
 * from the thinking text, bounded by the output.
 */
export function mapAnthropicUsage(usage: unknown, reasoningTokens: number): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const read = tokenCount(usage.cache_read_input_tokens);
  const written = tokenCount(usage.cache_creation_input_tokens);
  const output = tokenCount(usage.output_tokens);
  return {
    prompt_tokens: tokenCount(usage.input_tokens) + read + written,
    completion_tokens: output,
    cached_tokens: read,
    cache_write_tokens: written,
    reasoning_tokens: Math.min(reasoningTokens, output),
  };
}

/**
 * `stop_reason` → OpenAI's set. A JSON answer delivered through the answer tool ends with
 * `tool_use`, but for the caller it is a finished message.
 */
export function anthropicFinishReason(native: unknown, jsonAnswer: boolean): FinishReason | null {
  if (jsonAnswer && native === "tool_use") return "stop";
  if (native === "model_context_window_exceeded") return "length";
  return normalizeFinishReason(native);
}

export function mapAnthropicResponse(body: unknown): CanonicalCompletion {
  if (!isObject(body) || !Array.isArray(body.content)) {
    throw new MalformedUpstreamError("upstream response has no content array");
  }
  let text = "";
  let reasoning = "";
  let jsonAnswer = false;
  const details: Json[] = [];
  const toolCalls: Json[] = [];
  body.content.forEach((block: unknown, index) => {
    if (!isObject(block))
      throw new MalformedUpstreamError(`upstream content block ${index} is not an object`);
    switch (block.type) {
      case "text":
        text += typeof block.text === "string" ? block.text : "";
        break;
      case "thinking": {
        const thinking = typeof block.thinking === "string" ? block.thinking : "";
        reasoning += thinking;
        details.push({
          type: "reasoning.text",
          text: thinking,
          signature: typeof block.signature === "string" ? block.signature : null,
          format: ANTHROPIC_REASONING_FORMAT,
          index,
        });
        break;
      }
      case "redacted_thinking":
        details.push({
          type: "reasoning.encrypted",
          data: block.data,
          format: ANTHROPIC_REASONING_FORMAT,
          index,
        });
        break;
      case "tool_use":
        if (block.name === JSON_ANSWER_TOOL) {
          jsonAnswer = true;
          text += JSON.stringify(block.input ?? {});
        } else {
          toolCalls.push({
            id: block.id,
            type: "function",
            function: { name: block.name, arguments: JSON.stringify(block.input ?? {}) },
          });
        }
        break;
      // Server tool blocks (web search and the like) are Anthropic's own round trips: not the caller's.
    }
  });
  const message: AssistantMessage = {
    role: "assistant",
    content: text === "" && toolCalls.length > 0 ? null : text,
  };
  if (reasoning !== "") message.reasoning = reasoning;
  if (details.length > 0) message.reasoning_details = details;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  const native = body.stop_reason;
  return {
    choices: [
      {
        index: 0,
        message,
        finish_reason: anthropicFinishReason(native, jsonAnswer),
        native_finish_reason: typeof native === "string" ? native : null,
        logprobs: null,
      },
    ],
    usage: mapAnthropicUsage(body.usage, countTokens(reasoning)),
    system_fingerprint: null,
  };
}

/** Anthropic's error `type` → the HTTP status it comes with, for errors that arrive inside a stream. */
const ERROR_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  billing_error: 402,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  timeout_error: 504,
  overloaded_error: 529,
};

export function anthropicErrorStatus(type: unknown): number {
  return (typeof type === "string" ? ERROR_STATUS[type] : undefined) ?? 500;
}
