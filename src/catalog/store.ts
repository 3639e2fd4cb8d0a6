/**
 * Catalog access for the hot path: KV-backed, sharded, memoised per isolate.
 *
 * KV storage schema (namespace `CATALOG`, shared with `key:` records of src/keys/store.ts):
 *
 *   catalog:head                       → CatalogHead JSON: { version, hash, shards, models, providers,
 *                                        bytes, source, updated_at, previous: {version, shards}|null }
 *                                        The only key ever rewritten (≤ 1 write/s, enforced by the
 *                                        admin API). Its `version` is the version tag isolates poll.
 *   catalog:<version>:meta             → { document: top-level fields but models/providers, providers: [...] }
 *   catalog:<version>:index            → { models: [id, ...] } in document order
 *   catalog:<version>:listing          → { models: [OpenRouter model, ...] } pre-rendered `GET /models`
 *   catalog:<version>:shard:<n>        → { models: [ModelEntry, ...] } for n in 0 ≤ n < head.shards
 *
 * A model lives in shard `fnv1a(base id) % head.shards` (base id: the id without a `:variant`),
 * with about 16 models per shard and at most 256 shards. `<version>` is `<time base36>-<sha256
 * prefix>`, new on every write, so versioned keys are immutable: an upload writes all of them
 * first and the head last, and readers, who always start from the head, never see half a catalog.
 * The previous version stays readable until the next write (isolates may still be loading it).
 * When the namespace has no head, the bundled catalog (src/catalog/bundled.ts) is served.
 *
 * Reads: an isolate re-reads the head at most once per `CATALOG_TTL_MS`; a cold request for a
 * model reads meta + that model's shard (2 KV reads, in parallel) and parses only those. Warm
 * requests read nothing. Concurrent loads of the same key share one read. A full load (listing,
 * export) is meta + index + every shard: at most 258 operations, under the 1,000 per invocation.
 */
import type { Env } from "../env";
import { JunctionError } from "../errors";
import { bundledCatalog } from "./bundled";
import {
  aliasMap,
  type CatalogHead,
  HEAD_KEY,
  type ListingValue,
  listingKey,
  listingOf,
  type MetaValue,
  metaKey,
  type ShardValue,
  shardKey,
  shardOf,
} from "./layout";
import type { ListedModel } from "./listing";
import type { ModelEntry, ProviderEntry, ResolvedEndpoint } from "./types";

/** What routing needs; kept minimal so tests can hand `plan` a catalog of their own. */
export interface Catalog {
  /** Throws if `id`'s shard was not loaded: pass every id you will look up to `loadCatalog`. */
  model(id: string): ModelEntry | undefined;
  provider(slug: string): ProviderEntry | undefined;
  /** The model's endpoints joined with their providers, in catalog order. */
  endpoints(model: ModelEntry): ResolvedEndpoint[];
}

/** A catalog as loaded from KV (or the bundled one). */
export interface LiveCatalog extends Catalog {
  /** The version tag of what is loaded (`bundled` for the built-in catalog). */
  readonly version: string;
  providers(): readonly ProviderEntry[];
}

/** How long an isolate trusts its copy before re-reading the head (KV itself propagates in ~60 s). */
export const CATALOG_TTL_MS = 60_000;
/** A coalesced waiter stops waiting for another request's read after this long and reads itself. */
const SHARED_READ_PATIENCE_MS = 2_000;
/** Versioned keys never change, so KV's edge cache may keep them long. */
const IMMUTABLE_CACHE_TTL_S = 86_400;
const LISTING_RESPONSES_MAX = 32;

/** The models of the shards loaded so far, joined lazily with providers. */
class LoadedCatalog implements LiveCatalog {
  private readonly models = new Map<string, ModelEntry>();
  private readonly bySlug = new Map<string, ProviderEntry>();
  private readonly joined = new Map<string, ResolvedEndpoint[]>();
  private readonly loadedShards = new Set<number>();
  private providerList: readonly ProviderEntry[] = [];
  private aliases: Readonly<Record<string, string>> = {};

  constructor(
    readonly version: string,
    readonly shards: number,
  ) {}

  addShard(index: number, models: readonly ModelEntry[]): void {
    for (const model of models) this.models.set(model.id, model);
    this.loadedShards.add(index);
  }

  setProviders(providers: readonly ProviderEntry[], aliases: Readonly<Record<string, string>> = {}): void {
    this.providerList = providers;
    for (const provider of providers) this.bySlug.set(provider.slug, provider);
    this.aliases = aliases;
  }

  /** The model id an alias names, or the id itself. */
  canonical(id: string): string {
    return this.aliases[id] ?? id;
  }

  hasShard(index: number): boolean {
    return this.loadedShards.has(index);
  }

  covers(id: string): boolean {
    const canonical = this.canonical(id);
    return this.models.has(canonical) || this.loadedShards.has(shardOf(canonical, this.shards));
  }

