/**
 * Routing on live stats, through the Worker against the mock upstream: slow and failing endpoints
 * lose traffic, failures reported by another isolate are avoided here, and endpoints win their
 * traffic back after recovery through a half-open probe. Tests run with a 100 ms flush interval and
 * snapshot TTL and a 1.5 s shared-circuit cooldown (vitest.config.ts); the isolate's own circuits
 * keep their production cooldown (15 s).
 */
import { env, exports } from "cloudflare:workers";
import { HTTPClient, OpenRouter } from "@openrouter/sdk";
import { describe, expect, it } from "vitest";
import { providerSetting } from "../src/env";
import { isolateCircuits } from "../src/gateway/attempts";
import { DEFAULT_CIRCUIT_OPTIONS } from "../src/routing/circuit";
import { Aggregate } from "../src/stats/aggregate";
import { shardStub } from "../src/stats/isolate";
import type { IngestEntry } from "../src/stats/recorder";
import { shardOf } from "../src/stats/shards";
import { bucketStart, FINE_MS } from "../src/stats/windows";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY } from "./constants";
import { BASE, call, chat, user } from "./helpers";

const LLAMA = "meta-llama/llama-3.3-70b-instruct";
const KEYS = {
  groq: "groq/llama-3.3-70b-versatile",
  together: "together/meta-llama/Llama-3.3-70B-Instruct-Turbo",
  deepinfra: "deepinfra/meta-llama/Llama-3.3-70B-Instruct-Turbo",
  fireworks: "fireworks/accounts/fireworks/models/llama-v3p3-70b-instruct",
};
type Slug = keyof typeof KEYS;
/** Flush interval + snapshot TTL in tests, plus room for the round trips. */
const PROPAGATION_MS = 400;

