/** `GET /generation?id=`: one ledger row, to the key that made it or a management key. */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { badRequest, notFound, unauthorized } from "../errors";
import { keyPrefixOf } from "../gateway/ids";
import { sha256Hex } from "../keys/hash";
import { findKey, keyRefusal, tenantKeyHashes } from "../keys/store";
import { nanosToUsd } from "../limits/money";
import type { LedgerEntry } from "../limits/types";
import { bearerToken, canManageTenant } from "./auth";

/** OpenRouter's generation shape; every key its SDK requires is present. */
function renderGeneration(entry: LedgerEntry, tenantId: string) {
  const cost = nanosToUsd(entry.cost_nanos);
  return {
    id: entry.id,
    created_at: new Date(entry.created_at).toISOString(),
    model: entry.model,
    provider_name: entry.provider,
    origin: "",
    api_type: "completions",
    app_id: null,
    router: null,
    streamed: entry.streamed,
    cancelled: entry.cancelled,
    finish_reason: entry.finish_reason,
    native_finish_reason: entry.native_finish_reason,
    tokens_prompt: entry.tokens_prompt,
    tokens_completion: entry.tokens_completion,
    native_tokens_prompt: entry.tokens_prompt,
    native_tokens_completion: entry.tokens_completion,
    native_tokens_cached: entry.tokens_cached,
    native_tokens_reasoning: entry.tokens_reasoning,
    native_tokens_completion_images: null,
    num_media_prompt: null,
    num_media_completion: null,
    num_input_audio_prompt: null,
    num_search_results: null,
    num_fetches: null,
    usage: cost,
    total_cost: cost,
    upstream_inference_cost: cost,
    cache_discount: null,
    is_byok: false,
    latency: entry.latency_ms,
    generation_time: entry.generation_time_ms,
    moderation_latency: null,
    upstream_id: null,
    provider_responses: entry.attempts.map((attempt) => {
      const a = attempt as { provider: string; status: number };
      return { provider_name: a.provider, status: a.status };
    }),
    service_tier: null,
    data_region: "global",
    external_user: entry.user,
    user_agent: null,
    web_search_engine: null,
    http_referer: null,
    preset_id: null,
    session_id: entry.session_id,
    workspace_id: tenantId,
    usage_estimated: entry.usage_estimated,
    tokens_cache_write: entry.tokens_cache_write,
    attempts: entry.attempts,
  };
}

export async function getGeneration(c: Context<AppEnv>): Promise<Response> {
  const id = c.req.query("id");
  if (!id)
    throw badRequest("Query parameter id is required", { issues: [{ path: "id", message: "required" }] });
  const token = bearerToken(c.req.header("authorization"));
  const prefix = keyPrefixOf(id);
  let candidates: string[];
  if (await canManageTenant(c, token)) {
    candidates = prefix ? await tenantKeyHashes(c.env, c.var.tenant.id, { prefix, limit: 10 }) : [];
    // The DEMO_API_KEY has no KV record, so no index entry.
    if (prefix && c.env.DEMO_API_KEY && c.var.tenant.id === "default") {
      const demoHash = await sha256Hex(c.env.DEMO_API_KEY);
      if (demoHash.startsWith(prefix)) candidates.push(demoHash);
    }
  } else {
    const record = await findKey(c.env, token);
    const refusal = keyRefusal(record, Date.now());
    if (refusal || !record || record.tenant_id !== c.var.tenant.id)
      throw unauthorized(refusal ?? "API key not found");
    // Another key's generation is reported exactly like one that does not exist.
    candidates = prefix && record.hash.startsWith(prefix) ? [record.hash] : [];
  }
  for (const hash of candidates) {
    const entry = await c.env.KEY_GUARD.getByName(hash).generation(id);
    if (entry) return c.json({ data: renderGeneration(entry, c.var.tenant.id) });
  }
  throw notFound(`Generation ${JSON.stringify(id)} not found`);
}
