/** Every part's result, saved as JSON under bench/.out/results so the report can be rebuilt. */

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { CpuSuiteResult } from "../cpu/run.ts";
import type { CeilingResult } from "../load/ceiling.ts";
import type { LatencyResult } from "../load/latency.ts";
import type { LimitsResult } from "../load/limits.ts";
import type { MemoryResult } from "../load/memory.ts";
import type { StreamResult } from "../load/stream.ts";
import type { ThroughputResult } from "../load/throughput.ts";
import type { HotPathProfiles } from "../profile/hot-path.ts";
import type { MachineInfo } from "./machine.ts";
import { BENCH_OUT } from "./paths.ts";

export interface BenchResults {
  machine: MachineInfo;
  ceiling: CeilingResult;
  latency: LatencyResult;
  throughput: ThroughputResult;
  stream: StreamResult;
  cpu: CpuSuiteResult;
  memory: MemoryResult;
  profile: Partial<HotPathProfiles>;
  limits: LimitsResult;
  /** Wall-clock seconds of each part and of the whole run. */
  timings: Record<string, number>;
}

const DIR = `${BENCH_OUT}/results`;

export function saveResult<K extends keyof BenchResults>(part: K, value: BenchResults[K]): void {
  mkdirSync(DIR, { recursive: true });
  writeFileSync(`${DIR}/${part}.json`, JSON.stringify(value, null, 2));
}

export function loadResults(): Partial<BenchResults> {
  const results: Partial<Record<keyof BenchResults, unknown>> = {};
  const parts: (keyof BenchResults)[] = [
    "machine",
    "ceiling",
    "latency",
    "throughput",
    "stream",
    "cpu",
    "memory",
    "limits",
    "profile",
    "timings",
  ];
  for (const part of parts) {
    const file = `${DIR}/${part}.json`;
    if (existsSync(file)) results[part] = JSON.parse(readFileSync(file, "utf8"));
  }
  return results as Partial<BenchResults>;
}
