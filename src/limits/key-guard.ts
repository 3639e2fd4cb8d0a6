import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * Per-key limits, credit and the usage ledger (DESIGN.md §3), one SQLite-backed object per key.
 * Declared now so the binding and its migration exist from the first deployment; the limits
 * issue gives it its RPC methods and storage schema.
 */
export class KeyGuard extends DurableObject<Env> {}
