/** Part 4: CPU per request of the pure pipeline, per stream chunk, and of the whole route in Node. */
import { QUICK } from "../lib/environment.ts";
import type { SourceTree } from "../lib/source.ts";
import { type CpuSuiteResult, runCpuSuite } from "./run.ts";

export function measureCpu(source: SourceTree): Promise<CpuSuiteResult> {
  return runCpuSuite(source.root, { timeMs: QUICK ? 250 : 1_000 });
}
