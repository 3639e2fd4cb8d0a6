import type { NormalizedUsage } from "../../catalog/cost";
import { classifyUpstreamFailure } from "../failure";
import { normalizeFinishReason } from "../finish-reason";
import {
  type CanonicalChunk,
  type ChunkChoice,
  MalformedUpstreamError,
  type StreamTranslator,
  type UpstreamFailure,
} from "../types";
import { mapOpenAIUsage, openAIErrorMessage } from "./response";

/** OpenAI chat chunks in, the same chunks out with finish reasons normalised and usage captured. */
export class OpenAIStreamTranslator implements StreamTranslator {
  usage: NormalizedUsage | undefined;
  failure: UpstreamFailure | undefined;
  done = false;

  push(event: { event?: string | undefined; data: string }): CanonicalChunk[] {
    if (event.data === "[DONE]") {
      this.done = true;
      return [];
    }
    let chunk: Record<string, unknown>;
    try {
      chunk = JSON.parse(event.data);
    } catch {
      throw new MalformedUpstreamError(
        `upstream sent a stream event that is not JSON: ${event.data.slice(0, 200)}`,
      );
    }
    if (typeof chunk !== "object" || chunk === null) {
      throw new MalformedUpstreamError("upstream sent a stream event that is not an object");
    }
    if (chunk.error !== undefined) {
      const { message, raw } = openAIErrorMessage(event.data);
      const status =
        typeof (chunk.error as { code?: unknown }).code === "number"
          ? (chunk.error as { code: number }).code
          : 502;
      this.failure = classifyUpstreamFailure(status, message, raw, new Headers());
      this.done = true;
      return [];
    }
    const usage = mapOpenAIUsage(chunk.usage);
    if (usage) this.usage = usage;
    const rawChoices = chunk.choices;
    if (!Array.isArray(rawChoices) || rawChoices.length === 0) return [];
    const choices: ChunkChoice[] = [];
    for (let i = 0; i < rawChoices.length; i++) {
      const raw = rawChoices[i] as Record<string, unknown>;
      const native = raw.finish_reason;
      choices.push({
        index: typeof raw.index === "number" ? raw.index : i,
        delta: (raw.delta as Record<string, unknown> | undefined) ?? {},
        finish_reason: normalizeFinishReason(native),
        native_finish_reason: native === undefined || native === null ? null : String(native),
        logprobs: raw.logprobs ?? null,
      });
    }
    const out: CanonicalChunk = { choices };
    if (typeof chunk.system_fingerprint === "string") out.system_fingerprint = chunk.system_fingerprint;
    return [out];
  }
}
