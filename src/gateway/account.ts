/** Turns the gateway's generation records into settlements of the request's admission ticket. */
import type { Ticket } from "../limits/admission";
import type { LedgerEntry } from "../limits/types";
import type { GenerationRecord, GenerationSink } from "./generation";

export function ledgerEntry(record: GenerationRecord): LedgerEntry {
  return {
    id: record.id,
    created_at: record.created_at,
    model: record.model,
    provider: record.provider,
    provider_model_id: record.provider_model_id,
    streamed: record.streamed,
    cancelled: record.cancelled,
    finish_reason: record.finish_reason,
    native_finish_reason: record.native_finish_reason,
    tokens_prompt: record.usage.prompt_tokens,
    tokens_completion: record.usage.completion_tokens,
    tokens_cached: record.usage.cached_tokens,
    tokens_cache_write: record.usage.cache_write_tokens,
    tokens_reasoning: record.usage.reasoning_tokens,
    usage_estimated: record.usage_estimated,
    cost_nanos: record.cost_nanos,
    latency_ms: record.latency_ms,
    generation_time_ms: record.generation_time_ms,
    attempts: record.attempts,
    user: record.user,
    session_id: record.session_id,
  };
}

/** Settles `ticket` once: with the generation's tokens and cost, or with nothing if none was served. */
export function generationSink(ticket: Ticket): GenerationSink {
  return (record) => {
    if (!record) return ticket.finish({ tokens: 0, costNanos: 0 }, null);
    ticket.finish(
      { tokens: record.usage.prompt_tokens + record.usage.completion_tokens, costNanos: record.cost_nanos },
      ledgerEntry(record),
    );
  };
}
