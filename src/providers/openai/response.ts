import type { NormalizedUsage } from "../../catalog/cost";
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import {
  type AssistantMessage,
  type CanonicalCompletion,
  type CompletionChoice,
  MalformedUpstreamError,
  type UpstreamFailure,
} from "../types";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);
const count = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;

/** OpenAI usage (details are subsets of the totals) → normalised usage; undefined when absent. */
export function mapOpenAIUsage(usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const promptDetails = isObject(usage.prompt_tokens_details) ? usage.prompt_tokens_details : {};
  const completionDetails = isObject(usage.completion_tokens_details) ? usage.completion_tokens_details : {};
  return {
    prompt_tokens: count(usage.prompt_tokens),
    completion_tokens: count(usage.completion_tokens),
    cached_tokens: count(promptDetails.cached_tokens),
    cache_write_tokens: count(promptDetails.cache_write_tokens),
    reasoning_tokens: count(completionDetails.reasoning_tokens),
  };
}

export function mapOpenAIResponse(body: unknown): CanonicalCompletion {
  if (!isObject(body) || !Array.isArray(body.choices)) {
    throw new MalformedUpstreamError("upstream response has no choices array");
  }
  const choices = body.choices.map((raw, position): CompletionChoice => {
    if (!isObject(raw) || !isObject(raw.message)) {
      throw new MalformedUpstreamError(`upstream choice ${position} has no message`);
    }
    const message: AssistantMessage = {
      ...raw.message,
      role: "assistant",
      content: stringOrNull(raw.message.content),
    };
    return {
      index: typeof raw.index === "number" ? raw.index : position,
      message,
      finish_reason: normalizeFinishReason(raw.finish_reason),
      native_finish_reason:
        raw.finish_reason === undefined || raw.finish_reason === null ? null : String(raw.finish_reason),
      logprobs: raw.logprobs ?? null,
    };
  });
  return {
    choices,
    usage: mapOpenAIUsage(body.usage),
    system_fingerprint: typeof body.system_fingerprint === "string" ? body.system_fingerprint : null,
  };
}

function stringOrNull(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (Array.isArray(value)) {
    // Some compatible servers answer with content parts; clients expect a string.
    return value.map((part) => (isObject(part) && typeof part.text === "string" ? part.text : "")).join("");
  }
  return null;
}

/** Pulls the human message out of an OpenAI-style error body (`{"error": {"message"}}`) or plain text. */
export function openAIErrorMessage(body: string): { message: string; raw: unknown } {
  try {
    const parsed: unknown = JSON.parse(body);
    if (isObject(parsed)) {
      const error = parsed.error;
      if (isObject(error) && typeof error.message === "string")
        return { message: error.message, raw: parsed };
      if (typeof error === "string") return { message: error, raw: parsed };
      if (typeof parsed.message === "string") return { message: parsed.message, raw: parsed };
    }
    return { message: body.slice(0, 500), raw: parsed };
  } catch {
    return { message: body.slice(0, 500) || "empty error body", raw: body.slice(0, 2000) };
  }
}

export function mapOpenAIError(status: number, body: string, headers: Headers): UpstreamFailure {
  const { message, raw } = openAIErrorMessage(body);
  return classifyUpstreamFailure(status, message, raw, headers);
}
