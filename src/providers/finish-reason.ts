import type { FinishReason } from "./types";

const normalized: Record<string, FinishReason> = {
  stop: "stop",
  length: "length",
  tool_calls: "tool_calls",
  function_call: "tool_calls",
  content_filter: "content_filter",
  error: "error",
  // Names other APIs use for the same outcomes.
  end_turn: "stop",
  stop_sequence: "stop",
  eos: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  safety: "content_filter",
  refusal: "content_filter",
};

/** Maps an upstream's finish reason to OpenAI's set; anything unknown but present counts as `stop`. */
export function normalizeFinishReason(native: unknown): FinishReason | null {
  if (native === null || native === undefined || native === "") return null;
  return normalized[String(native).toLowerCase()] ?? "stop";
}
