const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/** `gen-<unix seconds>-<20 random base62 chars>`, the shape OpenRouter's generation ids have. */
export function generationId(nowMs: number): string {
  const bytes = crypto.getRandomValues(new Uint8Array(20));
  let suffix = "";
  for (const b of bytes) suffix += ALPHABET[b % 62];
  return `gen-${Math.floor(nowMs / 1000)}-${suffix}`;
}
