import type { Env } from "../env";
import type { GenerationSink } from "./generation";

/**
 * Where finished generations go. Until the KeyGuard ledger exists (limits issue) nothing stores
 * them; the gateway already produces exactly one complete record per served generation.
 */
export function generationSink(_env: Env): GenerationSink {
  return () => {};
}
