/**
 * Part 5: memory. Junction's isolate heap (after forced garbage collection, read through the
 * inspector) once 1 000 requests have been served and again at 100 000. Every request carries a
 * different `user`, so a map keyed by anything per-request would show up as growth.
 * Runs first, on a fresh isolate, so "after 1 000" means what it says.
 */
import { readFileSync } from "node:fs";
import { type BenchEnvironment, QUICK } from "../lib/environment.ts";
import { chatRequestJson } from "../lib/requests.ts";
import { heapAfterGc } from "../profile/workerd.ts";
import { runLoad } from "./autocannon.ts";

export interface MemoryPoint {
  requests: number;
  heapUsedBytes: number;
  workerdRssBytes: number | undefined;
}

export interface MemoryResult {
  points: MemoryPoint[];
  failed: number;
  /** Allowed heap growth from the first to the last point. */
  boundBytes: number;
}

/** About 10 bytes per request over 99 000 requests: anything retained per request exceeds it. */
export const HEAP_GROWTH_BOUND_BYTES = 1024 * 1024;

function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match?.[1] ? Number(match[1]) * 1024 : undefined;
}

export async function measureMemory(env: BenchEnvironment): Promise<MemoryResult> {
  await env.mock.setProfile({});
  const body = chatRequestJson({ bytes: 2_048, user: "[<id>]" });
  const checkpoints = QUICK ? [1_000, 10_000] : [1_000, 100_000];
  const points: MemoryPoint[] = [];
  let served = 0;
  let failed = 0;
  for (const target of checkpoints) {
    const run = await runLoad({
      url: env.urls.junction,
      body,
      headers: env.headers,
      connections: served === 0 ? 4 : 32,
      durationSeconds: 240,
      maxRequests: target - served,
      idReplacement: true,
    });
    served += run.ok + run.failed;
    failed += run.failed;
    const heap = await heapAfterGc(env.runtime.inspectorUrl, "junction");
    points.push({
      requests: served,
      heapUsedBytes: heap.usedBytes,
      workerdRssBytes: rssBytes(env.runtime.workerdPid),
    });
  }
  return { points, failed, boundBytes: HEAP_GROWTH_BOUND_BYTES };
}
