/**
 * What routing knows about an endpoint's recent behaviour. Filled from the isolate's circuit
 * breakers now and from the shared EndpointStats snapshot (stats issue) later; every field but
 * `circuit` may be unknown, and unknown never demotes an endpoint.
 */
import type { ResolvedEndpoint } from "../catalog/types";

export type CircuitState = "closed" | "open" | "half_open";

export interface Percentiles {
  p50?: number;
  p75?: number;
  p90?: number;
  p99?: number;
}

export interface EndpointHealth {
  circuit: CircuitState;
  /** Time to first token, ms. */
  latencyMs?: Percentiles;
  /** Output tokens per second. */
  throughput?: Percentiles;
  /** Share of recent attempts that failed (429s excluded), 0..1. */
  errorRate?: number;
}

export const NEUTRAL_HEALTH: EndpointHealth = { circuit: "closed" };

/** Stats and circuits are kept per provider deployment of a model. */
export function endpointKey(resolved: ResolvedEndpoint): string {
  return `${resolved.provider.slug}/${resolved.endpoint.provider_model_id}`;
}
