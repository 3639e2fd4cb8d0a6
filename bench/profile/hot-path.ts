/**
 * The profile of Junction's hot path, two ways: workerd's inspector sampling the Junction and the
 * baseline isolates under load (the real runtime), and `node --cpu-prof` on the pure pipeline
 * (where the cost inside Junction's own modules is easiest to see).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { runCpuSuite } from "../cpu/run.ts";
import { type BenchEnvironment, seconds } from "../lib/environment.ts";
import { BENCH_OUT } from "../lib/paths.ts";
import { chatRequestJson } from "../lib/requests.ts";
import type { SourceTree } from "../lib/source.ts";
import { runLoad } from "../load/autocannon.ts";
import { type CpuProfile, type ProfileSummary, summarizeProfile } from "./summarize.ts";
import { profileWorker } from "./workerd.ts";

export interface WorkerdProfile {
  requests: number;
  /** Isolate time sampled busy, per request: the Worker's own CPU, runtime calls included. */
  busyUsPerRequest: number;
  summary: ProfileSummary;
  file: string;
}

export interface HotPathProfiles {
  workerd: { junction: WorkerdProfile; baseline: WorkerdProfile };
  node: { pipeline2KB: ProfileSummary; pipeline100KB: ProfileSummary; files: string[] };
}

async function profileSide(env: BenchEnvironment, side: "junction" | "baseline"): Promise<WorkerdProfile> {
  await env.mock.setProfile({});
  let requests = 0;
  const profile = await profileWorker(env.runtime.inspectorUrl, side, async () => {
    const run = await runLoad({
      url: env.urls[side],
      body: chatRequestJson({ bytes: 2_048 }),
      headers: env.headers,
      connections: 32,
      durationSeconds: seconds(6),
      maxRequests: 200_000,
    });
    requests = run.ok;
  });
  const file = `${BENCH_OUT}/profiles/workerd-${side}.cpuprofile`;
  writeFileSync(file, JSON.stringify(profile));
  const bundle = side === "junction" ? `${BENCH_OUT}/junction/index.js` : `${BENCH_OUT}/baseline/index.js`;
  const summary = summarizeProfile(profile, { "index.js": bundle });
  return { requests, busyUsPerRequest: (summary.busyMs * 1000) / Math.max(1, requests), summary, file };
}

export async function profileWorkerd(env: BenchEnvironment): Promise<HotPathProfiles["workerd"]> {
  return { junction: await profileSide(env, "junction"), baseline: await profileSide(env, "baseline") };
}

export async function profileNode(source: SourceTree): Promise<HotPathProfiles["node"]> {
  const files: string[] = [];
  const summaries: ProfileSummary[] = [];
  for (const [task, name] of [
    ["pipeline 2KB", "node-pipeline-2KB"],
    ["pipeline 100KB", "node-pipeline-100KB"],
  ] as const) {
    const file = `${BENCH_OUT}/profiles/${name}.cpuprofile`;
    await runCpuSuite(source.root, { timeMs: 1_500, only: [task], profilePath: file });
    const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
    summaries.push(summarizeProfile(profile, { "suite.mjs": `${BENCH_OUT}/cpu/suite.mjs` }));
    files.push(file);
  }
  return {
    pipeline2KB: summaries[0] as ProfileSummary,
    pipeline100KB: summaries[1] as ProfileSummary,
    files,
  };
}
