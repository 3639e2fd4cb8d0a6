/**
 * The isolate side of per-key limits: admit requests from a lease held in memory, ask the key's
 * `KeyGuard` only when the lease is missing, expired or too small, and settle every admitted
 * request exactly once (in `waitUntil`, never on the response path).
 *
 * A key far from its limits costs one Durable Object round trip per isolate every `LEASE_MS`;
 * a key near a limit gets one-request leases, so admission there is exact.
 */
import type { Env } from "../env";
import { JunctionError } from "../errors";
import type { ApiKeyRecord } from "../keys/store";
import type {
  AcquireResult,
  Demand,
  KeyGuardConfig,
  LeaseGrant,
  LeaseReport,
  LedgerEntry,
  Rejection,
  Settlement,
} from "./types";

interface LocalLease {
  keyHash: string;
  grant: LeaseGrant;
  remaining: { requests: number; tokens: number; creditNanos: number };
  inFlight: number;
  released: boolean;
}

/** An admitted request; `finish` must be called once when it ends, served or not. */
export interface Ticket {
  finish(actual: { tokens: number; costNanos: number }, generation: LedgerEntry | null): void;
}

const MAX_KEYS = 5_000;
const leases = new Map<string, LocalLease>();
const acquiring = new Map<string, Promise<unknown>>();

/** Counts round trips to KeyGuard, for the benchmark's "synchronous DO calls per request". */
export const admissionStats = { admitted: 0, roundTrips: 0 };

function fits(lease: LocalLease, demand: Demand, now: number): boolean {
  return (
    !lease.released &&
    now < lease.grant.expiresAt &&
    lease.remaining.requests >= 1 &&
    lease.remaining.tokens >= demand.tokens &&
    lease.remaining.creditNanos >= demand.creditNanos &&
    lease.inFlight < lease.grant.concurrency
  );
}

function report(lease: LocalLease): LeaseReport {
  return {
    id: lease.grant.id,
    unused: {
      requests: lease.remaining.requests,
      tokens: lease.remaining.tokens,
      creditNanos: lease.remaining.creditNanos,
      concurrency: lease.grant.concurrency - lease.inFlight,
    },
  };
}

function take(lease: LocalLease, demand: Demand): void {
  lease.remaining.requests -= 1;
  lease.remaining.tokens -= demand.tokens;
  lease.remaining.creditNanos -= demand.creditNanos;
  lease.inFlight += 1;
}

/** The KeyGuard configuration a key starts with (from its KV record). */
export function guardConfigOf(record: ApiKeyRecord): KeyGuardConfig {
  return {
    requests_per_minute: record.requests_per_minute ?? null,
    tokens_per_minute: record.tokens_per_minute ?? null,
    concurrency: record.concurrency ?? null,
    limit: record.limit,
    limit_reset: record.limit_reset,
    limit_free_models: record.limit_free_models ?? false,
    disabled: record.disabled,
    deleted: false,
  };
}

export function rejectionError(rejection: Rejection, now: number): JunctionError {
  if (rejection.dimension === "key") return new JunctionError(401, rejection.message, "authentication");
  const headers: Record<string, string> = {};
  const retryAfter =
    rejection.resetsAt === null ? undefined : Math.max(1, Math.ceil((rejection.resetsAt - now) / 1000));
  if (rejection.limit !== null) headers["x-ratelimit-limit"] = String(rejection.limit);
  headers["x-ratelimit-remaining"] = String(rejection.remaining);
  if (rejection.resetsAt !== null)
    headers["x-ratelimit-reset"] = String(Math.ceil(rejection.resetsAt / 1000));
  const metadata = {
    limit_type: rejection.dimension,
    limit: rejection.limit,
    remaining: rejection.remaining,
  };
  if (rejection.dimension === "credit") {
    if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
    return new JunctionError(402, rejection.message, "payment_required", metadata, headers);
  }
  headers["retry-after"] = String(retryAfter ?? 1);
  return new JunctionError(429, rejection.message, "rate_limit_exceeded", metadata, headers);
}

export interface AdmitOptions {
  env: Env;
  key: ApiKeyRecord;
  demand: Demand;
  /** The request's generation id: settlements are idempotent by it. */
  requestId: string;
  waitUntil(promise: Promise<unknown>): void;
  now?: number;
}

/**
 * Admits one request for the key or throws the 429/402/401 to answer with. When the KeyGuard
 * cannot be reached, keys with a credit limit fail closed (503); others are admitted unmetered.
 */
export async function admit(options: AdmitOptions): Promise<Ticket> {
  const { key, demand } = options;
  for (let round = 0; round < 3; round++) {
    const now = options.now ?? Date.now();
    const lease = leases.get(key.hash);
    if (lease && fits(lease, demand, now)) {
      take(lease, demand);
      admissionStats.admitted++;
      return ticketFor(options, lease, demand);
    }
    const pending = acquiring.get(key.hash);
    if (pending) {
      // Another request of this isolate is already asking; its new lease may fit us too.
      await pending.catch(() => {});
      continue;
    }
    const asking = acquire(options, lease, now);
    acquiring.set(key.hash, asking);
    try {
      return await asking;
    } finally {
      acquiring.delete(key.hash);
    }
  }
  return acquire(options, leases.get(key.hash), options.now ?? Date.now());
}

