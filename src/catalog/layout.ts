/**
 * How a catalog document is laid out in KV (the schema itself is documented at the top of
 * `store.ts`). Pure: builds keys and values and plans a write; the Worker's admin API and the
 * `catalog:seed` script (plain Node, hence the `.ts` imports) both execute the same plan.
 */
import { renderModel } from "./listing.ts";
import type { CatalogDocument, ModelEntry, ProviderEntry } from "./types.ts";

export const HEAD_KEY = "catalog:head";
/** KV allows one write per second to the same key; only the head is ever rewritten. */
export const HEAD_WRITE_INTERVAL_MS = 1_000;
/** A Worker invocation may make at most 1,000 KV operations. */
export const KV_OPERATION_LIMIT = 1_000;
export const MODELS_PER_SHARD = 16;
export const MAX_SHARDS = 256;

export interface VersionRef {
  version: string;
  shards: number;
}

/** `catalog:head`: the only mutable key; names the live version. */
export interface CatalogHead extends VersionRef {
  /** SHA-256 of the document text: an identical upload is a no-op. */
  hash: string;
  models: number;
  providers: number;
  bytes: number;
  source: string | null;
  updated_at: string;
  /** Kept readable so isolates still on it can finish loading; deleted by the next write. */
  previous: VersionRef | null;
}

/** `catalog:<version>:meta`: everything but the models. */
export interface MetaValue {
  document: Record<string, unknown>;
  providers: ProviderEntry[];
  /** alias → model id, so a request naming an alias finds its model's shard. */
  aliases?: Record<string, string>;
}

/** alias → model id for every model that declares `aliases`. */
export function aliasMap(models: readonly ModelEntry[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (const model of models) {
    if (Array.isArray(model.aliases)) for (const alias of model.aliases as string[]) map[alias] = model.id;
  }
  return map;
}

export interface ShardValue {
  models: ModelEntry[];
}

/** `catalog:<version>:index`: model ids in document order (export order, shrinkage guard). */
export interface IndexValue {
  models: string[];
}

/** `catalog:<version>:listing`: `GET /models` items, pre-rendered in document order. */
export interface ListingValue {
  models: ReturnType<typeof renderModel>[];
  /** provider slugs of each model's endpoints, for the `providers` filter (not sent to clients) */
  providers: string[][];
}

export function listingOf(models: readonly ModelEntry[]): ListingValue {
  return {
    models: models.map(renderModel),
    providers: models.map((m) => [...new Set(m.endpoints.map((e) => e.provider))]),
  };
}

export const metaKey = (version: string) => `catalog:${version}:meta`;
export const indexKey = (version: string) => `catalog:${version}:index`;
export const listingKey = (version: string) => `catalog:${version}:listing`;
export const shardKey = (version: string, shard: number) => `catalog:${version}:shard:${shard}`;

export function versionKeys({ version, shards }: VersionRef): string[] {
  const keys = [metaKey(version), indexKey(version), listingKey(version)];
  for (let i = 0; i < shards; i++) keys.push(shardKey(version, i));
  return keys;
}

/** Variants (`:free`, `:nitro`, ...) live in their base model's shard, so routing finds both. */
export function baseModelId(id: string): string {
  const colon = id.indexOf(":");
  return colon === -1 ? id : id.slice(0, colon);
}

/** FNV-1a over the base id: stable across isolates, deploys and runtimes. */
export function shardOf(id: string, shards: number): number {
  const base = baseModelId(id);
  let hash = 0x811c9dc5;
  for (let i = 0; i < base.length; i++) {
    hash ^= base.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}

export function shardCount(models: number): number {
  return Math.min(MAX_SHARDS, Math.max(1, Math.ceil(models / MODELS_PER_SHARD)));
}

export function splitIntoShards(models: readonly ModelEntry[], shards: number): ModelEntry[][] {
  const out: ModelEntry[][] = Array.from({ length: shards }, () => []);
  for (const model of models) out[shardOf(model.id, shards)]?.push(model);
  return out;
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export interface KvPut {
  key: string;
  value: string;
}

export interface WritePlan {
  head: CatalogHead;
  /** Written (in any order) before the head; invisible until the head names their version. */
  puts: KvPut[];
  /** Deleted after the head: the version before the previous one. */
  deletes: string[];
}

/** Head, puts and deletes, counted as KV operations. */
export const planOperations = (plan: WritePlan) => plan.puts.length + 1 + plan.deletes.length;

/**
 * Lays a validated document out as versioned, immutable keys plus a new head. The version is
 * new on every write (time + content hash), so a key is never rewritten and readers never see a
 * mix of two catalogs: they follow the head, which is written last.
 */
export async function planWrite(
  document: CatalogDocument,
  current: CatalogHead | null,
  now: Date,
): Promise<WritePlan> {
  const text = JSON.stringify(document);
  const hash = await sha256Hex(text);
  const shards = shardCount(document.models.length);
  const version = `${now.getTime().toString(36)}-${hash.slice(0, 12)}`;
  const { providers, models, ...rest } = document;
  const puts: KvPut[] = [
    {
      key: metaKey(version),
      value: JSON.stringify({ document: rest, providers, aliases: aliasMap(models) } satisfies MetaValue),
    },
    {
      key: indexKey(version),
      value: JSON.stringify({ models: models.map((m) => m.id) } satisfies IndexValue),
    },
    {
      key: listingKey(version),
      value: JSON.stringify(listingOf(models)),
    },
    ...splitIntoShards(models, shards).map((shard, i) => ({
      key: shardKey(version, i),
      value: JSON.stringify({ models: shard } satisfies ShardValue),
    })),
  ];
  const stale = current?.previous;
  const deletes = stale && stale.version !== current?.version ? versionKeys(stale) : [];
  const head: CatalogHead = {
    version,
    hash,
    shards,
    models: models.length,
    providers: providers.length,
    bytes: new TextEncoder().encode(text).byteLength,
    source: typeof document.source === "string" ? document.source : null,
    updated_at: now.toISOString(),
    previous: current ? { version: current.version, shards: current.shards } : null,
  };
  return { head, puts, deletes };
}

/** Reassembles a document from its stored parts, models in their original order. */
export function assembleDocument(meta: MetaValue, index: IndexValue, shards: ShardValue[]): CatalogDocument {
  const byId = new Map<string, ModelEntry>();
  for (const shard of shards) for (const model of shard.models) byId.set(model.id, model);
  const models = index.models.flatMap((id) => {
    const model = byId.get(id);
    return model ? [model] : [];
  });
  return { ...meta.document, providers: meta.providers, models };
}