  model(id: string): ModelEntry | undefined {
    const model = this.models.get(this.canonical(id));
    if (model || this.covers(id)) return model;
    throw new Error(`catalog shard for ${JSON.stringify(id)} not loaded; pass the id to loadCatalog`);
  }

  provider(slug: string): ProviderEntry | undefined {
    return this.bySlug.get(slug);
  }

  providers(): readonly ProviderEntry[] {
    return this.providerList;
  }

  endpoints(model: ModelEntry): ResolvedEndpoint[] {
    let list = this.joined.get(model.id);
    if (!list) {
      list = model.endpoints.flatMap((endpoint) => {
        const provider = this.bySlug.get(endpoint.provider);
        return provider ? [{ model, endpoint, provider }] : [];
      });
      this.joined.set(model.id, list);
    }
    return list;
  }
}

export interface Listing {
  version: string;
  models: readonly ListedModel[];
  /** provider slugs serving a model */
  providersOf(id: string): readonly string[];
  /** Serialized responses by normalised query, so a repeated listing is a Map read. */
  responses: Map<string, string>;
}

/** One catalog version as this isolate knows it. */
interface Snapshot {
  head: CatalogHead | null;
  catalog: LoadedCatalog;
  /** Every shard and the providers are in memory (always so for the bundled catalog). */
  complete: boolean;
  reads: Map<string, SharedRead<unknown>>;
  listing?: Promise<Listing>;
}

interface SharedRead<T> {
  promise: Promise<T>;
  startedAt: number;
}

interface NamespaceState {
  snapshot?: Snapshot;
  checkedAt: number;
  headRead?: SharedRead<CatalogHead | null>;
}

/** Per KV namespace, so test files (and any future per-tenant namespaces) never share a copy. */
const states = new WeakMap<KVNamespace, NamespaceState>();

class StaleVersion extends Error {}

let bundledSnapshot: Snapshot | undefined;

function bundled(): Snapshot {
  if (!bundledSnapshot) {
    const catalog = new LoadedCatalog("bundled", 1);
    catalog.setProviders(bundledCatalog.providers, aliasMap(bundledCatalog.models));
    catalog.addShard(0, bundledCatalog.models);
    bundledSnapshot = { head: null, catalog, complete: true, reads: new Map() };
  }
  return bundledSnapshot;
}

function stateOf(env: Env): NamespaceState {
  let state = states.get(env.CATALOG);
  if (!state) {
    state = { checkedAt: 0 };
    states.set(env.CATALOG, state);
  }
  return state;
}

/**
 * Joins an in-flight read of the same thing, or starts one. A waiter gives up on a read that
 * another request started once it is older than the patience window: a cancelled request's
 * read would otherwise never settle.
 */
async function shared<T>(
  slot: { get(): SharedRead<T> | undefined; set(read: SharedRead<T> | undefined): void },
  start: () => Promise<T>,
): Promise<T> {
  const now = Date.now();
  const existing = slot.get();
  if (existing && now - existing.startedAt < SHARED_READ_PATIENCE_MS) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), SHARED_READ_PATIENCE_MS - (now - existing.startedAt));
    });
    const result = await Promise.race([existing.promise, giveUp]);
    if (timer !== undefined) clearTimeout(timer);
    if (result !== "timeout") return result as T;
  }
  const read: SharedRead<T> = { promise: start(), startedAt: now };
  slot.set(read);
  try {
    return await read.promise;
  } finally {
    if (slot.get() === read) slot.set(undefined);
  }
}

async function readJson<T>(env: Env, key: string, immutable: boolean): Promise<T | null> {
  const text = immutable
    ? await env.CATALOG.get(key, { type: "text", cacheTtl: IMMUTABLE_CACHE_TTL_S })
    : await env.CATALOG.get(key, "text");
  return text === null ? null : (JSON.parse(text) as T);
}

function snapshotFor(head: CatalogHead | null): Snapshot {
  if (!head) return bundled();
  return {
    head,
    catalog: new LoadedCatalog(head.version, head.shards),
    complete: false,
    reads: new Map(),
  };
}

/** The current snapshot, re-reading the head when the TTL has passed (or when forced). */
async function current(env: Env, force = false): Promise<Snapshot> {
  const state = stateOf(env);
  const now = Date.now();
  if (!force && state.snapshot && now - state.checkedAt < CATALOG_TTL_MS) return state.snapshot;
  const head = await shared({ get: () => state.headRead, set: (read) => (state.headRead = read) }, () =>
    readJson<CatalogHead>(env, HEAD_KEY, false),
  );
  if (state.snapshot?.head?.version !== head?.version || !state.snapshot) state.snapshot = snapshotFor(head);
  state.checkedAt = Date.now();
  return state.snapshot;
}

/** Reads one immutable key of the snapshot's version once; a missing key means the version is gone. */
function readPart<T>(env: Env, snapshot: Snapshot, key: string): Promise<T> {
  return shared(
    {
      get: () => snapshot.reads.get(key) as SharedRead<T> | undefined,
      set: (read) => (read ? snapshot.reads.set(key, read) : snapshot.reads.delete(key)),
    },
    async () => {
      const value = await readJson<T>(env, key, true);
      if (value === null) throw new StaleVersion(key);
      return value;
    },
  );
}