async function acquire(
  options: AdmitOptions,
  previous: LocalLease | undefined,
  now: number,
): Promise<Ticket> {
  const { env, key, demand } = options;
  const stub = env.KEY_GUARD.getByName(key.hash);
  const returning = previous && !previous.released ? previous : undefined;
  if (returning) returning.released = true;
  let result: AcquireResult;
  try {
    admissionStats.roundTrips++;
    result = (await stub.acquire(
      demand,
      returning ? report(returning) : undefined,
      guardConfigOf(key),
    )) as AcquireResult;
  } catch (error) {
    if (key.limit !== null) {
      throw new JunctionError(
        503,
        `Could not check this key's credit limit (limits service unavailable: ${String(error)}); retry shortly`,
        "provider_unavailable",
        {},
        { "retry-after": "1" },
      );
    }
    console.error("KeyGuard unreachable; admitting without limits", key.hash, error);
    return { finish: () => {} };
  }
  if (!result.ok) throw rejectionError(result.rejection, now);
  const lease: LocalLease = {
    keyHash: key.hash,
    grant: result.lease,
    remaining: {
      requests: result.lease.requests,
      tokens: result.lease.tokens,
      creditNanos: result.lease.creditNanos,
    },
    inFlight: 0,
    released: false,
  };
  take(lease, demand);
  admissionStats.admitted++;
  if (leases.size >= MAX_KEYS && !leases.has(key.hash)) {
    const oldest = leases.keys().next().value;
    if (oldest !== undefined) leases.delete(oldest);
  }
  leases.delete(key.hash);
  leases.set(key.hash, lease);
  // Give the lease back when it expires, so an idle isolate does not sit on capacity.
  options.waitUntil(
    new Promise((resolve) => setTimeout(resolve, Math.max(0, lease.grant.expiresAt - now))).then(() => {
      if (lease.released) return;
      lease.released = true;
      if (leases.get(key.hash) === lease) leases.delete(key.hash);
      return stub.release(report(lease));
    }),
  );
  return ticketFor(options, lease, demand);
}

/**
 * Settlements wait up to `SETTLE_DELAY_MS` and go to the key's KeyGuard together, one RPC per
 * batch rather than per request. The request that opens a batch sends it and keeps its own
 * invocation alive until then (`waitUntil`); later requests only add items, so no request waits
 * on a promise another request resolves. Settling stays idempotent per request id.
 */
const SETTLE_DELAY_MS = 100;
const SETTLE_BATCH_MAX = 256;

type SettlementItem = { id: string; settlement: Settlement };
const batches = new Map<string, SettlementItem[]>();

function sendSettlements(env: Env, keyHash: string, items: SettlementItem[]): Promise<void> {
  const send = () => env.KEY_GUARD.getByName(keyHash).settleMany(items);
  // Idempotent per request id, so one retry after a transient failure is safe.
  return send()
    .catch(() => new Promise((resolve) => setTimeout(resolve, 250)).then(send))
    .then(
      () => {},
      (error: unknown) => console.error("settlements failed", keyHash, items.length, error),
    );
}

/** Queues one settlement; returns the sending this request must keep alive, if it opened a batch. */
function enqueueSettlement(env: Env, keyHash: string, item: SettlementItem): Promise<void> | undefined {
  // A settlement after its lease was given back returns capacity only KeyGuard can lend again;
  // near a limit every lease is one request, so it goes at once to keep admission exact.
  if (item.settlement.afterRelease) return sendSettlements(env, keyHash, [item]);
  const open = batches.get(keyHash);
  if (open && open.length < SETTLE_BATCH_MAX) {
    open.push(item);
    return undefined;
  }
  const batch = [item];
  batches.set(keyHash, batch);
  return new Promise((resolve) => setTimeout(resolve, SETTLE_DELAY_MS)).then(() => {
    if (batches.get(keyHash) === batch) batches.delete(keyHash);
    return sendSettlements(env, keyHash, batch);
  });
}

function ticketFor(options: AdmitOptions, lease: LocalLease, demand: Demand): Ticket {
  let finished = false;
  return {
    finish(actual, generation) {
      if (finished) return;
      finished = true;
      const afterRelease = lease.released;
      lease.inFlight -= 1;
      if (!afterRelease) {
        lease.remaining.tokens += demand.tokens - actual.tokens;
        lease.remaining.creditNanos += demand.creditNanos - actual.costNanos;
      }
      const settlement = { leaseId: lease.grant.id, afterRelease, reserved: demand, actual, generation };
      const sending = enqueueSettlement(options.env, lease.keyHash, { id: options.requestId, settlement });
      if (sending) options.waitUntil(sending);
    },
  };
}
