/**
 * Per-key limits under load (DESIGN.md §3): how often the isolate has to ask the key's KeyGuard
 * (leases) for a key far from its limits, and whether admission at a limit is exact. Reads the
 * isolate's admission counters from `GET /api/v1/stats/endpoints`; Miniflare runs one isolate.
 */
import type { BenchEnvironment } from "../lib/environment.ts";
import { chatRequestJson } from "../lib/requests.ts";

export interface LimitsResult {
  farFromLimits: {
    requests: number;
    concurrency: number;
    admitted: number;
    roundTrips: number;
    perRequest: number;
  };
  atLimit: { limit: number; sent: number; admitted: number; refused: number; exact: boolean };
}

interface Counters {
  admitted: number;
  roundTrips: number;
}

async function counters(env: BenchEnvironment): Promise<Counters> {
  const res = await fetch(`${env.runtime.junction}/api/v1/stats/endpoints`, {
    headers: { authorization: `Bearer ${env.runtime.adminKey}` },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`stats endpoint answered ${res.status}: ${text.slice(0, 300)}`);
  const body = JSON.parse(text) as { isolate: { admission: Counters } };
  return body.isolate.admission;
}

async function newKey(env: BenchEnvironment, settings: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${env.runtime.junction}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${env.runtime.adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench-limits", ...settings }),
  });
  return ((await res.json()) as { key: string }).key;
}

const body = chatRequestJson({ bytes: 2_048 });

function send(env: BenchEnvironment, key: string): Promise<number> {
  return fetch(env.urls.junction, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body,
  }).then(async (res) => {
    await res.arrayBuffer();
    return res.status;
  });
}

export async function measureLimits(env: BenchEnvironment): Promise<LimitsResult> {
  const requests = process.env.BENCH_QUICK === "1" ? 300 : 2_000;
  const concurrency = 16;
  const far = await newKey(env, {});
  const before = await counters(env);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        next++;
        await send(env, far);
      }
    }),
  );
  const after = await counters(env);
  const admitted = after.admitted - before.admitted;
  const roundTrips = after.roundTrips - before.roundTrips;

  // A burst inside one UTC minute against a requests-per-minute limit.
  const limit = 10;
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
  const limited = await newKey(env, { requests_per_minute: limit });
  const statuses = await Promise.all(Array.from({ length: 30 }, () => send(env, limited)));
  const ok = statuses.filter((s) => s === 200).length;
  return {
    farFromLimits: {
      requests,
      concurrency,
      admitted,
      roundTrips,
      perRequest: admitted > 0 ? roundTrips / admitted : Number.NaN,
    },
    atLimit: {
      limit,
      sent: statuses.length,
      admitted: ok,
      refused: statuses.filter((s) => s === 429).length,
      exact: ok === limit,
    },
  };
}
