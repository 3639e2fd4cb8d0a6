/**
 * Credit is counted in integer nano-dollars (1e-9 USD): exact, and a 64-bit SQLite integer holds
 * over nine billion dollars. Costs arrive as exact attodollar BigInts (catalog/cost.ts).
 */
export const NANOS_PER_USD = 1_000_000_000;

/** Attodollars → nano-dollars, rounded half up (the only rounding on the way to the ledger). */
export function attoToNanos(atto: bigint): number {
  return Number((atto + 500_000_000n) / 1_000_000_000n);
}

export function usdToNanos(usd: number): number {
  return Math.round(usd * NANOS_PER_USD);
}

export function nanosToUsd(nanos: number): number {
  return nanos / NANOS_PER_USD;
}
