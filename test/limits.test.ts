/** Per-key limits, credit and the ledger, through the real KeyGuard Durable Object in workerd. */

import { runInDurableObject } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CRASH_GRACE_MS, type KeyGuard } from "../src/limits/key-guard";
import { type KeyGuardConfig, NO_LIMITS, type Settlement } from "../src/limits/types";
import { TEST_ADMIN_KEY } from "./constants";
import { call, chat, chunksOf, readSse, user } from "./helpers";

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" };
const OPENAI_ONLY = { provider: { only: ["openai"] } };

async function newKey(settings: Record<string, unknown> = {}): Promise<{ key: string; hash: string }> {
  const res = await call("/api/v1/keys", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "t", ...settings }),
  });
  expect(res.status).toBe(201);
  const body = (await res.json()) as any;
  return { key: body.key, hash: body.data.hash };
}

/** Rate windows are UTC minutes; keep a test's burst inside one. */
async function awayFromMinuteBoundary() {
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 50_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
}

const statusCounts = (responses: Response[]) => {
  const counts: Record<number, number> = {};
  for (const r of responses) counts[r.status] = (counts[r.status] ?? 0) + 1;
  return counts;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("exact limits under concurrency", () => {
  it("requests per minute: N parallel requests against a limit L admit exactly L", async () => {
    await awayFromMinuteBoundary();
    const { key } = await newKey({ requests_per_minute: 5 });
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => chat({ model: "junction/demo", messages: user("hi") }, key)),
    );
    expect(statusCounts(responses)).toEqual({ 200: 5, 429: 7 });
    const refused = responses.find((r) => r.status === 429) as Response;
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(refused.headers.get("x-ratelimit-limit")).toBe("5");
    expect(refused.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(Number(refused.headers.get("x-ratelimit-reset"))).toBeGreaterThan(Date.now() / 1000);
    const body = (await refused.json()) as any;
    expect(body.error.metadata).toMatchObject({ error_type: "rate_limit_exceeded", limit_type: "requests" });
  });

  it("concurrency: only L requests run at once; capacity comes back when they end", async () => {
    const { key } = await newKey({ concurrency: 3 });
    const slow = {
      ...OPENAI_ONLY,
      model: "openai/gpt-4o-mini",
      stream: true,
      messages: user("hi"),
      mock: { content: "a b c d e f", chunk_delay_ms: 80 },
    };
    const responses = await Promise.all(Array.from({ length: 10 }, () => chat(slow, key)));
    expect(statusCounts(responses)).toEqual({ 200: 3, 429: 7 });
    await Promise.all(responses.map((r) => r.text()));
    await sleep(50);
    expect((await chat(slow, key)).status).toBe(200);
  });

  it("credit: parallel requests reserve their worst case; exactly as many as fit are admitted", async () => {
    // gpt-4o-mini with max_tokens 1000 and a ~10-token prompt: ≈ $0.0006 worst case each.
    const request = { ...OPENAI_ONLY, model: "openai/gpt-4o-mini", max_tokens: 1000, messages: user("hi") };
    const { key, hash } = await newKey({ limit: 0.002 });
    const responses = await Promise.all(Array.from({ length: 8 }, () => chat(request, key)));
    const counts = statusCounts(responses);
    expect(counts[200]).toBe(3);
    expect(counts[402]).toBe(5);
    const refused = (await (responses.find((r) => r.status === 402) as Response).json()) as any;
    expect(refused.error.metadata).toMatchObject({ error_type: "payment_required", limit_type: "credit" });
    // After settling, only the actual (tiny) cost stays spent and the reservations come back.
    await sleep(1_200);
    const usage = await env.KEY_GUARD.getByName(hash).usage();
    expect(usage.usage).toBeGreaterThan(0);
    expect(usage.usage).toBeLessThan(0.0001);
    expect((await chat(request, key)).status).toBe(200);
  });

  it("free models are not blocked by an exhausted credit unless the key says so", async () => {
    for (const [limitFree, expected] of [
      [false, 200],
      [true, 402],
    ] as const) {
      const { key } = await newKey({ limit: 0, limit_free_models: limitFree });
      expect((await chat({ model: "junction/demo", messages: user("hi") }, key)).status).toBe(expected);
      expect(
        (await chat({ ...OPENAI_ONLY, model: "openai/gpt-4o-mini", messages: user("hi") }, key)).status,
      ).toBe(402);
    }
  });

  it("tokens per minute: a request that could exceed the limit on its own is refused with a reason", async () => {
    await awayFromMinuteBoundary();
    const { key } = await newKey({ tokens_per_minute: 500 });
    const res = await chat({ model: "junction/demo", max_tokens: 1000, messages: user("hi") }, key);
    expect(res.status).toBe(429);
    expect(((await res.json()) as any).error.message).toMatch(/more than the key's limit of 500/);
    expect((await chat({ model: "junction/demo", max_tokens: 50, messages: user("hi") }, key)).status).toBe(
      200,
    );
  });
});

describe("KeyGuard arithmetic (direct RPC, injected clock)", () => {
  const guard = (name: string) => env.KEY_GUARD.getByName(name);
  const setClock = (name: string, now: number) =>
    runInDurableObject(guard(name), (instance: KeyGuard) => {
      instance.now = () => now;
    });
  const config: KeyGuardConfig = { ...NO_LIMITS, disabled: false, deleted: false };

  it("reserves tokens at admission and settles the actual amount", async () => {
    const g = guard("tokens-arith");
    const t0 = Date.parse("2026-11-21T10:00:10Z");
    await setClock("tokens-arith", t0);
    await g.configure({ ...config, tokens_per_minute: 1000 });
    const first = await g.acquire({ tokens: 300, creditNanos: 0 });
    expect(first.ok && first.lease.tokens).toBe(300); // 1000 < 8 × 300: exactly the request
    expect((await g.usage()).tokens_this_minute).toBe(300);
    if (!first.ok) return;
    // Released before the request ended: its settle returns the unused reservation (300 - 120).
    await g.release({
      id: first.lease.id,
      unused: { requests: 0, tokens: 0, creditNanos: 0, concurrency: 0 },
    });
    const settlement: Settlement = {
      leaseId: first.lease.id,
      afterRelease: true,
      reserved: { tokens: 300, creditNanos: 0 },
      actual: { tokens: 120, costNanos: 0 },
      generation: null,
    };
    await g.settle("req-1", settlement);
    expect((await g.usage()).tokens_this_minute).toBe(120);
    // The next minute starts empty.
    await setClock("tokens-arith", t0 + 60_000);
    expect((await g.usage()).tokens_this_minute).toBe(0);
  });

  it("a retried settle never double-charges", async () => {
    const g = guard("idempotent");
    await g.configure({ ...config, limit: 1 });
    const lease = await g.acquire({ tokens: 10, creditNanos: 1_000 });
    if (!lease.ok) throw new Error("not admitted");
    const settlement: Settlement = {
      leaseId: lease.lease.id,
      afterRelease: false,
      reserved: { tokens: 10, creditNanos: 1_000 },
      actual: { tokens: 10, costNanos: 700 },
      generation: null,
    };
    expect(await g.settle("gen-same", settlement)).toEqual({ duplicate: false });
    expect(await g.settle("gen-same", settlement)).toEqual({ duplicate: true });
    expect((await g.usage()).usage).toBeCloseTo(0.0000007, 12);
  });

  it("credit resets at the UTC day, week (Monday) and month boundaries", async () => {
    for (const [reset, before, after] of [
      ["daily", "2026-11-21T23:59:59Z", "2026-11-22T00:00:00Z"],
      ["weekly", "2026-11-22T23:59:59Z", "2026-11-23T00:00:00Z"],
      ["monthly", "2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z"],
    ] as const) {
      const name = `reset-${reset}`;
      const g = guard(name);
      await setClock(name, Date.parse(before));
      await g.configure({ ...config, limit: 0.000001, limit_reset: reset });
      const lease = await g.acquire({ tokens: 1, creditNanos: 1_000 });
      if (!lease.ok) throw new Error("not admitted");
      await g.release({
        id: lease.lease.id,
        unused: { requests: 0, tokens: 0, creditNanos: 0, concurrency: 0 },
      });
      await g.settle(`${name}-1`, {
        leaseId: lease.lease.id,
        afterRelease: true,
        reserved: { tokens: 1, creditNanos: 1_000 },
        actual: { tokens: 1, costNanos: 1_000 },
        generation: null,
      });
      const refused = await g.acquire({ tokens: 1, creditNanos: 1 });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.rejection.resetsAt).toBe(Date.parse(after));
      await setClock(name, Date.parse(after));
      expect((await g.acquire({ tokens: 1, creditNanos: 1 })).ok).toBe(true);
    }
  });

  it("a crashed isolate's lease expires and its capacity comes back", async () => {
    const g = guard("crash");
    const t0 = Date.parse("2026-11-21T10:00:00Z");
    await setClock("crash", t0);
    await g.configure({ ...config, concurrency: 1, limit: 0.000002 });
    const lease = await g.acquire({ tokens: 1, creditNanos: 2_000 });
    if (!lease.ok) throw new Error("not admitted");
    // The holder never releases nor settles: nothing is left for anyone else...
    const blocked = await g.acquire({ tokens: 1, creditNanos: 1 });
    expect(!blocked.ok && blocked.rejection.dimension).toBe("concurrency");
    await setClock("crash", lease.lease.expiresAt + CRASH_GRACE_MS - 1);
    expect((await g.acquire({ tokens: 1, creditNanos: 1 })).ok).toBe(false);
    // ...until it is presumed dead.
    await setClock("crash", lease.lease.expiresAt + CRASH_GRACE_MS + 1);
    const after = await g.acquire({ tokens: 1, creditNanos: 2_000 });
    expect(after.ok).toBe(true);
  });

  it("disabled and deleted keys get no lease", async () => {
    const g = guard("disabled");
    await g.configure({ ...config, disabled: true });
    const result = await g.acquire({ tokens: 1, creditNanos: 0 });
    expect(!result.ok && result.rejection.dimension).toBe("key");
  });
});

