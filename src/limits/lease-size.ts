/**
 * How much of what remains a lease may take. Far from a limit a lease takes a quarter of what is
 * left, so a few isolates share the capacity with few round trips; close to it (less than eight
 * requests' worth) leases shrink to exactly one request, and admission becomes exact.
 */
const SHARE = 0.25;
const EXACT_BELOW = 8;

/** Grant for one dimension: at least `need` (the request being admitted), at most `remaining`. */
export function leaseSlice(remaining: number, need: number): number {
  if (remaining < need) return 0;
  const unit = Math.max(need, 1);
  if (remaining < EXACT_BELOW * unit) return need;
  return need + Math.floor((remaining - need) * SHARE);
}
