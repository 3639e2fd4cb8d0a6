/**
 * Catalog writes and export for the admin API. A write validates the whole document, refuses an
 * accidental shrink, checks the KV budgets (1,000 operations per invocation, one write per second
 * to the head), writes every versioned key, and only then flips the head: a failure part-way
 * leaves the live catalog untouched.
 */
import { z } from "zod";
import type { Env } from "../env";
import { badRequest, JunctionError } from "../errors";
import { bundledCatalog } from "./bundled";
import {
  assembleDocument,
  type CatalogHead,
  HEAD_KEY,
  HEAD_WRITE_INTERVAL_MS,
  type IndexValue,
  indexKey,
  KV_OPERATION_LIMIT,
  type MetaValue,
  metaKey,
  planOperations,
  planWrite,
  type ShardValue,
  shardKey,
} from "./layout";
import {
  CATALOG_LIMITS,
  type CatalogIssue,
  crossCheck,
  modelSchema,
  providerSchema,
  validateCatalog,
} from "./schema";
import { invalidateCatalog, readHead } from "./store";
import type { CatalogDocument } from "./types";

/** An upload that drops more than this share of the live models needs `?force=true`. */
export const MAX_REMOVED_SHARE = 0.2;

export interface WriteResult {
  version: string;
  updated_at: string;
  models: number;
  providers: number;
  shards: number;
  added_models: number;
  removed_models: number;
  unchanged: boolean;
  kv_operations: number;
}

export function invalidCatalog(issues: CatalogIssue[], prefix = "Invalid catalog"): JunctionError {
  const first = issues[0];
  return badRequest(first ? `${prefix}: ${first.path}: ${first.message}` : prefix, { issues });
}

const storageFailure = (what: string) =>
  new JunctionError(
    503,
    `Catalog storage ${what} failed; the live catalog is unchanged`,
    "server",
    {},
    {
      "retry-after": "1",
    },
  );

async function getJson<T>(env: Env, key: string): Promise<T> {
  const value = await env.CATALOG.get<T>(key, "json");
  if (value === null) throw storageFailure(`read of ${key}`);
  return value;
}

export interface StoredCatalog {
  head: CatalogHead | null;
  document: CatalogDocument;
  /** KV operations the read took */
  operations: number;
}

/** The live document, read fresh from KV (the bundled one when KV holds none). */
export async function readStoredCatalog(env: Env): Promise<StoredCatalog> {
  const head = await readHead(env);
  if (!head) return { head, document: bundledCatalog, operations: 1 };
  const shardReads = Array.from({ length: head.shards }, (_, i) =>
    getJson<ShardValue>(env, shardKey(head.version, i)),
  );
  const [meta, index, ...shards] = await Promise.all([
    getJson<MetaValue>(env, metaKey(head.version)),
    getJson<IndexValue>(env, indexKey(head.version)),
    ...shardReads,
  ]);
  return {
    head,
    document: assembleDocument(meta as MetaValue, index as IndexValue, shards as ShardValue[]),
    operations: 3 + head.shards,
  };
}

/** What is live before a write, and what reading it cost. */
export interface LiveState {
  head: CatalogHead | null;
  modelIds: string[];
  operations: number;
}

async function readLiveState(env: Env): Promise<LiveState> {
  const head = await readHead(env);
  if (!head) return { head, modelIds: bundledCatalog.models.map((m) => m.id), operations: 1 };
  return { head, modelIds: (await getJson<IndexValue>(env, indexKey(head.version))).models, operations: 2 };
}

export interface PublishOptions {
  force: boolean;
  now?: Date;
  /** Already read by the caller (PATCH reads the whole document anyway). */
  live?: LiveState;
}

function refuseShrink(before: readonly string[], removed: readonly string[]): JunctionError {
  return new JunctionError(
    409,
    `This catalog would remove ${removed.length} of ${before.length} models (more than ${
      MAX_REMOVED_SHARE * 100
    }%); repeat with ?force=true if that is intended`,
    "invalid_request",
    { removed_count: removed.length, removed_sample: removed.slice(0, 20), threshold: MAX_REMOVED_SHARE },
  );
}

