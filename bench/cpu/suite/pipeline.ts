/**
 * Junction's pure request pipeline, stage by stage, composed exactly as `src/routes/chat.ts` and
 * `src/gateway/complete.ts` compose it, minus the I/O between the stages. When those files change
 * how they call a stage, this file changes with them.
 *
 * Typed against Workers types (this folder has its own tsconfig) because it imports `src/`.
 */
import { type Catalog, loadCatalog } from "../../../src/catalog/store";
import type { ResolvedEndpoint } from "../../../src/catalog/types";
import { type Env, providerSetting } from "../../../src/env";
import { isolateCircuits } from "../../../src/gateway/attempts";
import type { ChatContext } from "../../../src/gateway/context";
import { priceUsage } from "../../../src/gateway/usage";
import { buildOpenAIBody } from "../../../src/providers/openai/request";
import { adapterForEndpoint, familyOf } from "../../../src/providers/registry";
import type { CanonicalCompletion } from "../../../src/providers/types";
import { validate } from "../../../src/routes/body";
import { endpointKey } from "../../../src/routing/health";
import { plan } from "../../../src/routing/plan";
import { type ChatRequest, chatRequest } from "../../../src/schema/chat";
import { defaultTenant } from "../../../src/tenants/types";
import { estimatePromptTokens } from "../../../src/tokens";

/**
 * Bindings as the bench's Worker has them: the OpenAI provider pointed at a local upstream, and
 * an empty KV namespace, for which the catalog store serves the bundled catalog.
 */
export const benchEnv = {
  OPENAI_API_KEY: "sk-bench-upstream",
  OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
  CATALOG: { get: async () => null },
} as unknown as Env;

/** Loaded once, as a warm isolate has it (the store memoises it). */
export function getCatalog(modelIds: string[]): Promise<Catalog> {
  return loadCatalog(benchEnv, modelIds);
}

/** Stage "parse": the body text to a validated canonical request (`readJsonBody` + `validate`). */
export function parse(text: string): ChatRequest {
  return validate(chatRequest, JSON.parse(text));
}

/** Stage "plan": the ordered attempts, with the same inputs `chatCompletions` gives it. */
export function planAttempts(request: ChatRequest, catalog: Catalog): ResolvedEndpoint[] {
  const { attempts } = plan({
    request,
    catalog,
    promptTokens: estimatePromptTokens(request),
    adapterFamily: (resolved) => (adapterForEndpoint(resolved) ? familyOf(resolved) : undefined),
    hasCredentials: (provider) =>
      provider.requires_key === false || providerSetting(benchEnv, provider.slug, "API_KEY") !== undefined,
    health: (resolved) => ({ circuit: isolateCircuits.state(endpointKey(resolved)) }),
    caller: undefined,
    random: Math.random,
  });
  if (attempts.length === 0) throw new Error("the bench model has no endpoint");
  return attempts;
}

/**
 * Stage "translate": the upstream body, serialised. `buildOpenAIRequest` wraps this text in a
 * `Request`; constructing one is the runtime's cost, not the adapter's, and Node's differs from
 * workerd's, so it is left to the end-to-end runs.
 */
export function translate(request: ChatRequest, resolved: ResolvedEndpoint): string {
  return JSON.stringify(buildOpenAIBody(request, resolved.endpoint.provider_model_id));
}

/** What `priceUsage` reads from the request context: the default tenant, platform keys (no BYOK). */
const pricingContext = {
  tenant: defaultTenant(),
  credentials: { forProvider: () => undefined },
} as unknown as ChatContext;

/** Stage "map": the upstream's JSON text to the body Junction answers with (as `completeJson`). */
export function mapAnswer(upstreamText: string, resolved: ResolvedEndpoint, generationId: string): string {
  const adapter = adapterForEndpoint(resolved);
  if (!adapter) throw new Error(`no adapter for ${resolved.provider.api}`);
  const completion: CanonicalCompletion = adapter.mapResponse(JSON.parse(upstreamText));
  if (!completion.usage) throw new Error("the bench upstream always reports usage");
  const { rendered } = priceUsage(pricingContext, resolved, completion.usage);
  return JSON.stringify({
    id: generationId,
    object: "chat.completion",
    created: 1_700_000_000,
    model: resolved.model.id,
    provider: resolved.provider.name,
    system_fingerprint: completion.system_fingerprint,
    choices: completion.choices,
    usage: rendered,
  });
}

/** All four stages for one request, as one unit of CPU. */
export function wholePipeline(requestText: string, upstreamText: string, catalog: Catalog): number {
  const request = parse(requestText);
  const [first] = planAttempts(request, catalog);
  if (!first) throw new Error("no attempt");
  const upstreamBody = translate(request, first);
  return upstreamBody.length + mapAnswer(upstreamText, first, "gen-bench").length;
}
