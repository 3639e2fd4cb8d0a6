/**
 * Cohere Chat v2 stream events (`message-start`, `content-*`, `tool-plan-delta`, `tool-call-*`,
 * `citation-*`, `message-end`, then `[DONE]`) → OpenAI chunks.
 */
import type { NormalizedUsage } from "../../catalog/cost";
import { classifyUpstreamFailure } from "../failure";
import { isObject, type Json, parseEventObject } from "../translate";
import {
  type CanonicalChunk,
  MalformedUpstreamError,
  type StreamEvent,
  type StreamTranslator,
  type UpstreamFailure,
} from "../types";
import { cohereFinishReason, cohereUsage } from "./response";

/** `event.delta.message`, where Cohere puts every piece of the answer. */
function messageDelta(event: Json): Json {
  const delta = isObject(event.delta) ? event.delta : {};
  return isObject(delta.message) ? delta.message : {};
}

export class CohereStreamTranslator implements StreamTranslator {
  usage: NormalizedUsage | undefined;
  failure: UpstreamFailure | undefined;
  done = false;
  /** Cohere's tool call index → OpenAI's (both count calls, but only ours is guaranteed dense). */
  private readonly toolIndex = new Map<number, number>();

  push(event: StreamEvent): CanonicalChunk[] {
    if (event.data === "[DONE]") {
      this.done = true;
      return [];
    }
    const payload = parseEventObject(event.data);
    const message = messageDelta(payload);
    switch (payload.type ?? event.event) {
      case "message-start":
        return [delta({ role: "assistant", content: "" })];
      case "content-start":
      case "content-delta": {
        const content = isObject(message.content) ? message.content : {};
        if (typeof content.thinking === "string" && content.thinking !== "")
          return [delta({ reasoning: content.thinking })];
        if (typeof content.text === "string" && content.text !== "")
          return [delta({ content: content.text })];
        return [];
      }
      case "tool-plan-delta":
        return typeof message.tool_plan === "string" && message.tool_plan !== ""
          ? [delta({ reasoning: message.tool_plan })]
          : [];
      case "tool-call-start":
        return this.toolCallStart(payload, message);
      case "tool-call-delta": {
        const index = this.toolIndex.get(Number(payload.index ?? 0));
        if (index === undefined)
          throw new MalformedUpstreamError("Cohere tool-call-delta before its tool-call-start");
        const call = isObject(message.tool_calls) ? message.tool_calls : {};
        const fn = isObject(call.function) ? call.function : {};
        return typeof fn.arguments === "string" && fn.arguments !== ""
          ? [delta({ tool_calls: [{ index, function: { arguments: fn.arguments } }] })]
          : [];
      }
      case "message-end":
        return this.messageEnd(payload);
      default:
        // content-end, tool-call-end, citation-*, debug.
        return [];
    }
  }

  private toolCallStart(payload: Json, message: Json): CanonicalChunk[] {
    const call = isObject(message.tool_calls) ? message.tool_calls : {};
    const fn = isObject(call.function) ? call.function : {};
    const index = this.toolIndex.size;
    this.toolIndex.set(Number(payload.index ?? index), index);
    return [
      delta({
        tool_calls: [
          {
            index,
            id: String(call.id ?? `call_${index}`),
            type: "function",
            function: {
              name: String(fn.name ?? ""),
              arguments: typeof fn.arguments === "string" ? fn.arguments : "",
            },
          },
        ],
      }),
    ];
  }

  private messageEnd(payload: Json): CanonicalChunk[] {
    const end = isObject(payload.delta) ? payload.delta : {};
    this.usage = cohereUsage(end.usage) ?? this.usage;
    // message-end is the last event but for `[DONE]`; nothing after it matters.
    this.done = true;
    const native = end.finish_reason;
    if (native === "ERROR" || typeof end.error === "string") {
      const message = typeof end.error === "string" ? end.error : "Cohere ended the generation with an error";
      this.failure = classifyUpstreamFailure(500, message, payload, new Headers());
      return [];
    }
    return [
      {
        choices: [
          {
            index: 0,
            delta: {},
            finish_reason: cohereFinishReason(native) ?? "stop",
            native_finish_reason: typeof native === "string" ? native : null,
          },
        ],
      },
    ];
  }
}

function delta(fields: Json): CanonicalChunk {
  return { choices: [{ index: 0, delta: fields, finish_reason: null, native_finish_reason: null }] };
}
