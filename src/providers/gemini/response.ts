/** Gemini `GenerateContentResponse` → OpenAI chat completion, and Google's error bodies. Pure. */
import type { NormalizedUsage } from "../../catalog/cost";
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import { openAIErrorMessage } from "../openai/response";
import { isObject, type Json, tokenCount } from "../translate";
import {
  type AssistantMessage,
  type CanonicalCompletion,
  type CompletionChoice,
  type FinishReason,
  MalformedUpstreamError,
  type UpstreamFailure,
} from "../types";
import { GEMINI_REASONING_FORMAT } from "./request";

/**
 * Gemini's `promptTokenCount` already includes cached tokens; `candidatesTokenCount` leaves out
 * thinking, which OpenAI counts as completion tokens; tool-use prompts are input.
 */
export function mapGeminiUsage(usage: unknown): NormalizedUsage | undefined {
  if (!isObject(usage)) return undefined;
  const thoughts = tokenCount(usage.thoughtsTokenCount);
  return {
    prompt_tokens: tokenCount(usage.promptTokenCount) + tokenCount(usage.toolUsePromptTokenCount),
    completion_tokens: tokenCount(usage.candidatesTokenCount) + thoughts,
    cached_tokens: tokenCount(usage.cachedContentTokenCount),
    cache_write_tokens: 0,
    reasoning_tokens: thoughts,
  };
}

/** Gemini's reasons beyond the ones every family shares (STOP, MAX_TOKENS, SAFETY). */
const FINISH_REASONS: Record<string, FinishReason> = {
  RECITATION: "content_filter",
  BLOCKLIST: "content_filter",
  PROHIBITED_CONTENT: "content_filter",
  SPII: "content_filter",
  IMAGE_SAFETY: "content_filter",
  IMAGE_PROHIBITED_CONTENT: "content_filter",
  IMAGE_RECITATION: "content_filter",
  MALFORMED_FUNCTION_CALL: "error",
  UNEXPECTED_TOOL_CALL: "error",
  TOO_MANY_TOOL_CALLS: "error",
};

/** Gemini ends a turn that calls functions with STOP; OpenAI callers expect `tool_calls`. */
export function geminiFinishReason(native: unknown, calledTools: boolean): FinishReason | null {
  if (typeof native !== "string" || native === "" || native === "FINISH_REASON_UNSPECIFIED") return null;
  if (native === "STOP" && calledTools) return "tool_calls";
  return FINISH_REASONS[native] ?? normalizeFinishReason(native);
}

/** What one batch of a candidate's parts says, in OpenAI's terms. */
export interface PartsDelta {
  content: string;
  reasoning: string;
  toolCalls: Json[];
  /** Thought signatures, which Gemini wants back with the parts that carried them. */
  details: Json[];
  images: Json[];
}

/**
 * Reads one candidate's parts, for a whole answer or one stream event at a time. Gemini sends
 * function calls whole and often without ids, so ids are made from the response id and the call's
 * position: unique per answer, and the same for the same answer.
 */
export class CandidateReader {
  calls = 0;
  private details = 0;

  constructor(private readonly candidateIndex: number) {}

  read(parts: unknown, responseId: unknown): PartsDelta {
    const out: PartsDelta = { content: "", reasoning: "", toolCalls: [], details: [], images: [] };
    if (!Array.isArray(parts)) return out;
    for (const part of parts) {
      if (!isObject(part)) continue;
      let detailId: string | undefined;
      if (typeof part.text === "string") {
        if (part.thought === true) out.reasoning += part.text;
        else out.content += part.text;
      } else if (isObject(part.functionCall)) {
        const call = part.functionCall;
        const index = this.calls++;
        const id = typeof call.id === "string" && call.id !== "" ? call.id : this.callId(responseId, index);
        detailId = id;
        out.toolCalls.push({
          index,
          id,
          type: "function",
          function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) },
        });
      } else if (isObject(part.inlineData)) {
        const { mimeType, data } = part.inlineData;
        out.images.push({ type: "image_url", image_url: { url: `data:${mimeType};base64,${data}` } });
      }
      if (typeof part.thoughtSignature === "string") {
        out.details.push({
          type: "reasoning.encrypted",
          data: part.thoughtSignature,
          ...(detailId !== undefined && { id: detailId }),
          format: GEMINI_REASONING_FORMAT,
          index: this.details++,
        });
      }
    }
    return out;
  }

  private callId(responseId: unknown, index: number): string {
    const scope = typeof responseId === "string" && responseId !== "" ? `${responseId}_` : "";
    const candidate = this.candidateIndex > 0 ? `${this.candidateIndex}_` : "";
    return `call_${scope}${candidate}${index}`;
  }
}

/** `logprobsResult` → OpenAI's `logprobs.content`. */
export function mapGeminiLogprobs(result: unknown): Json | null {
  if (!isObject(result) || !Array.isArray(result.chosenCandidates)) return null;
  const top = Array.isArray(result.topCandidates) ? result.topCandidates : [];
  const token = (entry: unknown): Json => {
    const e = isObject(entry) ? entry : {};
    return { token: e.token ?? "", logprob: e.logProbability ?? 0, bytes: null };
  };
  return {
    content: result.chosenCandidates.map((chosen, i) => {
      const alternatives = top[i];
      const candidates =
        isObject(alternatives) && Array.isArray(alternatives.candidates) ? alternatives.candidates : [];
      return { ...token(chosen), top_logprobs: candidates.map(token) };
    }),
  };
}

