/**
 * `streamGenerateContent?alt=sse` events → OpenAI chat chunks. Each event is a whole
 * `GenerateContentResponse` carrying the next parts; the last one carries the finish reason and
 * the final usage. There is no end marker: the stream ends when the body does.
 */
import type { NormalizedUsage } from "../../catalog/cost";
import { isObject, type Json, parseEventObject } from "../translate";
import type { CanonicalChunk, ChunkChoice, StreamTranslator, UpstreamFailure } from "../types";
import {
  CandidateReader,
  classifyGeminiError,
  geminiFinishReason,
  mapGeminiLogprobs,
  mapGeminiUsage,
  promptBlockReason,
} from "./response";

export class GeminiStreamTranslator implements StreamTranslator {
  usage: NormalizedUsage | undefined;
  failure: UpstreamFailure | undefined;
  done = false;
  /** Per candidate; as many as the request's `candidateCount`. */
  private readonly readers = new Map<number, CandidateReader>();

  push(event: { event?: string | undefined; data: string }): CanonicalChunk[] {
    const data = parseEventObject(event.data);
    if (isObject(data.error)) {
      const status = typeof data.error.code === "number" ? data.error.code : 500;
      this.failure = classifyGeminiError(status, data.error, data, new Headers());
      this.done = true;
      return [];
    }
    this.usage = mapGeminiUsage(data.usageMetadata) ?? this.usage;
    const candidates = Array.isArray(data.candidates) ? data.candidates : [];
    if (candidates.length === 0) {
      const blockReason = promptBlockReason(data.promptFeedback);
      if (blockReason === undefined) return [];
      const delta = { role: "assistant" };
      return [
        {
          choices: [{ index: 0, delta, finish_reason: "content_filter", native_finish_reason: blockReason }],
        },
      ];
    }
    const choices: ChunkChoice[] = [];
    candidates.forEach((candidate: unknown, position) => {
      if (!isObject(candidate)) return;
      const index = typeof candidate.index === "number" ? candidate.index : position;
      let reader = this.readers.get(index);
      const delta: Json = {};
      if (!reader) {
        reader = new CandidateReader(index);
        this.readers.set(index, reader);
        delta.role = "assistant";
      }
      const parts = isObject(candidate.content) ? candidate.content.parts : undefined;
      const read = reader.read(parts, data.responseId);
      if (read.content !== "") delta.content = read.content;
      if (read.reasoning !== "") delta.reasoning = read.reasoning;
      if (read.toolCalls.length > 0) delta.tool_calls = read.toolCalls;
      if (read.details.length > 0) delta.reasoning_details = read.details;
      if (read.images.length > 0) delta.images = read.images;
      const native = candidate.finishReason;
      const choice: ChunkChoice = {
        index,
        delta,
        finish_reason: geminiFinishReason(native, reader.calls > 0),
        native_finish_reason: typeof native === "string" ? native : null,
      };
      const logprobs = mapGeminiLogprobs(candidate.logprobsResult);
      if (logprobs) choice.logprobs = logprobs;
      choices.push(choice);
    });
    return choices.length > 0 ? [{ choices }] : [];
  }
}
