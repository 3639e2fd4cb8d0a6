/** The HTTP surface: OpenRouter's `/api/v1` and OpenAI's `/v1` over the same routes. */
import { Hono, type MiddlewareHandler } from "hono";
import type { AppEnv } from "./app-env";
import { JunctionError } from "./errors";
import { requireApiKey, requireManagement, requirePlatformAdmin } from "./routes/auth";
import { getCatalog, patchCatalogRoute, putCatalog } from "./routes/catalog-admin";
import { chatCompletions } from "./routes/chat";
import { getGeneration } from "./routes/generation";
import { createKey, credits, currentKey, deleteKey, getKey, listKeys, updateKey } from "./routes/keys";
import { countModels, getModel, listEndpoints, listModels } from "./routes/models";
import { listProviders } from "./routes/providers";
import { endpointStats } from "./routes/stats";
import {
  createManagementKey,
  createTenant,
  deleteManagementKey,
  deleteOwnByok,
  deleteTenantByok,
  deleteTenantRoute,
  getOwnTenant,
  getTenantRoute,
  listTenantsRoute,
  patchOwnTenant,
  patchTenant,
  putOwnByok,
  putTenantByok,
} from "./routes/tenants";
import { normalizeHost, tenantForHost } from "./tenants/store";

const api = new Hono<AppEnv>();
api.post("/chat/completions", requireApiKey, chatCompletions);
api.get("/models", listModels);
api.get("/models/count", countModels);
api.get("/models/:author/:slug/endpoints", listEndpoints);
api.get("/model/:author/:slug", getModel);
api.get("/providers", listProviders);
api.put("/admin/catalog", requirePlatformAdmin, putCatalog);
api.patch("/admin/catalog", requirePlatformAdmin, patchCatalogRoute);
api.get("/admin/catalog", requirePlatformAdmin, getCatalog);
api.post("/keys", requireManagement, createKey);
api.get("/keys", requireManagement, listKeys);
api.get("/keys/:hash", requireManagement, getKey);
api.patch("/keys/:hash", requireManagement, updateKey);
api.delete("/keys/:hash", requireManagement, deleteKey);
api.get("/credits", credits);
api.get("/generation", getGeneration);
api.get("/stats/endpoints", requirePlatformAdmin, endpointStats);
api.get("/admin/tenants", requirePlatformAdmin, listTenantsRoute);
api.post("/admin/tenants", requirePlatformAdmin, createTenant);
api.get("/admin/tenants/:id", requirePlatformAdmin, getTenantRoute);
api.patch("/admin/tenants/:id", requirePlatformAdmin, patchTenant);
api.delete("/admin/tenants/:id", requirePlatformAdmin, deleteTenantRoute);
api.put("/admin/tenants/:id/byok/:provider", requirePlatformAdmin, putTenantByok);
api.delete("/admin/tenants/:id/byok/:provider", requirePlatformAdmin, deleteTenantByok);
api.post("/admin/tenants/:id/management-keys", requirePlatformAdmin, createManagementKey);
api.delete("/admin/tenants/:id/management-keys/:hash", requirePlatformAdmin, deleteManagementKey);
api.get("/tenant", requireManagement, getOwnTenant);
api.patch("/tenant", requireManagement, patchOwnTenant);
api.put("/tenant/byok/:provider", requireManagement, putOwnByok);
api.delete("/tenant/byok/:provider", requireManagement, deleteOwnByok);
api.get("/key", currentKey);
api.get("/auth/key", currentKey);

export const app = new Hono<AppEnv>();

app.get("/health", (c) => c.json({ status: "ok" }));
// Every API route belongs to the tenant whose host name the request came in on.
const resolveTenant: MiddlewareHandler<AppEnv> = async (c, next) => {
  c.set("tenant", await tenantForHost(c.env, normalizeHost(c.req.url)));
  await next();
};
app.use("/api/*", resolveTenant);
app.use("/v1/*", resolveTenant);
app.route("/api/v1", api);
app.route("/v1", api);

app.notFound((c) =>
  new JunctionError(
    404,
    `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
    "not_found",
  ).toResponse(),
);

app.onError((error) => {
  if (error instanceof JunctionError) return error.toResponse();
  console.error("unhandled error", error);
  return new JunctionError(500, "Internal error in Junction", "server").toResponse();
});
