import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * Rolling latency, throughput and error statistics per provider endpoint (DESIGN.md §3).
 * Declared now so the binding and its migration exist from the first deployment; the stats
 * issue gives it its methods and storage schema.
 */
export class EndpointStats extends DurableObject<Env> {}
