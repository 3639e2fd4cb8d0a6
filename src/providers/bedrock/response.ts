/** Bedrock Converse answers and errors → OpenAI's shapes. Pure. */
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
import { BEDROCK_REASONING_FORMAT } from "./request";

/** Stop reasons the shared table does not know; the rest (end_turn, tool_use, ...) it does. */
const STOP_REASONS: Record<string, FinishReason> = {
  guardrail_intervened: "content_filter",
  content_filtered: "content_filter",
  malformed_model_output: "error",
  malformed_tool_use: "error",
  model_context_window_exceeded: "length",
};

export function bedrockFinishReason(stopReason: unknown): FinishReason | null {
  if (typeof stopReason === "string" && stopReason in STOP_REASONS)
    return STOP_REASONS[stopReason] as FinishReason;
  return normalizeFinishReason(stopReason);
}

/** Converse counts cache reads and writes apart from `inputTokens`; OpenAI's prompt total includes them. */
export function bedrockUsage(usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const cached = tokenCount(usage.cacheReadInputTokens);
  const written = tokenCount(usage.cacheWriteInputTokens);
  return {
    prompt_tokens: tokenCount(usage.inputTokens) + cached + written,
    completion_tokens: tokenCount(usage.outputTokens),
    cached_tokens: cached,
    cache_write_tokens: written,
    // Converse reports no reasoning count; reasoning is inside outputTokens.
    reasoning_tokens: 0,
  };
}

/** A `reasoningContent` block → OpenRouter's `reasoning_details` entry (signed, so it can go back). */
export function reasoningDetail(block: Json, index: number): Json | undefined {
  const text = isObject(block.reasoningText) ? block.reasoningText : undefined;
  if (text) {
    const detail: Json = { type: "reasoning.text", text: typeof text.text === "string" ? text.text : "" };
    if (typeof text.signature === "string") detail.signature = text.signature;
    return { ...detail, format: BEDROCK_REASONING_FORMAT, index };
  }
  if (typeof block.redactedContent === "string") {
    return {
      type: "reasoning.encrypted",
      data: block.redactedContent,
      format: BEDROCK_REASONING_FORMAT,
      index,
    };
  }
  return undefined;
}

export function mapConverseResponse(body: unknown): CanonicalCompletion {
  const message = isObject(body) && isObject(body.output) ? body.output.message : undefined;
  if (!isObject(message) || !Array.isArray(message.content)) {
    throw new MalformedUpstreamError("Converse response has no output.message.content");
  }
  let content = "";
  let reasoning = "";
  const details: Json[] = [];
  const toolCalls: Json[] = [];
  for (const block of message.content) {
    if (!isObject(block)) continue;
    if (typeof block.text === "string") content += block.text;
    else if (isObject(block.toolUse)) {
      const use = block.toolUse;
      toolCalls.push({
        id: String(use.toolUseId ?? `call_${toolCalls.length}`),
        type: "function",
        function: { name: String(use.name ?? ""), arguments: JSON.stringify(use.input ?? {}) },
      });
    } else if (isObject(block.reasoningContent)) {
      const detail = reasoningDetail(block.reasoningContent, details.length);
      if (detail) {
        details.push(detail);
        if (typeof detail.text === "string") reasoning += detail.text;
      }
    }
  }
  const out: AssistantMessage = {
    role: "assistant",
    content: content === "" && toolCalls.length > 0 ? null : content,
  };
  if (toolCalls.length > 0) out.tool_calls = toolCalls;
  if (details.length > 0) {
    out.reasoning = reasoning;
    out.reasoning_details = details;
  }
  const stopReason = (body as Json).stopReason;
  return {
    choices: [
      {
        index: 0,
        message: out,
        finish_reason: bedrockFinishReason(stopReason),
        native_finish_reason: typeof stopReason === "string" ? stopReason : null,
        logprobs: null,
      },
    ],
    usage: bedrockUsage((body as Json).usage),
    system_fingerprint: null,
  };
}

/** Context-window refusals in Bedrock's and its models' words ("Input is too long for requested model."). */
const CONTEXT_LENGTH =
  /input is too long|too many (?:input )?tokens|prompt is too long|exceeds? (?:the )?(?:model's )?(?:maximum|context)|context (?:length|window)/i;

/**
 * Classifies a Bedrock failure by its exception name (from `x-amzn-ErrorType`, the body's
 * `__type`, or the stream's `:exception-type`) as well as its status.
 */
export function classifyBedrockFailure(
  status: number,
  exception: string,
  message: string,
  raw: unknown,
  headers: Headers,
): UpstreamFailure {
  const name = exception.toLowerCase();
  if (name.startsWith("servicequotaexceeded")) {
    // A quota is a rate limit in effect: another endpoint (or later) may work.
    return { ...classifyUpstreamFailure(429, message, raw, headers), upstreamStatus: status };
  }
  const failure = classifyUpstreamFailure(status, message, raw, headers);
  if ((status === 400 || name.startsWith("validation")) && CONTEXT_LENGTH.test(message)) {
    return { ...failure, status: 400, errorType: "context_length_exceeded", retryable: true };
  }
  return failure;
}

function exceptionName(headers: Headers, parsed: unknown): string {
  const header = headers.get("x-amzn-errortype");
  if (header) return header.split(":")[0] as string;
  if (isObject(parsed) && typeof parsed.__type === "string") return parsed.__type.split("#").at(-1) as string;
  return "";
}

export function mapBedrockError(status: number, body: string, headers: Headers): UpstreamFailure {
  // Bedrock's body is `{"message"}`, which the OpenAI reader already understands.
  const { message, raw } = openAIErrorMessage(body);
  const exception = exceptionName(headers, raw);
  return classifyBedrockFailure(
    status,
    exception,
    exception ? `${exception}: ${message}` : message,
    raw,
    headers,
  );
}

/** HTTP status of each exception ConverseStream can send inside the stream. */
const STREAM_EXCEPTIONS: Record<string, number> = {
  internalServerException: 500,
  modelStreamErrorException: 424,
  validationException: 400,
  throttlingException: 429,
  serviceUnavailableException: 503,
  modelTimeoutException: 408,
};

export function streamExceptionFailure(exception: string, data: string): UpstreamFailure {
  let raw: unknown = data.slice(0, 2000);
  let message = exception;
  try {
    raw = JSON.parse(data);
    if (isObject(raw) && typeof raw.message === "string") message = `${exception}: ${raw.message}`;
  } catch {
    // keep the exception name as the message
  }
  return classifyBedrockFailure(STREAM_EXCEPTIONS[exception] ?? 500, exception, message, raw, new Headers());
}