async function ensureProviders(env: Env, snapshot: Snapshot): Promise<void> {
  if (snapshot.complete || snapshot.catalog.providers().length > 0 || !snapshot.head) return;
  const meta = await readPart<MetaValue>(env, snapshot, metaKey(snapshot.head.version));
  snapshot.catalog.setProviders(meta.providers, meta.aliases);
}

async function ensureShard(env: Env, snapshot: Snapshot, index: number): Promise<void> {
  if (snapshot.catalog.hasShard(index) || !snapshot.head) return;
  const shard = await readPart<ShardValue>(env, snapshot, shardKey(snapshot.head.version, index));
  snapshot.catalog.addShard(index, shard.models);
}

function missingShards(snapshot: Snapshot, ids: readonly string[] | undefined): number[] {
  const { catalog } = snapshot;
  if (ids === undefined) {
    return Array.from({ length: catalog.shards }, (_, i) => i).filter((i) => !catalog.hasShard(i));
  }
  const missing = new Set<number>();
  for (const id of ids) if (!catalog.covers(id)) missing.add(shardOf(catalog.canonical(id), catalog.shards));
  return [...missing];
}

async function load(env: Env, ids: readonly string[] | undefined, force: boolean): Promise<LiveCatalog> {
  const snapshot = await current(env, force);
  if (snapshot.complete) return snapshot.catalog;
  const missing = missingShards(snapshot, ids);
  if (missing.length > 0 || snapshot.catalog.providers().length === 0) {
    await Promise.all([ensureProviders(env, snapshot), ...missing.map((i) => ensureShard(env, snapshot, i))]);
    // The meta just read may name aliases whose models live in other shards: one more read.
    const aliased = missingShards(snapshot, ids);
    if (aliased.length > 0) await Promise.all(aliased.map((i) => ensureShard(env, snapshot, i)));
  }
  if (ids === undefined) snapshot.complete = true;
  return snapshot.catalog;
}

/**
 * The catalog, loaded far enough to answer `model(id)` for every id in `ids` (their shards and
 * the providers). Without `ids`, every shard is loaded: fine for listings, not for the hot path.
 */
export async function loadCatalog(env: Env, ids?: readonly string[]): Promise<LiveCatalog> {
  try {
    return await load(env, ids, false);
  } catch (error) {
    if (!(error instanceof StaleVersion)) throw error;
  }
  // The version this isolate knew was replaced and then removed: follow the new head, once.
  try {
    return await load(env, ids, true);
  } catch (error) {
    if (error instanceof StaleVersion) throw inconsistent(error);
    throw error;
  }
}

/** The head names a version whose keys are missing: storage, not the caller, is at fault. */
function inconsistent(error: StaleVersion): JunctionError {
  return new JunctionError(
    503,
    `Catalog storage is missing ${error.message}`,
    "server",
    {},
    { "retry-after": "5" },
  );
}

async function readListing(env: Env, snapshot: Snapshot): Promise<Listing> {
  const value = snapshot.head
    ? await readPart<ListingValue>(env, snapshot, listingKey(snapshot.head.version))
    : listingOf(bundledCatalog.models);
  const byId = new Map(value.models.map((m, i) => [m.id, value.providers[i] ?? []]));
  return {
    version: snapshot.catalog.version,
    models: value.models,
    providersOf: (id) => byId.get(id) ?? [],
    responses: new Map(),
  };
}

/** The pre-rendered `GET /models` listing of the current version. */
export async function loadListing(env: Env): Promise<Listing> {
  const snapshot = await current(env);
  snapshot.listing ??= readListing(env, snapshot).catch((error: unknown) => {
    snapshot.listing = undefined;
    throw error;
  });
  try {
    return await snapshot.listing;
  } catch (error) {
    if (!(error instanceof StaleVersion)) throw error;
    const fresh = await current(env, true);
    fresh.listing ??= readListing(env, fresh).catch((again: unknown) => {
      fresh.listing = undefined;
      throw again instanceof StaleVersion ? inconsistent(again) : again;
    });
    return fresh.listing;
  }
}

/** Remembers a rendered listing response, oldest first out. */
export function rememberResponse(listing: Listing, key: string, body: string): void {
  if (listing.responses.size >= LISTING_RESPONSES_MAX) {
    const oldest = listing.responses.keys().next().value;
    if (oldest !== undefined) listing.responses.delete(oldest);
  }
  listing.responses.set(key, body);
}

/** After a write in this isolate: the next request re-reads the head. */
export function invalidateCatalog(env: Env): void {
  states.delete(env.CATALOG);
}

/** The live head (fresh from KV, not the memo), or null when the bundled catalog is served. */
export function readHead(env: Env): Promise<CatalogHead | null> {
  return readJson<CatalogHead>(env, HEAD_KEY, false);
}
