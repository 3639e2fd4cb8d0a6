/**
 * Junction against the baseline, interleaved: A B A B ... so that drift in the machine (other
 * processes, thermal state, caches) lands on both alike. Each side is warmed up first.
 */
import type { BenchEnvironment } from "../lib/environment.ts";
import { chatRequestJson } from "../lib/requests.ts";
import { type LoadRun, runLoad } from "./autocannon.ts";

export type Side = "junction" | "baseline";
export const SIDES: Side[] = ["junction", "baseline"];

export interface AbSpec {
  connections: number;
  rounds: number;
  secondsPerRun: number;
  warmupSeconds: number;
  /** Upper bound on requests per run, so no run is unbounded even on a very fast machine. */
  maxRequestsPerRun: number;
}

export type AbRuns = Record<Side, LoadRun[]>;

export async function interleaved(env: BenchEnvironment, spec: AbSpec): Promise<AbRuns> {
  await env.mock.setProfile({});
  const body = chatRequestJson({ bytes: 2_048 });
  const run = (side: Side, durationSeconds: number) =>
    runLoad({
      url: env.urls[side],
      body,
      headers: env.headers,
      connections: spec.connections,
      durationSeconds,
      maxRequests: spec.maxRequestsPerRun,
    });
  for (const side of SIDES) await run(side, spec.warmupSeconds);
  const runs: AbRuns = { junction: [], baseline: [] };
  for (let round = 0; round < spec.rounds; round++) {
    for (const side of SIDES) runs[side].push(await run(side, spec.secondsPerRun));
  }
  return runs;
}

export const allLatencies = (runs: LoadRun[]): number[] => runs.flatMap((r) => r.latenciesMs);
export const failures = (runs: LoadRun[]): number => runs.reduce((n, r) => n + r.failed, 0);
