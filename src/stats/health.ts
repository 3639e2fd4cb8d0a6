/**
 * Routing's view of an endpoint: the isolate's own circuit breaker and the shard's shared view,
 * together. Pure, and free of the runtime's types (the Node benchmarks import it).
 */
import { type CircuitState, type EndpointHealth, NEUTRAL_HEALTH } from "../routing/health";
import type { EndpointSnapshot } from "./windows";

const SEVERITY: Record<CircuitState, number> = { closed: 0, half_open: 1, open: 2 };

/** The worse circuit wins; figures come from the shared view, unknown ones stay unknown. */
export function combineHealth(local: CircuitState, shared: EndpointSnapshot | undefined): EndpointHealth {
  if (!shared) return local === "closed" ? NEUTRAL_HEALTH : { circuit: local };
  const health: EndpointHealth = {
    circuit: SEVERITY[shared.circuit] > SEVERITY[local] ? shared.circuit : local,
  };
  if (shared.lat)
    health.latencyMs = { p50: shared.lat[0], p75: shared.lat[1], p90: shared.lat[2], p99: shared.lat[3] };
  if (shared.tps)
    health.throughput = { p50: shared.tps[0], p75: shared.tps[1], p90: shared.tps[2], p99: shared.tps[3] };
  if (shared.err !== null) health.errorRate = shared.err;
  return health;
}
