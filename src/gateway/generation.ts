/**
 * What the gateway knows about one served generation when it ends. Accounting (the KeyGuard
 * ledger) consumes these; the gateway produces exactly one per generation that reached a client.
 */
import type { NormalizedUsage } from "../catalog/cost";
import type { ErrorType } from "../errors";
import type { FinishReason } from "../providers/types";

export interface AttemptRecord {
  provider: string;
  model: string;
  status: number;
  code: ErrorType | "ok";
  message?: string;
}

export interface GenerationRecord {
  id: string;
  created_at: number;
  model: string;
  provider: string;
  provider_model_id: string;
  streamed: boolean;
  cancelled: boolean;
  finish_reason: FinishReason | null;
  native_finish_reason: string | null;
  usage: NormalizedUsage;
  /** True when the upstream reported no usage and Junction estimated it. */
  usage_estimated: boolean;
  /** USD */
  cost: number;
  /** The same cost, exact, in integer nano-dollars (what the ledger sums). */
  cost_nanos: number;
  /** Time from request to first byte from the upstream that served it. */
  latency_ms: number;
  /** Time from request to the end of the generation. */
  generation_time_ms: number;
  attempts: AttemptRecord[];
  user: string | null;
  session_id: string | null;
}

/**
 * Called exactly once per admitted request when it ends: with the generation it served, or with
 * null when it served none (every attempt failed, or the client left first). It must not block:
 * accounting runs in `waitUntil`.
 */
export type GenerationSink = (record: GenerationRecord | null) => void;
