/**
 * `npm run bench [part]`: Junction against a bare pass-through Worker, end to end in workerd, plus
 * CPU microbenchmarks and profiles of the pipeline. With no part it runs everything and rewrites
 * BENCHMARKS.md; with a part it runs only that part and prints its result (saved under
 * bench/.out/results; `npm run bench -- report` rebuilds BENCHMARKS.md from what is saved).
 *
 * Parts: cpu, mock, memory, latency, throughput, stream, limits, profile, report.
 * Environment: BENCH_SOURCE=head measures the last commit instead of the working tree;
 * BENCH_PIN=0 disables CPU pinning; BENCH_QUICK=1 shortens every run (rough numbers).
 */
import { measureCpu } from "./cpu/measure.ts";
import { type BenchEnvironment, withEnvironment } from "./lib/environment.ts";
import { describeMachine } from "./lib/machine.ts";
import { type BenchResults, loadResults, saveResult } from "./lib/results.ts";
import { benchSource } from "./lib/source.ts";
import { measureMockCeiling } from "./load/ceiling.ts";
import { measureLatency } from "./load/latency.ts";
import { measureLimits } from "./load/limits.ts";
import { measureMemory } from "./load/memory.ts";
import { measureStreaming } from "./load/stream.ts";
import { measureThroughput } from "./load/throughput.ts";
import { profileNode, profileWorkerd } from "./profile/hot-path.ts";
import { writeReport } from "./report/write.ts";

type Part = "cpu" | "mock" | "memory" | "latency" | "throughput" | "stream" | "limits" | "profile" | "report";
const PARTS: Part[] = [
  "cpu",
  "mock",
  "memory",
  "latency",
  "throughput",
  "stream",
  "limits",
  "profile",
  "report",
];

const requested = process.argv[2] ?? "all";
if (requested !== "all" && !PARTS.includes(requested as Part)) {
  console.error(`unknown part "${requested}"; expected one of: all, ${PARTS.join(", ")}`);
  process.exit(2);
}
const wants = (part: Part) => requested === "all" || requested === part;

const source = benchSource();
const timings: Record<string, number> = {};
const startedAt = performance.now();

async function timed<T>(label: string, work: () => Promise<T>): Promise<T> {
  process.stderr.write(`bench: ${label} ...\n`);
  const t0 = performance.now();
  const value = await work();
  timings[label] = (performance.now() - t0) / 1000;
  process.stderr.write(`bench: ${label} done in ${timings[label]?.toFixed(1)} s\n`);
  return value;
}

function show(part: keyof BenchResults, value: unknown): void {
  if (requested !== "all") console.log(JSON.stringify({ [part]: value }, null, 2));
}

process.stderr.write(`bench: measuring ${source.commit}${source.dirty ? " + uncommitted changes" : ""}\n`);

// CPU first: nothing else is running yet, so the microbenchmarks have the machine to themselves.
if (wants("cpu")) {
  const cpu = await timed("cpu", () => measureCpu(source));
  saveResult("cpu", cpu);
  show("cpu", cpu);
}

const endToEnd: Part[] = ["mock", "memory", "latency", "throughput", "stream", "limits", "profile"];
if (endToEnd.some(wants)) {
  await withEnvironment(source, async (env: BenchEnvironment) => {
    saveResult("machine", describeMachine(source, env.placement));
    if (wants("mock")) {
      const ceiling = await timed("mock", () => measureMockCeiling(env));
      saveResult("ceiling", ceiling);
      show("ceiling", ceiling);
    }
    // Memory runs on the fresh isolate, before anything else has used it.
    if (wants("memory")) {
      const memory = await timed("memory", () => measureMemory(env));
      saveResult("memory", memory);
      show("memory", memory);
    }
    if (wants("latency")) {
      const latency = await timed("latency", () => measureLatency(env));
      saveResult("latency", latency);
      show("latency", latency);
    }
    if (wants("throughput")) {
      const throughput = await timed("throughput", () => measureThroughput(env));
      saveResult("throughput", throughput);
      show("throughput", throughput);
    }
    if (wants("stream")) {
      const stream = await timed("stream", () => measureStreaming(env));
      saveResult("stream", stream);
      show("stream", stream);
    }
    if (wants("limits")) {
      const limits = await timed("limits", () => measureLimits(env));
      saveResult("limits", limits);
      show("limits", limits);
    }
    if (wants("profile")) {
      const workerd = await timed("profile (workerd)", () => profileWorkerd(env));
      saveResult("profile", { workerd });
    }
  });
}

// After workerd is gone, so the profiled Node process has the machine to itself.
if (wants("profile")) {
  const node = await timed("profile (node)", () => profileNode(source));
  const profile = { ...loadResults().profile, node };
  saveResult("profile", profile);
  show("profile", profile);
}

if (requested === "all") {
  timings.total = (performance.now() - startedAt) / 1000;
  saveResult("timings", timings);
}
if (requested === "all" || requested === "report") {
  const file = writeReport(loadResults());
  process.stderr.write(`bench: wrote ${file}\n`);
}
process.stderr.write(`bench: finished in ${((performance.now() - startedAt) / 1000).toFixed(0)} s\n`);