let tagCounter = 0;
const newTag = () => `stats-${Date.now()}-${++tagCounter}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function callsFor(tag: string): Promise<Record<string, { requests: number }>> {
  const origin = new URL(providerSetting(env, "openai", "BASE_URL") as string).origin;
  return (await (await fetch(`${origin}/__calls/${encodeURIComponent(tag)}`)).json()) as Record<
    string,
    { requests: number }
  >;
}

/** One JSON request between two providers; says which served and which the mock saw. */
async function ask(
  pair: [Slug, Slug],
  behaviour: Partial<Record<Slug, object>> = {},
  provider: object = { sort: "price" },
) {
  const tag = newTag();
  const res = await chat({
    model: LLAMA,
    messages: user("hi"),
    provider: { only: pair, ...provider },
    mock: {
      by_provider: Object.fromEntries(
        pair.map((slug) => [slug, { content: `from ${slug}`, tag, ...(behaviour[slug] ?? {}) }]),
      ),
    },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return {
    servedBy: body.choices[0]?.message.content.replace("from ", "") as Slug,
    triedFirst: res.headers.get("junction-route")?.split("/")[0] as Slug,
    calls: await callsFor(tag),
  };
}

/** Repeats `probe` until `done` holds or `withinMs` passes; returns how long it took. */
async function until(withinMs: number, probe: () => Promise<boolean>): Promise<number> {
  const started = Date.now();
  while (!(await probe())) {
    if (Date.now() - started > withinMs) throw new Error(`not within ${withinMs} ms`);
    await sleep(50);
  }
  return Date.now() - started;
}

describe("routing reacts to live stats", () => {
  it(
    "an endpoint failing here loses traffic within the breaker's minimum sample, then regains it after the half-open probe",
    async () => {
      expect((await ask(["groq", "together"])).triedFirst).toBe("groq");
      let failures = 0;
      for (; failures < 10; failures++) {
        const answer = await ask(["groq", "together"], { groq: { status: 500 } });
        expect(answer.servedBy).toBe("together");
        if (answer.calls.groq === undefined) break;
      }
      // The breaker opens once the last minute holds at least 4 attempts (its minimum sample), half
      // of them failed: here the first success plus 3 failures. The next request skips groq.
      expect(failures).toBe(DEFAULT_CIRCUIT_OPTIONS.minSamples - 1);
      const openedBy = Date.now();
      const lost = await ask(["groq", "together"], { groq: { status: 500 } });
      expect(lost.calls.groq).toBeUndefined();
      expect(lost.triedFirst).toBe("together");
      // The shard saw the failures too: its circuit opened and its error rate is high.
      await sleep(PROPAGATION_MS);
      const stats = (await (
        await call(`/api/v1/stats/endpoints?endpoint=${encodeURIComponent(KEYS.groq)}`, {
          headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
        })
      ).json()) as any;
      expect(stats.data[0].recent).toMatchObject({ errors: failures, error_rate: 0.75 });
      expect(stats.data[0].circuit).toBe("open");
      expect(stats.data[0].windows["5m"].counts.upstream_error).toBe(failures);

      // groq recovers. Until the isolate's cooldown ends it is still skipped...
      expect((await ask(["groq", "together"])).calls.groq).toBeUndefined();
      await sleep(Math.max(0, openedBy + DEFAULT_CIRCUIT_OPTIONS.cooldownMs - Date.now()));
      // ...then the half-open probe goes to groq, succeeds, and groq is first again.
      // (The first request after this idle spell may still plan on the isolate's stale snapshot,
      // where the shared circuit was open; it refreshes in the background for the next one.)
      let probe = await ask(["groq", "together"]);
      await until(PROPAGATION_MS, async () => {
        if (probe.triedFirst !== "groq") probe = await ask(["groq", "together"]);
        return probe.triedFirst === "groq";
      });
      expect(probe.servedBy).toBe("groq");
      expect(isolateCircuits.state(KEYS.groq)).toBe("closed");
      await sleep(PROPAGATION_MS);
      for (let i = 0; i < 3; i++) expect((await ask(["groq", "together"])).triedFirst).toBe("groq");
    },
    DEFAULT_CIRCUIT_OPTIONS.cooldownMs + 15_000,
  );
  it("failures reported by another isolate are avoided here, and the endpoint wins traffic back after the shared cooldown", async () => {
    // deepinfra is cheaper than fireworks, so price order tries it first.
    expect((await ask(["deepinfra", "fireworks"])).triedFirst).toBe("deepinfra");
    const key = KEYS.deepinfra;
    // Another isolate saw deepinfra fail 6 times: its flush lands in the shard.
    const failed = new Aggregate();
    const now = Date.now();
    for (let i = 0; i < 6; i++) failed.add({ endpoint: key, at: now, status: "upstream_error", colo: "SIN" });
    const entry: IngestEntry = {
      endpoint: key,
      start: bucketStart(now, FINE_MS),
      aggregate: failed.toData(),
      ok: 0,
      errors: 6,
      rateLimited: 0,
      lastOkAt: 0,
      lastFailureAt: now,
    };
    const reportedAt = Date.now();
    await shardStub(env, shardOf(key)).ingest([entry]);
    // This isolate never saw a failure: only the shared view can move it.
    const avoidedAfter = await until(PROPAGATION_MS, async () => {
      const answer = await ask(["deepinfra", "fireworks"]);
      return answer.triedFirst === "fireworks" && answer.calls.deepinfra === undefined;
    });
    expect(isolateCircuits.state(key)).toBe("closed");
    expect(avoidedAfter).toBeLessThan(PROPAGATION_MS);
    // The shared circuit half-opens after its cooldown; the next request probes deepinfra, which
    // answers, and it is first again.
    const regainedAfter = await until(1_500 + PROPAGATION_MS * 3, async () => {
      return (await ask(["deepinfra", "fireworks"])).triedFirst === "deepinfra";
    });
    expect(Date.now() - reportedAt).toBeGreaterThanOrEqual(1_500);
    expect(regainedAfter).toBeLessThan(1_500 + PROPAGATION_MS * 3);
    await sleep(PROPAGATION_MS);
    for (let i = 0; i < 3; i++) expect((await ask(["deepinfra", "fireworks"])).triedFirst).toBe("deepinfra");
  });

  it("a slow endpoint loses traffic under sort: latency and preferred_max_latency", async () => {
    // Cheapest first by default: deepinfra. Make it slow for enough requests to outweigh its
    // earlier fast answers in the 5-minute window; fireworks stays fast.
    expect((await ask(["deepinfra", "fireworks"])).triedFirst).toBe("deepinfra");
    for (let i = 0; i < 12; i++) {
      await ask(["deepinfra", "fireworks"], { deepinfra: { delay_ms: 350 } }, { order: ["deepinfra"] });
    }
    await ask(["deepinfra", "fireworks"], {}, { order: ["fireworks"] });
    const tookMs = await until(PROPAGATION_MS * 3, async () => {
      return (await ask(["deepinfra", "fireworks"], {}, { sort: "latency" })).triedFirst === "fireworks";
    });
    expect(tookMs).toBeLessThan(PROPAGATION_MS * 3);
    // Price order would pick deepinfra; its p50 TTFT misses a 0.2 s preference, so it is demoted.
    const preferred = await ask(
      ["deepinfra", "fireworks"],
      {},
      { sort: "price", preferred_max_latency: 0.2 },
    );
    expect(preferred.triedFirst).toBe("fireworks");
    expect(preferred.calls.deepinfra).toBeUndefined();
    // Without the preference, price order still serves deepinfra: slowness alone never excludes.
    expect((await ask(["deepinfra", "fireworks"])).servedBy).toBe("deepinfra");
  });
});

describe("exposure", () => {
  it("GET /api/v1/stats/endpoints needs the management key and shows every window", async () => {
    expect((await call("/api/v1/stats/endpoints")).status).toBe(401);
    const inference = await call("/api/v1/stats/endpoints", {
      headers: { authorization: `Bearer ${TEST_DEMO_KEY}` },
    });
    expect(inference.status).toBe(403);
    await ask(["groq", "together"], {}, { order: ["together"] });
    await sleep(PROPAGATION_MS);
    const res = await call("/api/v1/stats/endpoints", {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    const together = body.data.find((e: any) => e.endpoint === KEYS.together);
    expect(together).toMatchObject({
      shard: shardOf(KEYS.together),
      circuit: "closed",
      windows: {
        "5m": {
          uptime: 100,
          ttft_ms: { p50: expect.any(Number) },
          throughput_tps: { p50: expect.any(Number) },
        },
        "30m": { uptime: 100 },
        "1d": { uptime: 100 },
      },
    });
    expect(body.shards).toHaveLength(8);
    expect(body.sketch.relative_accuracy).toBe(0.02);
  });

  it("the endpoints listing carries uptime, latency and throughput as @openrouter/sdk validates them", async () => {
    await ask(["groq", "together"], {}, { order: ["together"] });
    await sleep(PROPAGATION_MS);
    const client = new OpenRouter({
      apiKey: TEST_DEMO_KEY,
      serverURL: `${BASE}/api/v1`,
      httpClient: new HTTPClient({
        fetcher: (input, init) => exports.default.fetch(new Request(input, init)),
      }),
    });
    const [author, slug] = LLAMA.split("/") as [string, string];
    const { data } = await client.endpoints.list({ author, slug });
    const together = data.endpoints.find((e) => e.tag === "together" || e.providerName === "Together");
    expect(together?.uptimeLast5m).toBe(100);
    expect(together?.uptimeLast1d).toBe(100);
    expect(together?.latencyLast30m?.p50).toBeGreaterThan(0);
    expect(together?.throughputLast30m?.p99).toBeGreaterThan(0);
    // An endpoint never tried has no figures.
    const untried = data.endpoints.find((e) => e.providerName === "Cerebras");
    expect(untried?.uptimeLast30m ?? null).toBeNull();
  });
});

describe("samples from every outcome", () => {
  const report = async () => {
    const res = await call(`/api/v1/stats/endpoints?endpoint=${encodeURIComponent(KEYS.together)}`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    return ((await res.json()) as any).data[0]?.windows["5m"];
  };
  const once = async (body: object, stream = false) => {
    const res = await chat({
      model: LLAMA,
      stream,
      messages: user("hi"),
      provider: { order: ["together", "groq"] },
      ...body,
    });
    await res.text();
    return res.status;
  };

  it("JSON and streamed successes, stream breaks, timeouts, 429s and the caller's errors are all counted", async () => {
    const before = await report();
    expect(await once({})).toBe(200);
    expect(await once({ mock: { by_provider: { together: { content: "a b c d e f" } } } }, true)).toBe(200);
    expect(
      await once(
        { mock: { by_provider: { together: { content: "a b c d e f", cut_after_chunks: 2 } } } },
        true,
      ),
    ).toBe(200);
    expect(await once({ mock: { by_provider: { together: { delay_ms: 4000 } } } })).toBe(200);
    expect(
      await once({
        mock: {
          by_provider: {
            together: { status: 400, error_body: { error: { message: "temperature must be <= 1" } } },
          },
        },
      }),
    ).toBe(400);
    expect(await once({ mock: { by_provider: { together: { status: 429, retry_after: "30" } } } })).toBe(200);
    await sleep(PROPAGATION_MS);
    const after = await report();
    const delta = (status: string) => after.counts[status] - (before?.counts[status] ?? 0);
    expect({
      ok: delta("ok"),
      stream_break: delta("stream_break"),
      timeout: delta("timeout"),
      client_error: delta("client_error"),
      rate_limited: delta("rate_limited"),
    }).toEqual({ ok: 2, stream_break: 1, timeout: 1, client_error: 1, rate_limited: 1 });
    // Uptime counts successes over successes and errors: 429s and the caller's errors are left out.
    expect(after.attempts - (before?.attempts ?? 0)).toBe(4);
    expect(after.ttft_ms.p50).toBeGreaterThan(0);
  });
});
