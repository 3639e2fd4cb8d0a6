/**
 * The running setup every end-to-end part shares: the mock upstream process, workerd with both
 * Workers, and (on machines with two or more cores) CPU pinning so the Workers under test get a
 * core of their own while the load generator and the mock share the other.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { type MockUpstream, startMockProcess } from "../mock/process.ts";
import { buildWorkers } from "../workers/build.ts";
import { type BenchRuntime, startRuntime } from "../workers/runtime.ts";
import type { SourceTree } from "./source.ts";

export interface BenchEnvironment {
  source: SourceTree;
  mock: MockUpstream;
  runtime: BenchRuntime;
  /** How processes were placed on cores, for the report. */
  placement: string;
  urls: { junction: string; baseline: string; mock: string };
  headers: Record<string, string>;
}

/** `taskset` every thread of a process onto the given CPU list; false when that is not possible. */
function pin(pid: number | undefined, cpus: string): boolean {
  if (pid === undefined) return false;
  try {
    execFileSync("taskset", ["-a", "-c", "-p", cpus, String(pid)], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function placeProcesses(runtime: BenchRuntime, mock: MockUpstream): string {
  const cores = availableParallelism();
  if (process.env.BENCH_PIN === "0") return "not pinned (BENCH_PIN=0): all processes share all cores";
  if (cores < 2) return "not pinned (one core): all processes share it";
  const last = cores - 1;
  const workerdCores = cores >= 4 ? `0-${Math.floor(cores / 2) - 1}` : "0";
  const driverCores = cores >= 4 ? `${Math.floor(cores / 2)}-${last}` : last === 1 ? "1" : `1-${last}`;
  const ok =
    pin(runtime.workerdPid, workerdCores) && pin(process.pid, driverCores) && pin(mock.pid, driverCores);
  return ok
    ? `workerd pinned to CPU ${workerdCores}; load generator and mock upstream pinned to CPU ${driverCores}`
    : "not pinned (taskset unavailable): all processes share all cores";
}

export async function withEnvironment<T>(
  source: SourceTree,
  body: (env: BenchEnvironment) => Promise<T>,
): Promise<T> {
  const bundles = await buildWorkers(source.root);
  const mock = await startMockProcess();
  let runtime: BenchRuntime | undefined;
  try {
    runtime = await startRuntime(source.root, bundles, mock.origin);
    const placement = placeProcesses(runtime, mock);
    return await body({
      source,
      mock,
      runtime,
      placement,
      urls: {
        junction: `${runtime.junction}/api/v1/chat/completions`,
        baseline: `${runtime.baseline}/v1/chat/completions`,
        mock: `${mock.origin}/v1/chat/completions`,
      },
      headers: { authorization: `Bearer ${runtime.apiKey}`, "content-type": "application/json" },
    });
  } finally {
    await runtime?.dispose();
    await mock.stop();
    // Leave this process free to use every core again.
    pin(process.pid, `0-${availableParallelism() - 1}`);
  }
}

/** `BENCH_QUICK=1` shortens every run (for working on the bench itself; numbers are then rough). */
export const QUICK = process.env.BENCH_QUICK === "1";
export const seconds = (full: number) => (QUICK ? Math.max(1, Math.round(full / 4)) : full);
