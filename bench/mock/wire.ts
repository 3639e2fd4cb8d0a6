/**
 * OpenAI chat-completions wire data for the bench mock, built once per profile so that answering a
 * request costs a buffer write, not a JSON.stringify. Plain strings, no Node APIs: the CPU
 * microbenchmarks feed the same bytes to Junction's translators.
 */

/** What the mock answers with; set per phase through the control endpoint. */
export interface MockProfile {
  /** Completion tokens in a JSON answer and content chunks in a stream. */
  tokens: number;
  /** Milliseconds between stream chunks (0: write the whole stream at once). */
  chunkDelayMs: number;
  /** Bytes of each token's text (the answer's size is roughly tokens × this). */
  tokenBytes: number;
  /**
   * Streams only: after the first content chunk, produce nothing more until the client says it has
   * seen that chunk (`POST /__bench/release/<user>`). A relay that buffers can then never deliver it.
   */
  gateAfterFirstChunk: boolean;
}

export const DEFAULT_PROFILE: MockProfile = {
  tokens: 16,
  chunkDelayMs: 0,
  tokenBytes: 6,
  gateAfterFirstChunk: false,
};

const CREATED = 1_700_000_000;
const ID = "chatcmpl-bench";
const MODEL = "gpt-4o-mini-2024-07-18";
const PROMPT_TOKENS = 24;

/** A token of exactly `bytes` ASCII bytes, starting with a space like BPE tokens do. */
function tokenText(index: number, bytes: number): string {
  const word = ` w${index}`;
  return word.length >= bytes ? word.slice(0, Math.max(1, bytes)) : word.padEnd(bytes, "x");
}

function usage(completionTokens: number) {
  return {
    prompt_tokens: PROMPT_TOKENS,
    completion_tokens: completionTokens,
    total_tokens: PROMPT_TOKENS + completionTokens,
    prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0 },
  };
}

export function jsonAnswer(profile: MockProfile): string {
  let content = "";
  for (let i = 0; i < profile.tokens; i++) content += tokenText(i, profile.tokenBytes);
  return JSON.stringify({
    id: ID,
    object: "chat.completion",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content, refusal: null },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: usage(profile.tokens),
  });
}

function sseEvent(payload: unknown): string {
  return `data: ${JSON.stringify(payload)}\n\n`;
}

function chunk(delta: Record<string, unknown>, finishReason: string | null, withUsage = false) {
  return {
    id: ID,
    object: "chat.completion.chunk",
    created: CREATED,
    model: MODEL,
    system_fingerprint: "fp_bench",
    choices: withUsage ? [] : [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
    ...(withUsage ? { usage: usage(0) } : {}),
  };
}

/**
 * The stream as OpenAI sends it, one network write per entry: the role chunk together with the
 * first token, one chunk per further token, then the finish chunk, the usage chunk and `[DONE]`.
 */
export function streamWrites(profile: MockProfile): string[] {
  const writes: string[] = [];
  for (let i = 0; i < profile.tokens; i++) {
    const token = sseEvent(chunk({ content: tokenText(i, profile.tokenBytes) }, null));
    const role = i === 0 ? sseEvent(chunk({ role: "assistant", content: "", refusal: null }, null)) : "";
    writes.push(role + token);
  }
  const tail = sseEvent(chunk({}, "stop"));
  const usageChunk = sseEvent({ ...chunk({}, null, true), usage: usage(profile.tokens) });
  writes.push(`${tail}${usageChunk}data: [DONE]\n\n`);
  return writes;
}
