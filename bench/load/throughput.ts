/** Part 2: requests per second and tail latency at concurrency 32. */
import { type BenchEnvironment, seconds } from "../lib/environment.ts";
import { mean, spread } from "../lib/stats.ts";
import { allLatencies, failures, interleaved } from "./ab.ts";

export interface ThroughputSide {
  rps: number;
  /** Requests per second of each run, in order. */
  rpsPerRun: number[];
  p50Us: number;
  p99Us: number;
  failed: number;
}

export interface ThroughputResult {
  connections: number;
  rounds: number;
  secondsPerRun: number;
  junction: ThroughputSide;
  baseline: ThroughputSide;
}

export async function measureThroughput(env: BenchEnvironment): Promise<ThroughputResult> {
  const spec = {
    connections: 32,
    rounds: 3,
    secondsPerRun: seconds(5),
    warmupSeconds: seconds(2),
    maxRequestsPerRun: 500_000,
  };
  const runs = await interleaved(env, spec);
  const side = (name: "junction" | "baseline"): ThroughputSide => {
    const s = spread(allLatencies(runs[name]));
    const rpsPerRun = runs[name].map((r) => r.requestsPerSecond);
    return {
      rps: mean(rpsPerRun),
      rpsPerRun,
      p50Us: s.p50 * 1000,
      p99Us: s.p99 * 1000,
      failed: failures(runs[name]),
    };
  };
  return {
    connections: spec.connections,
    rounds: spec.rounds,
    secondsPerRun: spec.secondsPerRun,
    junction: side("junction"),
    baseline: side("baseline"),
  };
}