/** Why Gemini refused the prompt before generating anything, if it did. */
export function promptBlockReason(feedback: unknown): string | undefined {
  return isObject(feedback) && typeof feedback.blockReason === "string" ? feedback.blockReason : undefined;
}

export function mapGeminiResponse(body: unknown): CanonicalCompletion {
  if (!isObject(body)) throw new MalformedUpstreamError("upstream response is not an object");
  const usage = mapGeminiUsage(body.usageMetadata);
  const candidates = Array.isArray(body.candidates) ? body.candidates : [];
  if (candidates.length === 0) {
    const blockReason = promptBlockReason(body.promptFeedback);
    if (blockReason === undefined) throw new MalformedUpstreamError("upstream response has no candidates");
    const blocked: CompletionChoice = {
      index: 0,
      message: { role: "assistant", content: null },
      finish_reason: "content_filter",
      native_finish_reason: blockReason,
      logprobs: null,
    };
    return { choices: [blocked], usage, system_fingerprint: null };
  }
  const choices = candidates.map((raw: unknown, position): CompletionChoice => {
    if (!isObject(raw)) throw new MalformedUpstreamError(`upstream candidate ${position} is not an object`);
    const index = typeof raw.index === "number" ? raw.index : position;
    const parts = isObject(raw.content) ? raw.content.parts : undefined;
    const read = new CandidateReader(index).read(parts, body.responseId);
    const toolCalls = read.toolCalls.map(({ index: _position, ...call }) => call);
    const native = raw.finishReason;
    const finish = geminiFinishReason(native, toolCalls.length > 0);
    const message: AssistantMessage = {
      role: "assistant",
      content:
        read.content === "" && (toolCalls.length > 0 || finish === "content_filter") ? null : read.content,
    };
    if (read.reasoning !== "") message.reasoning = read.reasoning;
    if (read.details.length > 0) message.reasoning_details = read.details;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    if (read.images.length > 0) message.images = read.images;
    return {
      index,
      message,
      finish_reason: finish,
      native_finish_reason: typeof native === "string" ? native : null,
      logprobs: mapGeminiLogprobs(raw.logprobsResult),
    };
  });
  return {
    choices,
    usage,
    system_fingerprint: typeof body.modelVersion === "string" ? body.modelVersion : null,
  };
}

/** The `details` entries of a Google error: `RetryInfo` (`retryDelay: "17s"`), `ErrorInfo` (`reason`). */
function errorDetails(error: Json): { retryDelaySeconds: number | undefined; reasons: string[] } {
  let retryDelaySeconds: number | undefined;
  const reasons: string[] = [];
  for (const detail of Array.isArray(error.details) ? error.details : []) {
    if (!isObject(detail)) continue;
    if (typeof detail.reason === "string") reasons.push(detail.reason);
    if (typeof detail.retryDelay === "string" && retryDelaySeconds === undefined) {
      const seconds = Number.parseFloat(detail.retryDelay);
      if (Number.isFinite(seconds)) retryDelaySeconds = Math.ceil(seconds);
    }
  }
  return { retryDelaySeconds, reasons };
}

/**
 * Classifies a Google error (`{"error": {"code", "message", "status", "details"}}`). Google says
 * some things differently from the HTTP status: a bad API key is a 400 with reason
 * API_KEY_INVALID (the platform's credential, not the caller's request); FAILED_PRECONDITION is
 * the API being unavailable to the account (region, billing); a `RetryInfo` delay stands in for
 * a missing `Retry-After`. In all of these another endpoint may serve the request.
 */
export function classifyGeminiError(
  status: number,
  error: Json,
  raw: unknown,
  headers: Headers,
): UpstreamFailure {
  const message = typeof error.message === "string" ? error.message : "upstream error";
  const { retryDelaySeconds, reasons } = errorDetails(error);
  let hinted = headers;
  if (retryDelaySeconds !== undefined && !headers.has("retry-after")) {
    hinted = new Headers(headers);
    hinted.set("retry-after", String(retryDelaySeconds));
  }
  const effectiveStatus = reasons.includes("API_KEY_INVALID") ? 401 : status;
  const failure = {
    ...classifyUpstreamFailure(effectiveStatus, message, raw, hinted),
    upstreamStatus: status,
  };
  if (error.status === "FAILED_PRECONDITION") {
    return { ...failure, status: 502, errorType: "provider_unavailable", retryable: true };
  }
  return failure;
}

export function mapGeminiError(status: number, body: string, headers: Headers): UpstreamFailure {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    const { message, raw } = openAIErrorMessage(body);
    return classifyUpstreamFailure(status, message, raw, headers);
  }
  const envelope = Array.isArray(parsed) ? parsed[0] : parsed;
  const error = isObject(envelope) && isObject(envelope.error) ? envelope.error : {};
  return classifyGeminiError(status, error, parsed, headers);
}