const generationOf = async (id: string, key: string) =>
  call(`/api/v1/generation?id=${encodeURIComponent(id)}`, { headers: { authorization: `Bearer ${key}` } });

describe("the ledger and key endpoints", () => {
  it("records JSON, streamed, failed-over, cut and cancelled generations, each once", async () => {
    const { key } = await newKey({ limit: 10 });
    const json = await chat({ ...OPENAI_ONLY, model: "openai/gpt-4o-mini", messages: user("hi") }, key);
    const streamed = await chat(
      { ...OPENAI_ONLY, model: "openai/gpt-4o-mini", stream: true, messages: user("hi") },
      key,
    );
    await streamed.text();
    const failedOver = await chat(
      {
        model: "meta-llama/llama-3.3-70b-instruct",
        messages: user("hi"),
        provider: { order: ["groq", "together"], only: ["groq", "together"] },
        mock: { by_provider: { groq: { status: 500 }, together: { content: "ok" } } },
      },
      key,
    );
    const cut = await chat(
      {
        ...OPENAI_ONLY,
        model: "openai/gpt-4o-mini",
        stream: true,
        messages: user("hi"),
        mock: { content: "one two three four five six", cut_after_chunks: 3, no_usage: true },
      },
      key,
    );
    await cut.text();
    const controller = new AbortController();
    const cancelled = await exports.default.fetch(
      new Request("http://127.0.0.1:8787/api/v1/chat/completions", {
        method: "POST",
        signal: controller.signal,
        headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
        body: JSON.stringify({
          ...OPENAI_ONLY,
          model: "openai/gpt-4o-mini",
          stream: true,
          messages: user("hi"),
          mock: { content: "a b c d e f g h", chunk_delay_ms: 100 },
        }),
      }),
    );
    const reader = (cancelled.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    await reader.cancel();
    await sleep(700);

    const rows: Record<string, any> = {};
    for (const [name, res] of Object.entries({ json, streamed, failedOver, cut, cancelled })) {
      const id = res.headers.get("x-generation-id") as string;
      const found = await generationOf(id, key);
      expect(found.status, name).toBe(200);
      rows[name] = ((await found.json()) as any).data;
      expect(rows[name].id).toBe(id);
    }
    expect(rows.json).toMatchObject({
      streamed: false,
      cancelled: false,
      finish_reason: "stop",
      provider_name: "openai",
    });
    expect(rows.json.total_cost).toBeGreaterThan(0);
    expect(rows.streamed).toMatchObject({ streamed: true, finish_reason: "stop" });
    expect(rows.failedOver.provider_name).toBe("together");
    expect(rows.failedOver.attempts.map((a: any) => a.code)).toEqual(["provider_unavailable", "ok"]);
    // A stream cut midway is billed for what was delivered (estimated: the upstream sent no usage).
    expect(rows.cut).toMatchObject({ finish_reason: "error", usage_estimated: true });
    expect(rows.cut.tokens_completion).toBeGreaterThan(0);
    expect(rows.cut.total_cost).toBeGreaterThan(0);
    expect(rows.cancelled.cancelled).toBe(true);
  });

  it("a key cannot read another key's generation; a management key can", async () => {
    const a = await newKey();
    const b = await newKey();
    const res = await chat({ model: "junction/demo", messages: user("hi") }, a.key);
    const id = res.headers.get("x-generation-id") as string;
    await sleep(300);
    expect((await generationOf(id, b.key)).status).toBe(404);
    expect((await generationOf(id, a.key)).status).toBe(200);
    expect((await generationOf(id, TEST_ADMIN_KEY)).status).toBe(200);
    expect((await generationOf("gen-1-nothing", a.key)).status).toBe(404);
    expect((await call("/api/v1/generation", { headers: { authorization: `Bearer ${a.key}` } })).status).toBe(
      400,
    );
  });

  it("GET /key reports usage from the ledger; /credits sums it", async () => {
    const { key } = await newKey({ limit: 5, limit_reset: "monthly", requests_per_minute: 100 });
    await chat({ ...OPENAI_ONLY, model: "openai/gpt-4o-mini", messages: user("hi") }, key);
    await sleep(300);
    const me = (await (
      await call("/api/v1/key", { headers: { authorization: `Bearer ${key}` } })
    ).json()) as any;
    expect(me.data.usage).toBeGreaterThan(0);
    expect(me.data.usage_monthly).toBe(me.data.usage);
    expect(me.data.limit_remaining).toBeCloseTo(5 - me.data.usage, 9);
    expect(me.data.rate_limit).toMatchObject({ requests: 100, interval: "1m" });
    const credits = (await (
      await call("/api/v1/credits", { headers: { authorization: `Bearer ${key}` } })
    ).json()) as any;
    expect(credits.data).toEqual({ total_credits: 5, total_usage: me.data.usage });
  });

  it("disabling a key takes effect within a lease, everywhere", async () => {
    const { key, hash } = await newKey();
    expect((await chat({ model: "junction/demo", messages: user("hi") }, key)).status).toBe(200);
    const patched = await call(`/api/v1/keys/${hash}`, {
      method: "PATCH",
      headers: admin,
      body: JSON.stringify({ disabled: true }),
    });
    expect(patched.status).toBe(200);
    expect(((await patched.json()) as any).data.disabled).toBe(true);
    await sleep(1_100); // the test lease lasts 1 s (KEY_LEASE_MS)
    const refused = await chat({ model: "junction/demo", messages: user("hi") }, key);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as any).error.message).toMatch(/disabled/);
  });

  it("management: list, get, update and delete keys of the tenant", async () => {
    const { hash } = await newKey({ requests_per_minute: 7 });
    const list = (await (await call("/api/v1/keys", { headers: admin })).json()) as any;
    expect(list.data.map((k: any) => k.hash)).toContain(hash);
    const got = (await (await call(`/api/v1/keys/${hash}`, { headers: admin })).json()) as any;
    expect(got.data.requests_per_minute).toBe(7);
    const bad = await call(`/api/v1/keys/${hash}`, {
      method: "PATCH",
      headers: admin,
      body: JSON.stringify({ limit: -3 }),
    });
    expect(bad.status).toBe(400);
    expect((await call(`/api/v1/keys/${"0".repeat(64)}`, { headers: admin })).status).toBe(404);
    const deleted = await call(`/api/v1/keys/${hash}`, { method: "DELETE", headers: admin });
    expect(await deleted.json()).toEqual({ deleted: true });
    expect((await call(`/api/v1/keys/${hash}`, { headers: admin })).status).toBe(404);
  });
});

