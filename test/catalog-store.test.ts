/** The hot path's catalog reads: only the shards asked for, memoised, coalesced, following new versions. */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { publishCatalog } from "../src/catalog/admin";
import { bundledCatalog } from "../src/catalog/bundled";
import { HEAD_KEY, metaKey, shardKey, shardOf } from "../src/catalog/layout";
import { CATALOG_TTL_MS, loadCatalog, loadListing } from "../src/catalog/store";
import type { CatalogDocument } from "../src/catalog/types";
import type { Env } from "../src/env";

/** An env whose KV namespace records every call (and is a namespace of its own for the memo). */
function countingEnv(): { env: Env; ops: string[] } {
  const ops: string[] = [];
  const kv = new Proxy(env.CATALOG, {
    get(target, property) {
      const value = Reflect.get(target, property);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        ops.push(`${String(property)} ${String(args[0])}`);
        return value.apply(target, args);
      };
    },
  });
  return { env: { ...(env as Env), CATALOG: kv }, ops };
}

const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const SHARDS = 11;
/** A model that lives in another shard than LLAMA. */
const OTHER = bundledCatalog.models.find((m) => shardOf(m.id, SHARDS) !== shardOf(LLAMA, SHARDS))
  ?.id as string;

let clock = Date.now();
/** Each write two seconds after the last, so KV's one-write-per-second head limit never applies. */
function nextWrite(): Date {
  clock += 2_000;
  return new Date(clock);
}

function withPrice(prompt: string): CatalogDocument {
  const doc = structuredClone(bundledCatalog);
  const llama = doc.models.find((m) => m.id === LLAMA);
  if (llama?.endpoints[0]) llama.endpoints[0].pricing.prompt = prompt;
  return doc;
}

afterEach(() => vi.restoreAllMocks());

describe("an empty namespace", () => {
  it("serves the bundled catalog after one head read, and nothing more while fresh", async () => {
    const { env: e, ops } = countingEnv();
    const catalog = await loadCatalog(e, [LLAMA]);
    expect(catalog.version).toBe("bundled");
    expect(catalog.model(LLAMA)?.endpoints.length).toBeGreaterThan(5);
    await loadCatalog(e, [OTHER]);
    await loadListing(e);
    expect(ops).toEqual([`get ${HEAD_KEY}`]);
  });
});

