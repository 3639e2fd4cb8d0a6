/** Part 0: the mock upstream alone, under the same load and placement the Workers get. */
import { type BenchEnvironment, seconds } from "../lib/environment.ts";
import { chatRequestJson } from "../lib/requests.ts";
import { spread } from "../lib/stats.ts";
import { runLoad } from "./autocannon.ts";

export interface CeilingResult {
  c1: { p50Us: number; p90Us: number; p99Us: number; rps: number };
  c32: { rps: number; p99Us: number };
  failed: number;
}

export async function measureMockCeiling(env: BenchEnvironment): Promise<CeilingResult> {
  await env.mock.setProfile({});
  const base = { url: env.urls.mock, body: chatRequestJson({ bytes: 2_048 }), headers: env.headers };
  await runLoad({ ...base, connections: 32, durationSeconds: 1, maxRequests: 50_000 });
  const c1 = await runLoad({ ...base, connections: 1, durationSeconds: seconds(4), maxRequests: 100_000 });
  const c32 = await runLoad({ ...base, connections: 32, durationSeconds: seconds(4), maxRequests: 400_000 });
  const s1 = spread(c1.latenciesMs);
  return {
    c1: { p50Us: s1.p50 * 1000, p90Us: s1.p90 * 1000, p99Us: s1.p99 * 1000, rps: c1.requestsPerSecond },
    c32: { rps: c32.requestsPerSecond, p99Us: spread(c32.latenciesMs).p99 * 1000 },
    failed: c1.failed + c32.failed,
  };
}
