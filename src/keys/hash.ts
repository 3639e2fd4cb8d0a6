const hex = (bytes: ArrayBuffer) =>
  [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** Compares two secrets in constant time (by comparing their SHA-256 digests, which have equal length). */
export async function secretsEqual(a: string, b: string): Promise<boolean> {
  const encoder = new TextEncoder();
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/** `sk-jn-v1-` and 64 hex characters (256 random bits). */
export function newApiKey(): string {
  return `sk-jn-v1-${hex(crypto.getRandomValues(new Uint8Array(32)).buffer)}`;
}

/** The displayable form of a key: `sk-jn-v1-abc...f00`. */
export function keyLabel(plaintext: string): string {
  return `${plaintext.slice(0, 12)}...${plaintext.slice(-3)}`;
}