describe("a catalog in KV", () => {
  it("setup: publish", async () => {
    const result = await publishCatalog(env as Env, withPrice("0.0000005"), {
      force: false,
      now: nextWrite(),
    });
    expect(result.shards).toBe(SHARDS);
  });

  it("cold: a lookup reads the head, the providers and the one shard holding the model", async () => {
    const { env: e, ops } = countingEnv();
    const head = (await env.CATALOG.get(HEAD_KEY, "json")) as { version: string };
    const catalog = await loadCatalog(e, [LLAMA]);
    expect(ops.sort()).toEqual(
      [
        `get ${HEAD_KEY}`,
        `get ${metaKey(head.version)}`,
        `get ${shardKey(head.version, shardOf(LLAMA, SHARDS))}`,
      ].sort(),
    );
    expect(catalog.model(LLAMA)?.endpoints[0]?.pricing.prompt).toBe("0.0000005");
    expect(catalog.endpoints(catalog.model(LLAMA) as never).map((r) => r.provider.slug)).toContain("groq");
    // The rest of the catalog was neither read nor parsed.
    expect(() => catalog.model(OTHER)).toThrow(/not loaded/);

    ops.length = 0;
    await loadCatalog(e, [LLAMA]);
    expect(ops).toEqual([]); // warm: zero KV reads
    await loadCatalog(e, [OTHER]);
    expect(ops).toEqual([`get ${shardKey(head.version, shardOf(OTHER, SHARDS))}`]);
  });

  it("a variant and an unknown id are answered from the shard of their base id", async () => {
    const { env: e, ops } = countingEnv();
    const catalog = await loadCatalog(e, [`${LLAMA}:nitro`, "nobody/nothing"]);
    expect(catalog.model(LLAMA)).toBeDefined();
    expect(catalog.model("nobody/nothing")).toBeUndefined();
    expect(ops.filter((op) => op.includes(":shard:")).length).toBeLessThanOrEqual(2);
  });

  it("concurrent cold loads share their reads", async () => {
    const { env: e, ops } = countingEnv();
    await Promise.all(Array.from({ length: 20 }, () => loadCatalog(e, [LLAMA])));
    expect(ops.length).toBe(3);
  });

  it("a full load (listing, export) stays far inside 1,000 KV operations", async () => {
    const { env: e, ops } = countingEnv();
    await loadCatalog(e);
    await loadListing(e);
    expect(ops.length).toBe(2 + SHARDS + 1);
  });

  it("after the TTL an isolate re-reads only the head, and notices a new version", async () => {
    const { env: e, ops } = countingEnv();
    await loadCatalog(e, [LLAMA]);
    const now = Date.now();
    vi.spyOn(Date, "now").mockReturnValue(now + CATALOG_TTL_MS + 1);
    ops.length = 0;
    await loadCatalog(e, [LLAMA]);
    expect(ops).toEqual([`get ${HEAD_KEY}`]); // same version: shards kept

    await publishCatalog(env as Env, withPrice("0.0000007"), { force: false, now: nextWrite() });
    const stale = await loadCatalog(e, [LLAMA]);
    expect(stale.model(LLAMA)?.endpoints[0]?.pricing.prompt).toBe("0.0000005"); // within the TTL

    vi.spyOn(Date, "now").mockReturnValue(now + 2 * CATALOG_TTL_MS + 2);
    const fresh = await loadCatalog(e, [LLAMA]);
    expect(fresh.version).not.toBe(stale.version);
    expect(fresh.model(LLAMA)?.endpoints[0]?.pricing.prompt).toBe("0.0000007");
  });

  it("an isolate whose version was deleted under it follows the head instead of failing", async () => {
    const { env: e } = countingEnv();
    const old = await loadCatalog(e, [LLAMA]);
    // Two more writes: the version `old` knows is deleted by the second.
    await publishCatalog(env as Env, withPrice("0.0000008"), { force: false, now: nextWrite() });
    await publishCatalog(env as Env, withPrice("0.0000009"), { force: false, now: nextWrite() });
    expect(await env.CATALOG.get(metaKey(old.version))).toBeNull();
    const recovered = await loadCatalog(e, [OTHER]);
    expect(recovered.version).not.toBe(old.version);
    expect(recovered.model(OTHER)).toBeDefined();
    const listing = await loadListing(e);
    expect(listing.version).toBe(recovered.version);
  });
});

describe("a head naming a version that does not exist", () => {
  it("is a 503 from the listing endpoints, not a 500", async () => {
    const head = (await env.CATALOG.get(HEAD_KEY, "json")) as Record<string, unknown>;
    await env.CATALOG.put(
      HEAD_KEY,
      JSON.stringify({ ...head, version: "gone-000000000000", previous: null }),
    );
    const { env: e } = countingEnv();
    const error = await loadCatalog(e, [LLAMA]).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ status: 503, errorType: "server" });
    await env.CATALOG.put(HEAD_KEY, JSON.stringify(head));
  });
});

describe("a read that never settles (its request was cancelled)", () => {
  it("holds up the requests that joined it for at most the patience window, then they read for themselves", async () => {
    await publishCatalog(env as Env, withPrice("0.0000006"), { force: false, now: nextWrite() });
    let hung = false;
    const kv = new Proxy(env.CATALOG, {
      get(target, property) {
        const value = Reflect.get(target, property);
        if (property !== "get") return typeof value === "function" ? value.bind(target) : value;
        return (key: string, options: unknown) => {
          if (key.includes(":shard:") && !hung) {
            hung = true;
            return new Promise(() => {});
          }
          return target.get(key, options as never);
        };
      },
    });
    const e = { ...(env as Env), CATALOG: kv };
    void loadCatalog(e, [LLAMA]); // its shard read hangs forever
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    const catalog = await loadCatalog(e, [LLAMA]);
    expect(catalog.model(LLAMA)?.endpoints[0]?.pricing.prompt).toBe("0.0000006");
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
