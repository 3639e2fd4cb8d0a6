/** `POST /chat/completions`: parse → plan → execute → respond (DESIGN.md §2). */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { loadCatalog } from "../catalog/store";
import { generationSink } from "../gateway/account";
import { completeJson } from "../gateway/complete";
import type { ChatContext } from "../gateway/context";
import { generationId } from "../gateway/ids";
import { gatewaySettings, withRequestOverrides } from "../gateway/settings";
import { completeStream } from "../gateway/stream";
import { admit } from "../limits/admission";
import { demandFor } from "../limits/demand";
import { adapterFor, adapterForEndpoint, familyOf } from "../providers/registry";
import { callerLocation } from "../routing/geo";
import { noEndpointError, plan, requestedModels } from "../routing/plan";
import { chatRequest } from "../schema/chat";
import { routingHealth, statsReporter } from "../stats/isolate";
import { tenantCredentials } from "../tenants/credentials";
import { chargedAtto, effectivePreferences, tenantRefusal } from "../tenants/policy";
import { estimatePromptTokens } from "../tokens";
import { readJsonBody, validate } from "./body";

export async function chatCompletions(c: Context<AppEnv>): Promise<Response> {
  const startedAt = Date.now();
  const request = validate(chatRequest, await readJsonBody(c.req.raw));
  const catalog = await loadCatalog(c.env, requestedModels(request));
  const waitUntil = (promise: Promise<unknown>) => c.executionCtx.waitUntil(promise);
  const tenant = c.var.tenant;
  const credentials = await tenantCredentials(c.env, tenant);
  // Counted once: routing filters on it and admission reserves it.
  const promptTokens = estimatePromptTokens(request);
  const { attempts, excluded, strategy } = plan({
    promptTokens,
    request: { ...request, provider: effectivePreferences(tenant, request.provider) },
    catalog,
    adapterFamily: (resolved) => (adapterForEndpoint(resolved) ? familyOf(resolved) : undefined),
    hasCredentials: (provider) =>
      provider.requires_key === false ||
      credentials.forProvider(provider.slug) !== undefined ||
      adapterFor(provider.api)?.servesWithoutKey?.(c.env) === true,
    refuseEndpoint: (resolved) => tenantRefusal(tenant, resolved),
    health: routingHealth(c.env, waitUntil),
    caller: callerLocation(c.req.raw.cf),
    random: Math.random,
  });
  if (attempts.length === 0) throw noEndpointError(request, excluded);
  const key = c.var.apiKey;
  const id = generationId(startedAt, key.hash);
  const ticket = await admit({
    env: c.env,
    key,
    demand: demandFor(request, attempts, promptTokens, (atto) => chargedAtto(tenant, atto)),
    requestId: id,
    waitUntil,
  });
  const sink = generationSink(ticket);
  const settings = withRequestOverrides(gatewaySettings(c.env), c.req.raw.headers);
  const ctx: ChatContext = {
    env: c.env,
    tenant,
    credentials,
    request,
    attempts,
    strategy,
    explain: c.req.header("x-junction-explain") === "true" ? { excluded } : undefined,
    clientSignal: c.req.raw.signal,
    settings,
    startedAt,
    generationId: id,
    sink,
    waitUntil,
    stats: statsReporter(c.env, waitUntil, {
      colo: (c.req.raw.cf as { colo?: string } | undefined)?.colo,
      signal: c.req.raw.signal,
      retryAfterWaitMaxMs: settings.retryAfterWaitMaxMs,
    }),
  };
  try {
    const response = await (request.stream ? completeStream(ctx) : completeJson(ctx));
    // A stream that failed before committing answers with an error status and served nothing.
    if (!response.ok) sink(null);
    return response;
  } catch (error) {
    sink(null);
    throw error;
  }
}
