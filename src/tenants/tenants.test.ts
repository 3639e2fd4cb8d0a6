import { describe, expect, it } from "vitest";
import { decryptByok, encryptByok } from "./byok";
import { chargedAtto, effectivePreferences, globMatches } from "./policy";
import { defaultTenant } from "./types";

describe("BYOK encryption", () => {
  it("round-trips, and a ciphertext moved to another tenant or provider does not decrypt", async () => {
    const entry = await encryptByok("master", "acme", "groq", "gsk_secret");
    expect(entry.ciphertext).not.toContain("gsk_secret");
    expect(entry.fingerprint).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(await decryptByok("master", "acme", "groq", entry)).toBe("gsk_secret");
    await expect(decryptByok("master", "other", "groq", entry)).rejects.toThrow();
    await expect(decryptByok("master", "acme", "together", entry)).rejects.toThrow();
    await expect(decryptByok("another master", "acme", "groq", entry)).rejects.toThrow();
  });
  it("uses a fresh IV each time", async () => {
    const a = await encryptByok("m", "t", "p", "same");
    const b = await encryptByok("m", "t", "p", "same");
    expect(a.iv).not.toBe(b.iv);
    expect(a.fingerprint).toBe(b.fingerprint);
  });
});

describe("tenant policy", () => {
  it("globs match whole ids, * as any run, case-insensitively", () => {
    expect(globMatches("meta-llama/*", "meta-llama/llama-3.3-70b-instruct")).toBe(true);
    expect(globMatches("meta-llama/*", "openai/gpt-4o")).toBe(false);
    expect(globMatches("*:free", "x/y:free")).toBe(true);
    expect(globMatches("openai", "OpenAI")).toBe(true);
    expect(globMatches("open.i", "openai")).toBe(false);
  });
  it("request preferences override tenant defaults; the data floor cannot be loosened", () => {
    const tenant = {
      ...defaultTenant(),
      provider_defaults: { sort: "price" as const, ignore: ["x"] },
      data_policy_floor: { data_collection: "deny" as const },
    };
    expect(effectivePreferences(tenant, { sort: "latency", data_collection: "allow" })).toEqual({
      sort: "latency",
      ignore: ["x"],
      data_collection: "deny",
    });
  });
  it("markups and discounts apply exactly", () => {
    const tenant = { ...defaultTenant(), price_markup: 0.25 };
    expect(chargedAtto(tenant, 1_000_000n)).toBe(1_250_000n);
    expect(chargedAtto({ ...tenant, price_markup: -0.1 }, 1_000_000n)).toBe(900_000n);
    expect(chargedAtto({ ...tenant, price_markup: 0 }, 7n)).toBe(7n);
  });
});
