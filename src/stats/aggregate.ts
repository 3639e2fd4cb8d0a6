/**
 * One endpoint's attempts over a span of time: counts per status class, sketches of time to first
 * token, total latency and output tokens/s, and a small per-colo breakdown. The same shape is
 * built in an isolate between flushes, sent to the shard, stored per minute and per 15 minutes,
 * and merged into windows — every step is `merge`, so no step loses precision the sketch keeps.
 * Pure: times come in with the samples.
 */
import { LogSketch, type SketchData } from "./sketch";

export const STATUS_CLASSES = [
  "ok",
  /** 429: excluded from uptime, as OpenRouter does. */
  "rate_limited",
  "timeout",
  /** An HTTP error the upstream is to blame for (5xx, 529, its own 401/403/404...). */
  "upstream_error",
  /** Could not reach the upstream. */
  "network",
  /** An answer that could not be read. */
  "malformed",
  /** A stream that failed after its first token. */
  "stream_break",
  /** The request's fault (context length, a 400 the upstream blames on the caller): not the endpoint's. */
  "client_error",
] as const;
export type StatusClass = (typeof STATUS_CLASSES)[number];

const INDEX = Object.fromEntries(STATUS_CLASSES.map((c, i) => [c, i])) as Record<StatusClass, number>;
const UPTIME_ERRORS: readonly StatusClass[] = [
  "timeout",
  "upstream_error",
  "network",
  "malformed",
  "stream_break",
];

/** One attempt against one endpoint, as the gateway saw it. */
export interface AttemptSample {
  /** `endpointKey(resolved)`. */
  endpoint: string;
  /** When the attempt ended (ms since epoch). */
  at: number;
  status: StatusClass;
  /** Successes: send → first output token (JSON answers: → whole answer). */
  ttftMs?: number | undefined;
  /** Send → end of the generation (failures: → the failure). */
  totalMs?: number | undefined;
  /** Successes: output tokens per second of generation. */
  tokensPerSecond?: number | undefined;
  /** The Cloudflare colo that served the request (`request.cf.colo`). */
  colo?: string | undefined;
  /** A long Retry-After asked the endpoint to be left alone until then (ms since epoch). */
  retryUntil?: number | undefined;
}

/**
 * What stats need of an `UpstreamFailure` (src/providers/types.ts), stated structurally so this
 * module stays free of the runtime's types (the Node benchmarks import it).
 */
export interface FailureFacts {
  upstreamStatus: number;
  errorType: string;
  retryAfterSeconds?: number | undefined;
}

/** Which class a failed attempt counts as; `countsAgainstEndpoint` is the gateway's own judgement. */
export function failureClass(failure: FailureFacts, countsAgainstEndpoint: boolean): StatusClass {
  if (!countsAgainstEndpoint) return "client_error";
  if (failure.upstreamStatus === 429) return "rate_limited";
  if (failure.errorType === "timeout") return "timeout";
  if (failure.upstreamStatus === 0) return "network";
  if (failure.upstreamStatus >= 200 && failure.upstreamStatus < 300) return "malformed";
  return "upstream_error";
}

/** Per colo: attempts (as for uptime), uptime errors, sum and count of TTFT (a mean is enough here). */
export type ColoFigures = [attempts: number, errors: number, ttftSumMs: number, ttftCount: number];

export interface AggregateData {
  /** Counts in STATUS_CLASSES order. */
  c: number[];
  t: SketchData;
  g: SketchData;
  s: SketchData;
  k: Record<string, ColoFigures>;
}

/** Colos kept per aggregate; the rest are summed under OTHER_COLO, so a row stays small. */
export const MAX_COLOS = 16;
export const OTHER_COLO = "other";

export class Aggregate {
  readonly counts: number[] = STATUS_CLASSES.map(() => 0);
  readonly ttft = new LogSketch();
  readonly total = new LogSketch();
  readonly tps = new LogSketch();
  readonly colos = new Map<string, ColoFigures>();

  add(sample: AttemptSample): void {
    (this.counts[INDEX[sample.status]] as number)++;
    if (sample.ttftMs !== undefined) this.ttft.add(sample.ttftMs);
    if (sample.status === "ok" && sample.totalMs !== undefined) this.total.add(sample.totalMs);
    if (sample.tokensPerSecond !== undefined) this.tps.add(sample.tokensPerSecond);
    const error = UPTIME_ERRORS.includes(sample.status);
    if (sample.colo !== undefined && (error || sample.status === "ok")) {
      const ttft = sample.ttftMs ?? 0;
      this.addColo(sample.colo, [1, error ? 1 : 0, ttft, sample.ttftMs === undefined ? 0 : 1]);
    }
  }

  merge(other: Aggregate): void {
    for (let i = 0; i < this.counts.length; i++) (this.counts[i] as number) += other.counts[i] ?? 0;
    this.ttft.merge(other.ttft);
    this.total.merge(other.total);
    this.tps.merge(other.tps);
    for (const [colo, figures] of other.colos) this.addColo(colo, figures);
  }

  private addColo(colo: string, figures: ColoFigures): void {
    const name = this.colos.has(colo) || this.colos.size < MAX_COLOS - 1 ? colo : OTHER_COLO;
    const into = this.colos.get(name);
    if (!into) {
      this.colos.set(name, [...figures]);
      return;
    }
    for (let i = 0; i < 4; i++) (into[i] as number) += figures[i] as number;
  }

  count(status: StatusClass): number {
    return this.counts[INDEX[status]] as number;
  }

  /** Attempts that count for uptime: everything but 429s and the caller's own errors. */
  get attempts(): number {
    return this.count("ok") + this.errors;
  }

  get errors(): number {
    let n = 0;
    for (const status of UPTIME_ERRORS) n += this.count(status);
    return n;
  }

  /** All samples, 429s and client errors included. */
  get samples(): number {
    let n = 0;
    for (const c of this.counts) n += c;
    return n;
  }

  toData(): AggregateData {
    return {
      c: [...this.counts],
      t: this.ttft.toData(),
      g: this.total.toData(),
      s: this.tps.toData(),
      k: Object.fromEntries(this.colos),
    };
  }

  static from(data: AggregateData): Aggregate {
    const aggregate = new Aggregate();
    const counts = Array.isArray(data.c) ? data.c : [];
    for (let i = 0; i < aggregate.counts.length; i++) {
      const n = counts[i];
      aggregate.counts[i] = typeof n === "number" && n > 0 ? n : 0;
    }
    aggregate.ttft.merge(LogSketch.from(data.t));
    aggregate.total.merge(LogSketch.from(data.g));
    aggregate.tps.merge(LogSketch.from(data.s));
    for (const [colo, figures] of Object.entries(data.k ?? {})) {
      if (Array.isArray(figures) && figures.length === 4) aggregate.addColo(colo, figures);
    }
    return aggregate;
  }
}

/** Uptime in percent (OpenRouter: successes over successes + errors, 429s excluded), null when unknown. */
export function uptimePercent(ok: number, errors: number): number | null {
  const attempts = ok + errors;
  return attempts === 0 ? null : Math.round((ok / attempts) * 10_000) / 100;
}
