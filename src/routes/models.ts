import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { renderModelList } from "../catalog/listing";
import { loadCatalog } from "../catalog/store";

export async function listModels(c: Context<AppEnv>): Promise<Response> {
  return c.json(renderModelList(await loadCatalog(c.env)));
}
