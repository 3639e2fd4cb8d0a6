/** Anthropic Messages stream events → OpenAI chat chunks. */
import type { NormalizedUsage } from "../../catalog/cost";
import { countTokens } from "../../tokens";
import { classifyUpstreamFailure } from "../failure";
import { isObject, type Json, parseEventObject } from "../translate";
import type { CanonicalChunk, StreamTranslator, UpstreamFailure } from "../types";
import { ANTHROPIC_REASONING_FORMAT, JSON_ANSWER_TOOL } from "./request";
import { anthropicErrorStatus, anthropicFinishReason, mapAnthropicUsage } from "./response";

/** What an open content block turns into on the OpenAI side. */
interface OpenBlock {
  kind: "text" | "thinking" | "tool" | "json" | "other";
  /** The OpenAI `tool_calls[].index` of a tool block. */
  toolIndex: number;
  /** Whether any argument text was forwarded for a tool block. */
  hasArguments: boolean;
}

const chunk = (delta: Json): CanonicalChunk => ({
  choices: [{ index: 0, delta, finish_reason: null, native_finish_reason: null }],
});

export class AnthropicStreamTranslator implements StreamTranslator {
  usage: NormalizedUsage | undefined;
  failure: UpstreamFailure | undefined;
  done = false;
  /** Open blocks by Anthropic block index; each is removed at its `content_block_stop`. */
  private readonly blocks = new Map<number, OpenBlock>();
  private nextToolIndex = 0;
  private jsonAnswer = false;
  private reasoningTokens = 0;
  /** message_start's usage, updated by message_delta's cumulative counts. */
  private rawUsage: Json = {};

  push(event: { event?: string | undefined; data: string }): CanonicalChunk[] {
    const data = parseEventObject(event.data);
    switch (data.type) {
      case "message_start":
        this.addUsage(isObject(data.message) ? data.message.usage : undefined);
        return [chunk({ role: "assistant", content: "" })];
      case "content_block_start":
        return this.start(data);
      case "content_block_delta":
        return this.delta(data);
      case "content_block_stop":
        return this.stop(data);
      case "message_delta": {
        this.addUsage(data.usage);
        const native = isObject(data.delta) ? data.delta.stop_reason : undefined;
        if (typeof native !== "string") return [];
        return [
          {
            choices: [
              {
                index: 0,
                delta: {},
                finish_reason: anthropicFinishReason(native, this.jsonAnswer),
                native_finish_reason: native,
              },
            ],
          },
        ];
      }
      case "message_stop":
        this.done = true;
        return [];
      case "error": {
        const error = isObject(data.error) ? data.error : {};
        const message = typeof error.message === "string" ? error.message : "upstream stream error";
        this.failure = classifyUpstreamFailure(
          anthropicErrorStatus(error.type),
          message,
          data,
          new Headers(),
        );
        this.done = true;
        return [];
      }
      default:
        // `ping`, and event types Anthropic may add later, carry nothing for the caller.
        return [];
    }
  }

  private addUsage(usage: unknown): void {
    if (!isObject(usage)) return;
    for (const key in usage)
      if (usage[key] !== null && usage[key] !== undefined) this.rawUsage[key] = usage[key];
    this.usage = mapAnthropicUsage(this.rawUsage, this.reasoningTokens);
  }

  private start(data: Json): CanonicalChunk[] {
    const index = Number(data.index);
    const block = isObject(data.content_block) ? data.content_block : {};
    const open: OpenBlock = { kind: "other", toolIndex: -1, hasArguments: false };
    this.blocks.set(index, open);
    switch (block.type) {
      case "text":
        open.kind = "text";
        return typeof block.text === "string" && block.text !== "" ? [chunk({ content: block.text })] : [];
      case "thinking":
        open.kind = "thinking";
        return [];
      case "redacted_thinking":
        return [
          chunk({
            reasoning_details: [
              { type: "reasoning.encrypted", data: block.data, format: ANTHROPIC_REASONING_FORMAT, index },
            ],
          }),
        ];
      case "tool_use":
        if (block.name === JSON_ANSWER_TOOL) {
          open.kind = "json";
          this.jsonAnswer = true;
          return [];
        }
        open.kind = "tool";
        open.toolIndex = this.nextToolIndex++;
        return [
          chunk({
            tool_calls: [
              {
                index: open.toolIndex,
                id: block.id,
                type: "function",
                function: { name: block.name, arguments: "" },
              },
            ],
          }),
        ];
      default:
        return [];
    }
  }

  private delta(data: Json): CanonicalChunk[] {
    const open = this.blocks.get(Number(data.index));
    const delta = isObject(data.delta) ? data.delta : {};
    if (!open) return [];
    switch (delta.type) {
      case "text_delta":
        return typeof delta.text === "string" && delta.text !== "" ? [chunk({ content: delta.text })] : [];
      case "thinking_delta": {
        const text = typeof delta.thinking === "string" ? delta.thinking : "";
        if (text === "") return [];
        this.reasoningTokens += countTokens(text);
        return [
          chunk({
            reasoning: text,
            reasoning_details: [
              { type: "reasoning.text", text, format: ANTHROPIC_REASONING_FORMAT, index: Number(data.index) },
            ],
          }),
        ];
      }
      case "signature_delta":
        return [
          chunk({
            reasoning_details: [
              {
                type: "reasoning.text",
                signature: delta.signature,
                format: ANTHROPIC_REASONING_FORMAT,
                index: Number(data.index),
              },
            ],
          }),
        ];
      case "input_json_delta": {
        const fragment = typeof delta.partial_json === "string" ? delta.partial_json : "";
        if (fragment === "") return [];
        open.hasArguments = true;
        if (open.kind === "json") return [chunk({ content: fragment })];
        if (open.kind !== "tool") return [];
        return [chunk({ tool_calls: [{ index: open.toolIndex, function: { arguments: fragment } }] })];
      }
      default:
        return [];
    }
  }

  private stop(data: Json): CanonicalChunk[] {
    const index = Number(data.index);
    const open = this.blocks.get(index);
    this.blocks.delete(index);
    // A call without parameters streams no argument text; OpenAI callers parse "{}".
    if (open?.kind === "tool" && !open.hasArguments) {
      return [chunk({ tool_calls: [{ index: open.toolIndex, function: { arguments: "{}" } }] })];
    }
    if (open?.kind === "json" && !open.hasArguments) return [chunk({ content: "{}" })];
    return [];
  }
}
