/** The HTTP surface: OpenRouter's `/api/v1` and OpenAI's `/v1` over the same routes. */
import { Hono } from "hono";
import type { AppEnv } from "./app-env";
import { JunctionError } from "./errors";
import { requireAdmin, requireApiKey } from "./routes/auth";
import { getCatalog, patchCatalogRoute, putCatalog } from "./routes/catalog-admin";
import { chatCompletions } from "./routes/chat";
import { getGeneration } from "./routes/generation";
import { createKey, credits, currentKey, deleteKey, getKey, listKeys, updateKey } from "./routes/keys";
import { countModels, getModel, listEndpoints, listModels } from "./routes/models";
import { listProviders } from "./routes/providers";
import { endpointStats } from "./routes/stats";
import { normalizeHost, resolveTenant } from "./tenants/resolve";

const api = new Hono<AppEnv>();
api.post("/chat/completions", requireApiKey, chatCompletions);
api.get("/models", listModels);
api.get("/models/count", countModels);
api.get("/models/:author/:slug/endpoints", listEndpoints);
api.get("/model/:author/:slug", getModel);
api.get("/providers", listProviders);
api.put("/admin/catalog", requireAdmin, putCatalog);
api.patch("/admin/catalog", requireAdmin, patchCatalogRoute);
api.get("/admin/catalog", requireAdmin, getCatalog);
api.post("/keys", requireAdmin, createKey);
api.get("/keys", requireAdmin, listKeys);
api.get("/keys/:hash", requireAdmin, getKey);
api.patch("/keys/:hash", requireAdmin, updateKey);
api.delete("/keys/:hash", requireAdmin, deleteKey);
api.get("/credits", credits);
api.get("/generation", getGeneration);
api.get("/stats/endpoints", requireAdmin, endpointStats);
api.get("/key", currentKey);
api.get("/auth/key", currentKey);

export const app = new Hono<AppEnv>();

app.use(async (c, next) => {
  c.set("tenant", resolveTenant(normalizeHost(c.req.url)));
  await next();
});
app.get("/health", (c) => c.json({ status: "ok" }));
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
