/** `POST /chat/completions`: parse → plan → execute → respond (DESIGN.md §2). */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { loadCatalog } from "../catalog/store";
import { providerSetting } from "../env";
import { JunctionError } from "../errors";
import { generationSink } from "../gateway/account";
import { completeJson } from "../gateway/complete";
import { generationId } from "../gateway/ids";
import { gatewaySettings } from "../gateway/settings";
import { completeStream } from "../gateway/stream";
import { adapterFor } from "../providers/registry";
import { plan } from "../routing/plan";
import { chatRequest } from "../schema/chat";
import { readJsonBody, validate } from "./body";

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const startedAt = Date.now();
  const request = validate(chatRequest, await readJsonBody(c.req.raw));
  const catalog = await loadCatalog(c.env);
  const { attempts, excluded } = plan({
    request,
    catalog,
    hasAdapter: (provider) => adapterFor(provider.api) !== undefined,
    hasCredentials: (provider) =>
      provider.requires_key === false || providerSetting(c.env, provider.slug, "API_KEY") !== undefined,
  });
  if (attempts.length === 0) {
    throw new JunctionError(
      503,
      `No available endpoint for ${request.model ?? request.models?.join(", ")}`,
      "provider_unavailable",
      {
        excluded,
      },
    );
  }
  const ctx = {
    env: c.env,
    request,
    attempts,
    clientSignal: c.req.raw.signal,
    settings: gatewaySettings(c.env),
    startedAt,
    generationId: generationId(startedAt),
    sink: generationSink(c.env),
    waitUntil: (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise),
  };
  return request.stream ? completeStream(ctx) : completeJson(ctx);
}
