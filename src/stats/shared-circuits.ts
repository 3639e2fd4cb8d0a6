/**
 * A shard's short-horizon view of its endpoints, built from every isolate's flushes: the same
 * circuit breakers the isolates run (src/routing/circuit.ts), fed with everyone's attempts, and
 * the error rate of the last minute. This is what lets an endpoint failing in one place be avoided
 * everywhere, and what catches an endpoint failing a little in many isolates, none of which sees
 * enough to open its own circuit.
 *
 * In memory only, on purpose: these signals expire within a minute, and the shard stays resident
 * while isolates keep refreshing their snapshots from it; after an eviction it starts closed and
 * re-learns from the next flushes (the isolates' own circuits still protect them meanwhile).
 * Pure: `now` is passed in.
 */
import { CircuitBreakers, type CircuitOptions } from "../routing/circuit";
import type { RecentHealth } from "./windows";

/** What one flush says about one endpoint, beyond its aggregate. */
export interface FlushSignals {
  ok: number;
  /** Uptime errors (429s and client errors excluded). */
  errors: number;
  /** 429s: they count against the endpoint's circuit (as in the isolates), not its uptime. */
  rateLimited: number;
  /** Times of the latest success and failure in the flush, to order them for a half-open probe. */
  lastOkAt: number;
  lastFailureAt: number;
  retryUntil?: number | undefined;
}

const SLOT_MS = 5_000;
/** Counts replayed into the breakers per flush; larger flushes are scaled down, ratio kept. */
const MAX_REPLAY = 64;

type Slot = [start: number, attempts: number, errors: number];

export class SharedCircuits {
  private readonly circuits: CircuitBreakers;
  private readonly recent = new Map<string, Slot[]>();
  private clock = 0;

  constructor(
    private readonly options: CircuitOptions,
    private readonly maxEndpoints = options.maxEndpoints,
  ) {
    this.circuits = new CircuitBreakers(options, () => this.clock);
  }

  report(endpoint: string, signals: FlushSignals, now: number): void {
    this.clock = now;
    const before = this.circuits.state(endpoint);
    const failures = signals.errors + signals.rateLimited;
    const total = signals.ok + failures;
    const scale = total > MAX_REPLAY ? MAX_REPLAY / total : 1;
    const ok = Math.round(signals.ok * scale) || Math.min(signals.ok, 1);
    const failed = Math.round(failures * scale) || Math.min(failures, 1);
    const succeed = () => {
      for (let i = 0; i < ok; i++) this.circuits.recordSuccess(endpoint);
    };
    const fail = () => {
      for (let i = 0; i < failed; i++) this.circuits.recordFailure(endpoint);
    };
    // The later of the two decides a half-open probe, as it would have in the isolate.
    if (signals.lastOkAt >= signals.lastFailureAt) {
      fail();
      succeed();
    } else {
      succeed();
      fail();
    }
    if (signals.retryUntil !== undefined && signals.retryUntil > now) {
      this.circuits.recordFailure(endpoint, signals.retryUntil - now);
    }
    if (before !== "closed" && this.circuits.state(endpoint) === "closed") {
      // Recovered: the failures that opened it no longer describe the endpoint.
      this.recent.delete(endpoint);
    }
    this.count(endpoint, signals.ok + signals.errors, signals.errors, now);
  }

  /** How far back the error rate looks: the circuits' own window. */
  get windowMs(): number {
    return this.options.windowMs;
  }

  view(endpoint: string, now: number): RecentHealth {
    this.clock = now;
    let attempts = 0;
    let errors = 0;
    for (const [start, a, e] of this.recent.get(endpoint) ?? []) {
      if (now - start < this.options.windowMs) {
        attempts += a;
        errors += e;
      }
    }
    return { attempts, errors, circuit: this.circuits.state(endpoint) };
  }

  private count(endpoint: string, attempts: number, errors: number, now: number): void {
    if (attempts === 0) return;
    let slots = this.recent.get(endpoint);
    if (slots) this.recent.delete(endpoint);
    else {
      slots = [];
      if (this.recent.size >= this.maxEndpoints) {
        const oldest = this.recent.keys().next().value;
        if (oldest !== undefined) this.recent.delete(oldest);
      }
    }
    this.recent.set(endpoint, slots);
    const start = now - (now % SLOT_MS);
    const last = slots[slots.length - 1];
    if (last && last[0] === start) {
      last[1] += attempts;
      last[2] += errors;
    } else slots.push([start, attempts, errors]);
    while (slots.length > 0 && now - (slots[0] as Slot)[0] >= this.options.windowMs) slots.shift();
  }
}
