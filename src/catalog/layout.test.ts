import { describe, expect, it } from "vitest";
import { bundledCatalog } from "./bundled";
import {
  assembleDocument,
  HEAD_KEY,
  type IndexValue,
  indexKey,
  KV_OPERATION_LIMIT,
  MAX_SHARDS,
  type MetaValue,
  metaKey,
  planOperations,
  planWrite,
  type ShardValue,
  shardCount,
  shardKey,
  shardOf,
  versionKeys,
} from "./layout";
import type { CatalogDocument, ModelEntry } from "./types";

const NOW = new Date("2026-11-21T12:00:00Z");

describe("shards", () => {
  it("are stable, in range, and put a variant with its base model", () => {
    expect(shardOf("meta-llama/llama-3.3-70b-instruct", 11)).toBe(
      shardOf("meta-llama/llama-3.3-70b-instruct", 11),
    );
    expect(shardOf("meta-llama/llama-3.3-70b-instruct:free", 11)).toBe(
      shardOf("meta-llama/llama-3.3-70b-instruct", 11),
    );
    for (const m of bundledCatalog.models) {
      const s = shardOf(m.id, 11);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThan(11);
    }
  });

  it("hold about 16 models each, never more than 256 shards", () => {
    expect(shardCount(1)).toBe(1);
    expect(shardCount(162)).toBe(11);
    expect(shardCount(1_000_000)).toBe(MAX_SHARDS);
  });

  it("spread the bundled catalog evenly enough (no shard over twice the mean)", () => {
    const n = shardCount(bundledCatalog.models.length);
    const counts = new Array(n).fill(0);
    for (const m of bundledCatalog.models) counts[shardOf(m.id, n)]++;
    expect(Math.max(...counts)).toBeLessThanOrEqual((2 * bundledCatalog.models.length) / n);
    expect(Math.min(...counts)).toBeGreaterThan(0);
  });
});

describe("planWrite", () => {
  it("writes meta, index, listing and every shard under a new version, and the head last", async () => {
    const plan = await planWrite(bundledCatalog, null, NOW);
    const { version, shards } = plan.head;
    expect(version).toMatch(/^[0-9a-z]+-[0-9a-f]{12}$/);
    expect(plan.puts.map((p) => p.key).sort()).toEqual(versionKeys({ version, shards }).sort());
    expect(plan.puts.some((p) => p.key === HEAD_KEY)).toBe(false);
    expect(plan.deletes).toEqual([]);
    expect(plan.head).toMatchObject({
      models: bundledCatalog.models.length,
      previous: null,
      source: bundledCatalog.source,
    });
  });

  it("round-trips: the stored parts reassemble to the document", async () => {
    const plan = await planWrite(bundledCatalog, null, NOW);
    const value = (key: string) => JSON.parse(plan.puts.find((p) => p.key === key)?.value ?? "null");
    const { version, shards } = plan.head;
    const document = assembleDocument(
      value(metaKey(version)) as MetaValue,
      value(indexKey(version)) as IndexValue,
      Array.from({ length: shards }, (_, i) => value(shardKey(version, i)) as ShardValue),
    );
    expect(document).toEqual(bundledCatalog);
  });

  it("keeps the previous version and deletes the one before it", async () => {
    const first = await planWrite(bundledCatalog, null, NOW);
    const second = await planWrite(bundledCatalog, first.head, new Date(NOW.getTime() + 5_000));
    expect(second.head.previous).toEqual({ version: first.head.version, shards: first.head.shards });
    expect(second.deletes).toEqual([]);
    const third = await planWrite(bundledCatalog, second.head, new Date(NOW.getTime() + 10_000));
    expect(third.deletes.sort()).toEqual(versionKeys(first.head).sort());
    expect(third.head.hash).toBe(first.head.hash);
  });

  it("stays within KV's 1,000 operations per invocation for the largest catalog the schema allows", async () => {
    const model = bundledCatalog.models[1] as ModelEntry;
    const huge: CatalogDocument = {
      providers: bundledCatalog.providers,
      models: Array.from({ length: 10_000 }, (_, i) => ({ ...model, id: `bulk/model-${i}` })),
    };
    const previous = await planWrite(huge, null, NOW);
    const plan = await planWrite(
      huge,
      { ...previous.head, previous: { version: "old", shards: MAX_SHARDS } },
      NOW,
    );
    // + head read + index read before the write
    expect(planOperations(plan) + 2).toBeLessThanOrEqual(KV_OPERATION_LIMIT);
    expect(plan.head.shards).toBe(MAX_SHARDS);
  });
});
