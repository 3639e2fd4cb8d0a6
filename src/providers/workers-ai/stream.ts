/**
 * Workers AI streams → OpenAI chunks. The binding streams SSE events of its own shape
 * (`{response, tool_calls?, usage?}`, then `[DONE]`) with no finish reason; the REST API and
 * OpenAI-format models stream OpenAI chunks, which go through the OpenAI translator.
 */
import type { NormalizedUsage } from "../../catalog/cost";
import { normalizeFinishReason } from "../finish-reason";
import { mapOpenAIUsage } from "../openai/response";
import { OpenAIStreamTranslator } from "../openai/stream";
import { isObject, type Json, parseEventObject } from "../translate";
import type { CanonicalChunk, StreamEvent, StreamTranslator, UpstreamFailure } from "../types";
import { nativeToolCall } from "./response";

export class WorkersAIStreamTranslator implements StreamTranslator {
  private readonly openai = new OpenAIStreamTranslator();
  private nativeUsage: NormalizedUsage | undefined;
  private native = false;
  private started = false;
  private finished = false;
  private nativeDone = false;
  /** The binding's tool call index (or arrival order) → OpenAI's. */
  private readonly toolIndex = new Map<number, number>();

  get usage(): NormalizedUsage | undefined {
    return this.native ? this.nativeUsage : this.openai.usage;
  }
  get failure(): UpstreamFailure | undefined {
    return this.openai.failure;
  }
  get done(): boolean {
    return this.nativeDone || this.openai.done;
  }

  push(event: StreamEvent): CanonicalChunk[] {
    if (event.data === "[DONE]") return this.native ? this.finish(null) : this.openai.push(event);
    if (!this.native) {
      const payload = parseEventObject(event.data);
      if ("choices" in payload || "error" in payload) return this.openai.push(event);
      this.native = true;
      return this.nativeEvent(payload);
    }
    return this.nativeEvent(parseEventObject(event.data));
  }

  private nativeEvent(payload: Json): CanonicalChunk[] {
    const out: CanonicalChunk[] = [];
    const fields: Json = {};
    if (typeof payload.response === "string" && payload.response !== "") fields.content = payload.response;
    const calls = Array.isArray(payload.tool_calls) ? payload.tool_calls.filter(isObject) : [];
    const toolDeltas = calls.flatMap((call) => this.toolDelta(call));
    if (toolDeltas.length > 0) fields.tool_calls = toolDeltas;
    if (Object.keys(fields).length > 0) {
      if (!this.started) fields.role = "assistant";
      this.started = true;
      out.push(delta(fields));
    }
    const usage = mapOpenAIUsage(payload.usage);
    if (usage) this.nativeUsage = usage;
    if (typeof payload.finish_reason === "string") out.push(...this.finish(payload.finish_reason));
    return out;
  }

  private toolDelta(call: Json): Json[] {
    const fn = isObject(call.function) ? call.function : undefined;
    const name = fn ? fn.name : call.name;
    const args = fn ? fn.arguments : call.arguments;
    // A trailing {id: null, function: {name: null}} marks the end of the calls; it carries nothing.
    if ((name == null || name === "") && (args == null || args === "") && !call.id) return [];
    const key = typeof call.index === "number" ? call.index : this.toolIndex.size;
    const known = this.toolIndex.get(key);
    if (known !== undefined) {
      const text = typeof args === "string" ? args : JSON.stringify(args ?? {});
      return text === "" ? [] : [{ index: known, function: { arguments: text } }];
    }
    const index = this.toolIndex.size;
    this.toolIndex.set(key, index);
    return [{ index, ...nativeToolCall(call, index) }];
  }

  private finish(native: string | null): CanonicalChunk[] {
    if (native === null) this.nativeDone = true;
    if (this.finished) return [];
    this.finished = true;
    // The binding does not say why it stopped; a turn with tool calls stopped to call them.
    const reason =
      native !== null
        ? (normalizeFinishReason(native) ?? "stop")
        : this.toolIndex.size > 0
          ? "tool_calls"
          : "stop";
    return [{ choices: [{ index: 0, delta: {}, finish_reason: reason, native_finish_reason: native }] }];
  }
}

function delta(fields: Json): CanonicalChunk {
  return { choices: [{ index: 0, delta: fields, finish_reason: null, native_finish_reason: null }] };
}
