/** The model catalog in OpenRouter's shapes: `/models`, `/models/count`, `/model/...`, `/models/.../endpoints`. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { renderModel, renderModelEndpoints } from "../catalog/listing";
import {
  applyListingQuery,
  parseListingQuery,
  parseOutputModalities,
  producesAny,
  queryKey,
} from "../catalog/listing-query";
import { type LiveCatalog, loadCatalog, loadListing, rememberResponse } from "../catalog/store";
import type { ModelEntry } from "../catalog/types";
import { notFound } from "../errors";
import { listingStats } from "../stats/isolate";
import { tenantAllowsModel, tenantRefusal } from "../tenants/policy";

const json = (body: string, version: string) =>
  new Response(body, { headers: { "content-type": "application/json", "x-catalog-version": version } });

/** `/api/v1` or `/v1`: links point back at the prefix the client used. */
const prefixOf = (url: URL) => url.pathname.slice(0, url.pathname.lastIndexOf("/models"));

/** The tenant's allow-list narrows every listing; a restricted tenant's pages are cached apart. */
function tenantView<T extends { id: string }>(
  c: Context<AppEnv>,
  models: readonly T[],
): { models: readonly T[]; cacheScope: string } {
  const tenant = c.var.tenant;
  if (tenant.allowed_models === null) return { models, cacheScope: "" };
  return {
    models: models.filter((m) => tenantAllowsModel(tenant, m.id)),
    cacheScope: `${tenant.id}@${tenant.updated_at ?? tenant.created_at} `,
  };
}

/** `providers=Groq,deepinfra`: slugs or display names, case-insensitive; an unknown one is a 404. */
async function resolveProviders(c: Context<AppEnv>, wanted: string[]): Promise<string[]> {
  if (wanted.length === 0) return wanted;
  const providers = (await loadCatalog(c.env, [])).providers();
  const slugOf = new Map<string, string>();
  for (const p of providers) {
    slugOf.set(p.slug.toLowerCase(), p.slug);
    slugOf.set(p.name.toLowerCase(), p.slug);
  }
  const unknown = wanted.filter((name) => !slugOf.has(name));
  if (unknown.length > 0) {
    throw notFound(`Provider ${unknown.map((u) => JSON.stringify(u)).join(", ")} not found`, {
      providers: unknown,
    });
  }
  return wanted.map((name) => slugOf.get(name) as string);
}

export async function listModels(c: Context<AppEnv>): Promise<Response> {
  const url = new URL(c.req.url);
  const parsed = parseListingQuery(url.searchParams);
  const query = { ...parsed, providers: await resolveProviders(c, parsed.providers) };
  const listing = await loadListing(c.env);
  const { models, cacheScope } = tenantView(c, listing.models);
  const key = `${cacheScope}${prefixOf(url)} ${queryKey(query)}`;
  let body = listing.responses.get(key);
  if (body === undefined) {
    const page = applyListingQuery(models, query, listing.providersOf);
    let next: string | null = null;
    if (page.nextOffset !== null) {
      const params = new URLSearchParams(url.searchParams);
      params.set("offset", String(page.nextOffset));
      next = `${prefixOf(url)}/models?${params}`;
    }
    body = JSON.stringify({ data: page.data, total_count: page.total_count, links: { next } });
    rememberResponse(listing, key, body);
  }
  return json(body, listing.version);
}

export async function countModels(c: Context<AppEnv>): Promise<Response> {
  const outputs = parseOutputModalities(new URL(c.req.url).searchParams);
  const listing = await loadListing(c.env);
  const count = tenantView(c, listing.models).models.filter((m) => producesAny(m, outputs)).length;
  return json(JSON.stringify({ data: { count } }), listing.version);
}

/** `author/slug`, or a variant of it (`author/slug:free`) when only the base model exists. */
async function findModel(c: Context<AppEnv>): Promise<{ catalog: LiveCatalog; model: ModelEntry }> {
  const id = `${c.req.param("author")}/${c.req.param("slug")}`;
  const colon = id.lastIndexOf(":");
  const base = colon < 0 ? id : id.slice(0, colon);
  const catalog = await loadCatalog(c.env, [id]);
  const model = catalog.model(id) ?? catalog.model(base);
  // A model the tenant may not use does not exist on its host.
  if (!model || !tenantAllowsModel(c.var.tenant, model.id))
    throw notFound(`Model ${JSON.stringify(id)} not found`, { model: id });
  return { catalog, model };
}

export async function getModel(c: Context<AppEnv>): Promise<Response> {
  const { catalog, model } = await findModel(c);
  return json(JSON.stringify({ data: renderModel(model) }), catalog.version);
}

export async function listEndpoints(c: Context<AppEnv>): Promise<Response> {
  const { catalog, model } = await findModel(c);
  const endpoints = catalog.endpoints(model).filter((e) => tenantRefusal(c.var.tenant, e) === undefined);
  const stats = await listingStats(c.env, (promise) => c.executionCtx.waitUntil(promise), endpoints);
  const data = renderModelEndpoints(model, endpoints, stats);
  return json(JSON.stringify({ data }), catalog.version);
}