/** Replaces the live catalog with `document` (already validated). */
export async function publishCatalog(
  env: Env,
  document: CatalogDocument,
  options: PublishOptions,
): Promise<WriteResult> {
  const now = options.now ?? new Date();
  const live = options.live ?? (await readLiveState(env));
  const { head } = live;
  let operations = live.operations;
  const before = live.modelIds;
  const next = new Set(document.models.map((m) => m.id));
  const removed = before.filter((id) => !next.has(id));
  const previous = new Set(before);
  const added = document.models.filter((m) => !previous.has(m.id)).length;
  if (!options.force && before.length > 0 && removed.length / before.length > MAX_REMOVED_SHARE) {
    throw refuseShrink(before, removed);
  }

  const plan = await planWrite(document, head, now);
  if (plan.head.bytes > CATALOG_LIMITS.maxBytes) {
    throw invalidCatalog([
      {
        path: "(body)",
        message: `catalog is ${plan.head.bytes} bytes; the limit is ${CATALOG_LIMITS.maxBytes}`,
      },
    ]);
  }
  const result = (unchanged: boolean, kv: number, h: CatalogHead): WriteResult => ({
    version: h.version,
    updated_at: h.updated_at,
    models: h.models,
    providers: h.providers,
    shards: h.shards,
    added_models: unchanged ? 0 : added,
    removed_models: unchanged ? 0 : removed.length,
    unchanged,
    kv_operations: kv,
  });
  if (head && head.hash === plan.head.hash) return result(true, operations, head);
  if (head && now.getTime() - Date.parse(head.updated_at) < HEAD_WRITE_INTERVAL_MS) {
    throw new JunctionError(
      429,
      "The catalog was written less than a second ago; KV allows one write per second to its head",
      "rate_limit_exceeded",
      {},
      { "retry-after": "1" },
    );
  }

  operations += planOperations(plan);
  if (operations > KV_OPERATION_LIMIT) {
    throw invalidCatalog([
      {
        path: "models",
        message: `writing this catalog needs ${operations} KV operations; the limit is ${KV_OPERATION_LIMIT}`,
      },
    ]);
  }
  const written = await Promise.allSettled(plan.puts.map(({ key, value }) => env.CATALOG.put(key, value)));
  if (written.some((w) => w.status === "rejected")) {
    await Promise.allSettled(plan.puts.map(({ key }) => env.CATALOG.delete(key)));
    throw storageFailure("write");
  }
  try {
    await env.CATALOG.put(HEAD_KEY, JSON.stringify(plan.head));
  } catch {
    throw storageFailure("head write");
  }
  invalidateCatalog(env);
  // Best effort: an orphaned old version costs storage, never correctness.
  await Promise.allSettled(plan.deletes.map((key) => env.CATALOG.delete(key)));
  return result(false, operations, plan.head);
}

export const catalogPatchSchema = z.strictObject({
  source: z.string().max(CATALOG_LIMITS.maxString).optional(),
  providers: z.array(providerSchema).max(CATALOG_LIMITS.maxProviders).optional(),
  models: z.array(modelSchema).max(CATALOG_LIMITS.maxModels).optional(),
  remove_models: z.array(z.string().max(256)).max(CATALOG_LIMITS.maxModels).optional(),
  remove_providers: z.array(z.string().max(64)).max(CATALOG_LIMITS.maxProviders).optional(),
});

export type CatalogPatch = z.infer<typeof catalogPatchSchema>;

/** Problems of a patch against the live document, with paths into the patch body. */
export function checkPatch(current: CatalogDocument, patch: CatalogPatch): CatalogIssue[] {
  const removedProviders = new Set(patch.remove_providers ?? []);
  const known = new Set(current.providers.map((p) => p.slug).filter((s) => !removedProviders.has(s)));
  const issues = crossCheck(patch.providers ?? [], patch.models ?? [], known);
  const removedModels = new Set(patch.remove_models ?? []);
  const replaced = new Set((patch.models ?? []).map((m) => m.id));
  (patch.remove_providers ?? []).forEach((slug, i) => {
    const users = current.models
      .filter((m) => !removedModels.has(m.id) && !replaced.has(m.id))
      .filter((m) => m.endpoints.some((e) => e.provider === slug))
      .map((m) => m.id);
    if (users.length > 0) {
      issues.push({
        path: `remove_providers[${i}]`,
        message: `still used by ${users.slice(0, 5).join(", ")}`,
      });
    }
  });
  return issues.slice(0, 10);
}

/** Upserts by id/slug (replacing in place, appending new ones), then removes. */
export function applyPatch(current: CatalogDocument, patch: CatalogPatch): CatalogDocument {
  const upsert = <T>(list: readonly T[], updates: readonly T[] | undefined, key: (item: T) => string) => {
    const byKey = new Map(updates?.map((u) => [key(u), u]));
    const out = list.map((item) => byKey.get(key(item)) ?? item);
    const present = new Set(list.map(key));
    for (const u of updates ?? []) if (!present.has(key(u))) out.push(u);
    return out;
  };
  const removedModels = new Set(patch.remove_models ?? []);
  const removedProviders = new Set(patch.remove_providers ?? []);
  return {
    ...current,
    ...(patch.source !== undefined ? { source: patch.source } : {}),
    providers: upsert(
      current.providers,
      patch.providers as CatalogDocument["providers"],
      (p) => p.slug,
    ).filter((p) => !removedProviders.has(p.slug)),
    models: upsert(current.models, patch.models as CatalogDocument["models"], (m) => m.id).filter(
      (m) => !removedModels.has(m.id),
    ),
  };
}

/** PATCH: validate against the live document, merge, validate the result, publish. */
export async function patchCatalog(env: Env, patch: CatalogPatch, force: boolean): Promise<WriteResult> {
  const stored = await readStoredCatalog(env);
  const patchIssues = checkPatch(stored.document, patch);
  if (patchIssues.length > 0) throw invalidCatalog(patchIssues, "Invalid catalog patch");
  const merged = validateCatalog(applyPatch(stored.document, patch));
  if (!merged.ok) throw invalidCatalog(merged.issues, "Catalog invalid after applying the patch");
  const live = {
    head: stored.head,
    modelIds: stored.document.models.map((m) => m.id),
    operations: stored.operations,
  };
  return publishCatalog(env, merged.value, { force, live });
}
