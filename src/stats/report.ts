/**
 * How the stats are shown: the management report (`GET /api/v1/stats/endpoints`) and the five
 * fields OpenRouter's `GET /models/{author}/{slug}/endpoints` carries per endpoint. Pure.
 */
import { type Aggregate, STATUS_CLASSES, type StatusClass, uptimePercent } from "./aggregate";
import type { Quartet } from "./sketch";
import type { EndpointSnapshot, RecentHealth, Windowed } from "./windows";

export interface PercentileFigures {
  p50: number;
  p75: number;
  p90: number;
  p99: number;
}

const figures = (quartet: Quartet | null | undefined): PercentileFigures | null =>
  quartet ? { p50: quartet[0], p75: quartet[1], p90: quartet[2], p99: quartet[3] } : null;

/**
 * The live fields of OpenRouter's `PublicEndpoint` (as @openrouter/sdk validates them): uptime in
 * percent, null without data; TTFT in ms and output tokens/s as p50/p75/p90/p99 over 30 minutes.
 */
export interface OpenRouterEndpointStats {
  uptime_last_5m: number | null;
  uptime_last_30m: number | null;
  uptime_last_1d: number | null;
  latency_last_30m: PercentileFigures | null;
  throughput_last_30m: PercentileFigures | null;
}

export function openRouterEndpointStats(snapshot: EndpointSnapshot | undefined): OpenRouterEndpointStats {
  return {
    uptime_last_5m: snapshot?.up5 ?? null,
    uptime_last_30m: snapshot?.up30 ?? null,
    uptime_last_1d: snapshot?.up1d ?? null,
    latency_last_30m: figures(snapshot?.lat30),
    throughput_last_30m: figures(snapshot?.tps30),
  };
}

export function renderWindow(aggregate: Aggregate) {
  return {
    samples: aggregate.samples,
    /** Successes and uptime errors: what uptime is computed over. */
    attempts: aggregate.attempts,
    counts: Object.fromEntries(STATUS_CLASSES.map((c) => [c, aggregate.count(c)])) as Record<
      StatusClass,
      number
    >,
    uptime: uptimePercent(aggregate.count("ok"), aggregate.errors),
    ttft_ms: figures(aggregate.ttft.quartet()),
    total_latency_ms: figures(aggregate.total.quartet()),
    throughput_tps: figures(aggregate.tps.quartet()),
  };
}

export function renderColos(aggregate: Aggregate) {
  const out: Record<
    string,
    { attempts: number; errors: number; uptime: number | null; mean_ttft_ms: number | null }
  > = {};
  for (const [colo, [attempts, errors, ttftSum, ttftCount]] of aggregate.colos) {
    out[colo] = {
      attempts,
      errors,
      uptime: uptimePercent(attempts - errors, errors),
      mean_ttft_ms: ttftCount > 0 ? Math.round(ttftSum / ttftCount) : null,
    };
  }
  return out;
}

/** One endpoint in the management report. */
export function renderEndpointReport(
  endpoint: string,
  windows: Windowed,
  recent: RecentHealth,
  snapshot: EndpointSnapshot,
  recentWindowMs: number,
) {
  return {
    endpoint,
    circuit: recent.circuit,
    recent: {
      window_ms: recentWindowMs,
      attempts: recent.attempts,
      errors: recent.errors,
      error_rate: snapshot.err,
    },
    routing: {
      ttft_ms_5m: figures(snapshot.lat),
      throughput_tps_5m: figures(snapshot.tps),
    },
    windows: {
      "5m": renderWindow(windows["5m"]),
      "30m": renderWindow(windows["30m"]),
      "1d": renderWindow(windows["1d"]),
    },
    colos_30m: renderColos(windows["30m"]),
  };
}

export type EndpointReport = ReturnType<typeof renderEndpointReport>;
