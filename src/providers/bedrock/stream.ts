/**
 * ConverseStream events (decoded from the binary event stream by `EventStreamDecoder`) → OpenAI
 * chunks. Tool calls are numbered in the order their blocks start, which is the `index` OpenAI
 * clients use to assemble parallel calls.
 */
import type { NormalizedUsage } from "../../catalog/cost";
import { malformedFailure } from "../failure";
import { isObject, type Json, parseEventObject } from "../translate";
import {
  type CanonicalChunk,
  MalformedUpstreamError,
  type StreamEvent,
  type StreamTranslator,
  type UpstreamFailure,
} from "../types";
import { BEDROCK_REASONING_FORMAT } from "./request";
import { bedrockFinishReason, bedrockUsage, streamExceptionFailure } from "./response";

export class BedrockStreamTranslator implements StreamTranslator {
  usage: NormalizedUsage | undefined;
  failure: UpstreamFailure | undefined;
  done = false;
  /** Converse content block index → OpenAI tool call index. */
  private readonly toolIndex = new Map<number, number>();
  /** Converse content block index → reasoning_details index. */
  private readonly reasoningIndex = new Map<number, number>();

  push(event: StreamEvent): CanonicalChunk[] {
    const name = event.event ?? "";
    if (name === "error" || name.endsWith("Exception")) {
      this.failure =
        name === "error"
          ? malformedFailure(`upstream stream error: ${event.data.slice(0, 300)}`)
          : streamExceptionFailure(name, event.data);
      this.done = true;
      return [];
    }
    const payload = parseEventObject(event.data);
    switch (name) {
      case "messageStart":
        return [delta({ role: "assistant", content: "" })];
      case "contentBlockStart":
        return this.blockStart(payload);
      case "contentBlockDelta":
        return this.blockDelta(payload);
      case "messageStop": {
        const stopReason = payload.stopReason;
        return [
          {
            choices: [
              {
                index: 0,
                delta: {},
                finish_reason: bedrockFinishReason(stopReason) ?? "stop",
                native_finish_reason: typeof stopReason === "string" ? stopReason : null,
              },
            ],
          },
        ];
      }
      case "metadata":
        this.usage = bedrockUsage(payload.usage) ?? this.usage;
        // Metadata is the last event; waiting for the connection to close would only add latency.
        this.done = true;
        return [];
      default:
        // contentBlockStop, and event types added after this was written.
        return [];
    }
  }

  private blockStart(payload: Json): CanonicalChunk[] {
    const start = isObject(payload.start) ? payload.start : {};
    const use = start.toolUse;
    if (!isObject(use)) return [];
    const index = this.toolIndex.size;
    this.toolIndex.set(Number(payload.contentBlockIndex), index);
    return [
      delta({
        tool_calls: [
          {
            index,
            id: String(use.toolUseId ?? ""),
            type: "function",
            function: { name: String(use.name ?? ""), arguments: "" },
          },
        ],
      }),
    ];
  }

  private blockDelta(payload: Json): CanonicalChunk[] {
    const block = Number(payload.contentBlockIndex);
    const change = isObject(payload.delta) ? payload.delta : {};
    if (typeof change.text === "string") return change.text === "" ? [] : [delta({ content: change.text })];
    if (isObject(change.toolUse)) {
      const index = this.toolIndex.get(block);
      if (index === undefined)
        throw new MalformedUpstreamError(`tool input for block ${block} before its start`);
      const input = change.toolUse.input;
      return typeof input === "string" && input !== ""
        ? [delta({ tool_calls: [{ index, function: { arguments: input } }] })]
        : [];
    }
    if (isObject(change.reasoningContent)) return this.reasoningDelta(block, change.reasoningContent);
    return [];
  }

  private reasoningDelta(block: number, reasoning: Json): CanonicalChunk[] {
    let index = this.reasoningIndex.get(block);
    if (index === undefined) {
      index = this.reasoningIndex.size;
      this.reasoningIndex.set(block, index);
    }
    const base = { format: BEDROCK_REASONING_FORMAT, index };
    if (typeof reasoning.text === "string") {
      return [
        delta({
          reasoning: reasoning.text,
          reasoning_details: [{ type: "reasoning.text", text: reasoning.text, ...base }],
        }),
      ];
    }
    if (typeof reasoning.signature === "string") {
      return [
        delta({ reasoning_details: [{ type: "reasoning.text", signature: reasoning.signature, ...base }] }),
      ];
    }
    if (typeof reasoning.redactedContent === "string") {
      return [
        delta({
          reasoning_details: [{ type: "reasoning.encrypted", data: reasoning.redactedContent, ...base }],
        }),
      ];
    }
    return [];
  }
}

function delta(fields: Json): CanonicalChunk {
  return { choices: [{ index: 0, delta: fields, finish_reason: null, native_finish_reason: null }] };
}
