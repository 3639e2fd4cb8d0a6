/**
 * The chat requests every part of the bench sends: a realistic conversation (system prompt, turns
 * of user and assistant text) grown to a target size with deterministic English-like words.
 */

export const BENCH_MODEL = "openai/gpt-4o-mini";

const WORDS =
  "the of and to in is you that it he was for on are as with his they at be this have from or one had by word but not what all were we when your can said there use an each which she do how their if will up other about out many then them these so some her would make like him into time has look two more write go see number no way could people my than first water been call who oil its now find long down day did get come made may part".split(
    " ",
  );

/** Deterministic text of `bytes` ASCII bytes (a linear congruential walk over common words). */
export function prose(bytes: number, seed = 1): string {
  let state = seed;
  let text = "";
  while (text.length < bytes) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const word = WORDS[state % WORDS.length] as string;
    text += text.length === 0 ? word : state % 11 === 0 ? `. ${word}` : ` ${word}`;
  }
  return text.slice(0, bytes);
}

export interface RequestShape {
  /** Approximate size of the JSON body in bytes. */
  bytes: number;
  stream?: boolean;
  /** The OpenAI `user` field; the mock uses it to name a stream. */
  user?: string;
}

/** A compact JSON chat request of about `shape.bytes` bytes, spread over eight messages. */
export function chatRequestJson(shape: RequestShape): string {
  const envelope = {
    model: BENCH_MODEL,
    messages: [] as { role: string; content: string }[],
    temperature: 0.7,
    max_tokens: 256,
    ...(shape.stream ? { stream: true } : {}),
    ...(shape.user ? { user: shape.user } : {}),
  };
  const overhead = JSON.stringify(envelope).length + 8 * 40;
  const perMessage = Math.max(16, Math.floor((shape.bytes - overhead) / 8));
  const roles = ["system", "user", "assistant", "user", "assistant", "user", "assistant", "user"];
  envelope.messages = roles.map((role, i) => ({ role, content: prose(perMessage, i + 1) }));
  return JSON.stringify(envelope);
}