describe("when KeyGuard cannot be reached", () => {
  it("keys with a credit limit fail closed with a clear 503; others are served", async () => {
    const limited = await newKey({ limit: 1 });
    const open = await newKey();
    const original = env.KEY_GUARD.getByName.bind(env.KEY_GUARD);
    const broken = (name: string) => {
      const stub = original(name);
      return new Proxy(stub, {
        get(target, prop) {
          if (prop === "acquire") return () => Promise.reject(new Error("overloaded"));
          return Reflect.get(target, prop);
        },
      });
    };
    (env.KEY_GUARD as any).getByName = broken;
    try {
      const refused = await chat({ model: "junction/demo", messages: user("hi") }, limited.key);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(((await refused.json()) as any).error.message).toMatch(/credit limit/);
      expect((await chat({ model: "junction/demo", messages: user("hi") }, open.key)).status).toBe(200);
    } finally {
      (env.KEY_GUARD as any).getByName = original;
    }
  });
});

describe("stream accounting", () => {
  it("the usage chunk's cost is what the ledger records", async () => {
    const { key } = await newKey();
    const res = await chat(
      { ...OPENAI_ONLY, model: "openai/gpt-4o-mini", stream: true, messages: user("hi") },
      key,
    );
    const usage = (chunksOf(await readSse(res)) as any[]).find((c) => c.usage).usage;
    await sleep(300);
    const row = (
      (await (await generationOf(res.headers.get("x-generation-id") as string, key)).json()) as any
    ).data;
    expect(row.total_cost).toBeCloseTo(usage.cost, 9);
    expect(row.tokens_completion).toBe(usage.completion_tokens);
  });
});
