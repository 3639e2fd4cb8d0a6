/**
 * Per-endpoint circuit breakers, held in the isolate. An endpoint whose recent attempts mostly
 * failed (or that asked to be left alone with a long Retry-After) is "open" and routing tries it
 * last; after a cooldown it is "half open" and the next attempt is a probe that closes or
 * re-opens it. Memory is bounded: at most `maxEndpoints` entries, oldest dropped first.
 */
import type { CircuitState } from "./health";

export interface CircuitOptions {
  /** Failures are counted over this trailing window. */
  windowMs: number;
  /** Fewer attempts than this in the window never open the circuit. */
  minSamples: number;
  /** Open when failures / attempts in the window reach this. */
  failureRatio: number;
  /** How long an opened circuit stays open before a probe is allowed. */
  cooldownMs: number;
  /** Cooldown cap after repeated failed probes. */
  maxCooldownMs: number;
  maxEndpoints: number;
}

export const DEFAULT_CIRCUIT_OPTIONS: CircuitOptions = {
  windowMs: 60_000,
  minSamples: 4,
  failureRatio: 0.5,
  cooldownMs: 15_000,
  maxCooldownMs: 300_000,
  maxEndpoints: 2_000,
};

const BUCKETS = 6;

interface Circuit {
  /** Per time bucket: [bucket start, attempts, failures]. */
  buckets: [number, number, number][];
  openUntil: number;
  cooldownMs: number;
}

export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>();

  constructor(
    private readonly options: CircuitOptions = DEFAULT_CIRCUIT_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {}

  state(key: string): CircuitState {
    const circuit = this.circuits.get(key);
    if (!circuit || circuit.openUntil === 0) return "closed";
    return this.now() < circuit.openUntil ? "open" : "half_open";
  }

  recordSuccess(key: string): void {
    const circuit = this.circuit(key);
    if (circuit.openUntil !== 0 && this.now() >= circuit.openUntil) {
      // The probe succeeded: forget the failures that opened the circuit.
      circuit.buckets = [];
      circuit.openUntil = 0;
      circuit.cooldownMs = this.options.cooldownMs;
    }
    this.count(circuit, false);
  }

  /** Records a failure; `openForMs` (from a long Retry-After) opens the circuit at once. */
  recordFailure(key: string, openForMs?: number): void {
    const circuit = this.circuit(key);
    const now = this.now();
    if (circuit.openUntil !== 0 && now >= circuit.openUntil) {
      // The probe failed: open again, for longer.
      circuit.cooldownMs = Math.min(circuit.cooldownMs * 2, this.options.maxCooldownMs);
      circuit.openUntil = now + Math.max(circuit.cooldownMs, openForMs ?? 0);
      return;
    }
    this.count(circuit, true);
    if (openForMs !== undefined && openForMs > 0) {
      circuit.openUntil = Math.max(circuit.openUntil, now + openForMs);
      return;
    }
    let attempts = 0;
    let failures = 0;
    for (const [start, a, f] of circuit.buckets) {
      if (now - start < this.options.windowMs) {
        attempts += a;
        failures += f;
      }
    }
    if (attempts >= this.options.minSamples && failures / attempts >= this.options.failureRatio) {
      circuit.openUntil = now + circuit.cooldownMs;
    }
  }

  private circuit(key: string): Circuit {
    let circuit = this.circuits.get(key);
    if (circuit) {
      // Re-insert so the map's order is least-recently-used first.
      this.circuits.delete(key);
    } else {
      circuit = { buckets: [], openUntil: 0, cooldownMs: this.options.cooldownMs };
      if (this.circuits.size >= this.options.maxEndpoints) {
        const oldest = this.circuits.keys().next().value;
        if (oldest !== undefined) this.circuits.delete(oldest);
      }
    }
    this.circuits.set(key, circuit);
    return circuit;
  }

  private count(circuit: Circuit, failed: boolean): void {
    const now = this.now();
    const width = this.options.windowMs / BUCKETS;
    const start = now - (now % width);
    let bucket = circuit.buckets[circuit.buckets.length - 1];
    if (!bucket || bucket[0] !== start) {
      bucket = [start, 0, 0];
      circuit.buckets.push(bucket);
      if (circuit.buckets.length > BUCKETS) circuit.buckets.shift();
    }
    bucket[1]++;
    if (failed) bucket[2]++;
  }
}
