/**
 * Token counts for when nobody counts for us. `countTokens` (words and punctuation marks, one
 * token each; within about 30 % of BPE tokenizers on English) gives the demo provider's usage and
 * usage for an upstream that reported none; `estimatePromptTokens` is the cheap per-request
 * estimate for routing and admission.
 */
import type { ChatRequest } from "./schema/chat";

const TOKEN = /[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s]/gu;

export function countTokens(text: string): number {
  let n = 0;
  TOKEN.lastIndex = 0;
  while (TOKEN.exec(text) !== null) n++;
  return n;
}

/** Splits text into token-sized pieces, each keeping the whitespace that precedes it. */
export function splitTokens(text: string): string[] {
  return text.match(/\s*(?:[\p{L}\p{N}_]+|[^\p{L}\p{N}_\s])/gu) ?? [];
}

/** Per-message framing overhead in OpenAI's chat format. */
const MESSAGE_OVERHEAD = 4;
/** Flat estimate for an image part, whatever its size (OpenAI's low-detail price). */
const IMAGE_TOKENS = 85;

/** Characters per token of BPE tokenizers on typical text (OpenAI's rule of thumb). */
const CHARS_PER_TOKEN = 4;
const byLength = (text: string) => Math.ceil(text.length / CHARS_PER_TOKEN);

/**
 * Estimates prompt tokens of a chat request — text, tool calls, tool definitions, images — from
 * lengths alone: it runs on every request, for routing and admission, and must stay cheap at
 * 100 KB. It undercounts scripts without spaces; an endpoint that then refuses the context length
 * is failed over like any other.
 */
export function estimatePromptTokens(request: ChatRequest): number {
  let total = 3;
  for (const message of request.messages) {
    total += MESSAGE_OVERHEAD;
    const content = (message as { content?: unknown }).content;
    if (typeof content === "string") total += byLength(content);
    else if (Array.isArray(content)) {
      for (const part of content as { type: string; text?: string }[]) {
        if (part.type === "text" && typeof part.text === "string") total += byLength(part.text);
        else if (part.type === "image_url") total += IMAGE_TOKENS;
      }
    }
    const toolCalls = (message as { tool_calls?: { function: { name: string; arguments: string } }[] })
      .tool_calls;
    if (toolCalls)
      for (const call of toolCalls) total += byLength(call.function.name + call.function.arguments);
  }
  if (request.tools) total += byLength(JSON.stringify(request.tools));
  return total;
}
