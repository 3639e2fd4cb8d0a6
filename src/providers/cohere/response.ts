/** Cohere Chat v2 answers and errors → OpenAI's shapes. Pure. */
import type { NormalizedUsage } from "../../catalog/cost";
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import { openAIErrorMessage } from "../openai/response";
import { isObject, type Json, tokenCount } from "../translate";
import {
  type AssistantMessage,
  type CanonicalCompletion,
  type FinishReason,
  MalformedUpstreamError,
  type UpstreamFailure,
} from "../types";

const FINISH_REASONS: Record<string, FinishReason> = {
  COMPLETE: "stop",
  STOP_SEQUENCE: "stop",
  MAX_TOKENS: "length",
  TOOL_CALL: "tool_calls",
  ERROR: "error",
  TIMEOUT: "error",
};

export function cohereFinishReason(native: unknown): FinishReason | null {
  if (typeof native === "string" && native in FINISH_REASONS) return FINISH_REASONS[native] as FinishReason;
  return normalizeFinishReason(native);
}

/**
 * Cohere reports billed units (what the price applies to: system instructions Cohere adds are not
 * billed) and raw token counts; cost is computed from usage, so billed units win when present.
 */
export function cohereUsage(usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const billed = isObject(usage.billed_units) ? usage.billed_units : undefined;
  const tokens = isObject(usage.tokens) ? usage.tokens : {};
  const counts =
    billed && (billed.input_tokens !== undefined || billed.output_tokens !== undefined) ? billed : tokens;
  return {
    prompt_tokens: tokenCount(counts.input_tokens),
    completion_tokens: tokenCount(counts.output_tokens),
    cached_tokens: tokenCount(usage.cached_tokens),
    cache_write_tokens: 0,
    reasoning_tokens: 0,
  };
}

export function mapCohereResponse(body: unknown): CanonicalCompletion {
  const message = isObject(body) ? body.message : undefined;
  if (!isObject(message)) throw new MalformedUpstreamError("Cohere response has no message");
  let content = "";
  let reasoning = typeof message.tool_plan === "string" ? message.tool_plan : "";
  if (Array.isArray(message.content)) {
    for (const part of message.content) {
      if (!isObject(part)) continue;
      if (part.type === "text" && typeof part.text === "string") content += part.text;
      else if (part.type === "thinking" && typeof part.thinking === "string") reasoning += part.thinking;
    }
  } else if (typeof message.content === "string") content = message.content;
  const toolCalls = Array.isArray(message.tool_calls)
    ? message.tool_calls.filter(isObject).map((call, i) => {
        const fn = isObject(call.function) ? call.function : {};
        return {
          id: typeof call.id === "string" ? call.id : `call_${i}`,
          type: "function",
          function: {
            name: String(fn.name ?? ""),
            arguments: typeof fn.arguments === "string" ? fn.arguments : "{}",
          },
        };
      })
    : [];
  const out: AssistantMessage = {
    role: "assistant",
    content: content === "" && toolCalls.length > 0 ? null : content,
  };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  // Cohere's tool plan is the model thinking aloud before its calls: reasoning, not the answer.
  if (reasoning !== "") out.reasoning = reasoning;
  const native = (body as Json).finish_reason;
  return {
    choices: [
      {
        index: 0,
        message: out,
        finish_reason: cohereFinishReason(native),
        native_finish_reason: typeof native === "string" ? native : null,
        logprobs: null,
      },
    ],
    usage: cohereUsage((body as Json).usage),
    system_fingerprint: null,
  };
}

/**
 * Cohere errors are `{"id", "message"}`. Besides the usual statuses: 498 is a deny-listed token in
 * the request or answer (a content policy), 499 a cancelled request.
 */
export function mapCohereError(status: number, body: string, headers: Headers): UpstreamFailure {
  // Cohere's body is `{"id", "message"}`, which the OpenAI reader already understands.
  const { message, raw } = openAIErrorMessage(body);
  if (status === 498) {
    return {
      ...classifyUpstreamFailure(400, message, raw, headers),
      errorType: "content_policy_violation",
      retryable: true,
      upstreamStatus: status,
    };
  }
  if (status === 499)
    return { ...classifyUpstreamFailure(408, message, raw, headers), upstreamStatus: status };
  return classifyUpstreamFailure(status, message, raw, headers);
}
