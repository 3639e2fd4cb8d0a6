/**
 * `PUT|PATCH|GET /admin/catalog` (management key): replace, upsert into, or export the catalog.
 * `?force=true` allows a write that removes more than `MAX_REMOVED_SHARE` of the live models.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import {
  catalogPatchSchema,
  invalidCatalog,
  patchCatalog,
  publishCatalog,
  readStoredCatalog,
} from "../catalog/admin";
import { CATALOG_LIMITS, validateCatalog } from "../catalog/schema";
import { JunctionError } from "../errors";
import { describeIssues } from "../schema/chat";
import { readJsonBody } from "./body";

/** A declared size over the limit is refused before the body is read. */
async function readCatalogBody(request: Request): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > CATALOG_LIMITS.maxBytes) {
    throw invalidCatalog([
      { path: "(body)", message: `catalog is ${declared} bytes; the limit is ${CATALOG_LIMITS.maxBytes}` },
    ]);
  }
  try {
    return await readJsonBody(request);
  } catch (error) {
    // Syntax errors and empty bodies get the same `issues` shape as schema problems.
    if (error instanceof JunctionError && error.status === 400) {
      throw invalidCatalog([{ path: "(body)", message: error.message }]);
    }
    throw error;
  }
}

const forced = (c: Context<AppEnv>) => c.req.query("force") === "true";

export async function putCatalog(c: Context<AppEnv>): Promise<Response> {
  const validated = validateCatalog(await readCatalogBody(c.req.raw));
  if (!validated.ok) throw invalidCatalog(validated.issues);
  return c.json({ data: await publishCatalog(c.env, validated.value, { force: forced(c) }) });
}

export async function patchCatalogRoute(c: Context<AppEnv>): Promise<Response> {
  const parsed = catalogPatchSchema.safeParse(await readCatalogBody(c.req.raw));
  if (!parsed.success) throw invalidCatalog(describeIssues(parsed.error), "Invalid catalog patch");
  return c.json({ data: await patchCatalog(c.env, parsed.data, forced(c)) });
}

export async function getCatalog(c: Context<AppEnv>): Promise<Response> {
  const { head, document } = await readStoredCatalog(c.env);
  const version = head?.version ?? "bundled";
  return c.json(document, 200, { "x-catalog-version": version, etag: `"${version}"` });
}
