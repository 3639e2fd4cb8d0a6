/**
 * BYOK provider keys at rest: AES-256-GCM with a key derived by HKDF-SHA-256 from `MASTER_KEY`
 * and the tenant id, and the tenant and provider bound as additional data — so a ciphertext
 * copied to another tenant or provider does not decrypt. WebCrypto only.
 */
import { sha256Hex } from "../keys/hash";
import type { ByokEntry } from "./types";

const encoder = new TextEncoder();
const derived = new Map<string, Promise<CryptoKey>>();

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

function tenantKey(masterKey: string, tenantId: string): Promise<CryptoKey> {
  const cacheKey = `${tenantId}\u0000${masterKey}`;
  let key = derived.get(cacheKey);
  if (!key) {
    key = crypto.subtle
      .importKey("raw", encoder.encode(masterKey), "HKDF", false, ["deriveKey"])
      .then((material) =>
        crypto.subtle.deriveKey(
          {
            name: "HKDF",
            hash: "SHA-256",
            salt: encoder.encode("junction-byok-v1"),
            info: encoder.encode(tenantId),
          },
          material,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        ),
      );
    if (derived.size > 1_000) derived.clear();
    derived.set(cacheKey, key);
  }
  return key;
}

export async function fingerprint(plaintext: string): Promise<string> {
  return `sha256:${(await sha256Hex(plaintext)).slice(0, 16)}`;
}

export async function encryptByok(
  masterKey: string,
  tenantId: string,
  provider: string,
  plaintext: string,
): Promise<ByokEntry> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: encoder.encode(`${tenantId}/${provider}`) },
    await tenantKey(masterKey, tenantId),
    encoder.encode(plaintext),
  );
  return {
    ciphertext: toBase64(new Uint8Array(sealed)),
    iv: toBase64(iv),
    fingerprint: await fingerprint(plaintext),
    created_at: new Date().toISOString(),
  };
}

export async function decryptByok(
  masterKey: string,
  tenantId: string,
  provider: string,
  entry: ByokEntry,
): Promise<string> {
  const opened = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64(entry.iv), additionalData: encoder.encode(`${tenantId}/${provider}`) },
    await tenantKey(masterKey, tenantId),
    fromBase64(entry.ciphertext),
  );
  return new TextDecoder().decode(opened);
}
