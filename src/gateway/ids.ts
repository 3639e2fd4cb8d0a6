const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** Hex characters of the key's hash carried in its generation ids. */
export const KEY_PREFIX_LENGTH = 10;

/**
 * `gen-<unix seconds>-<20 chars>`, the shape of OpenRouter's generation ids. The first ten
 * characters are the start of the owning key's hash, so a management key can find the key's
 * ledger from the id alone; the other ten are random.
 */
export function generationId(nowMs: number, keyHash: string): string {
  const bytes = crypto.getRandomValues(new Uint8Array(10));
  let suffix = "";
  for (const b of bytes) suffix += ALPHABET[b % 62];
  return `gen-${Math.floor(nowMs / 1000)}-${keyHash.slice(0, KEY_PREFIX_LENGTH)}${suffix}`;
}

/** The key-hash prefix inside a generation id, or undefined when the id is not one of ours. */
export function keyPrefixOf(id: string): string | undefined {
  const match = /^gen-\d+-([0-9a-f]{10})[0-9A-Za-z]{10}$/.exec(id);
  return match?.[1];
}
