/** Part 1: added latency of a non-streaming request at concurrency 1. */
import { type BenchEnvironment, seconds } from "../lib/environment.ts";
import { median, spread } from "../lib/stats.ts";
import { allLatencies, failures, interleaved } from "./ab.ts";

export interface LatencySide {
  p50Us: number;
  p90Us: number;
  p99Us: number;
  requests: number;
  failed: number;
}

export interface LatencyResult {
  rounds: number;
  secondsPerRun: number;
  junction: LatencySide;
  baseline: LatencySide;
  /** Junction's p50 minus the baseline's, per round: how stable the difference is. */
  p50DeltaPerRoundUs: number[];
}

export async function measureLatency(env: BenchEnvironment): Promise<LatencyResult> {
  const spec = {
    connections: 1,
    rounds: 5,
    secondsPerRun: seconds(4),
    warmupSeconds: seconds(2),
    maxRequestsPerRun: 100_000,
  };
  const runs = await interleaved(env, spec);
  const side = (name: "junction" | "baseline"): LatencySide => {
    const s = spread(allLatencies(runs[name]));
    return {
      p50Us: s.p50 * 1000,
      p90Us: s.p90 * 1000,
      p99Us: s.p99 * 1000,
      requests: s.n,
      failed: failures(runs[name]),
    };
  };
  return {
    rounds: spec.rounds,
    secondsPerRun: spec.secondsPerRun,
    junction: side("junction"),
    baseline: side("baseline"),
    p50DeltaPerRoundUs: runs.junction.map(
      (run, i) => (median(run.latenciesMs) - median(runs.baseline[i]?.latenciesMs ?? [])) * 1000,
    ),
  };
}
