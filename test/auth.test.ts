/** Keys, authentication and bad input: every refusal is a 4xx in OpenRouter's error shape. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../src/keys/hash";
import type { ApiKeyRecord } from "../src/keys/store";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY } from "./constants";
import { call, chat, user } from "./helpers";

async function expectError(res: Response, status: number, errorType: string, message?: RegExp) {
  expect(res.status).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/json");
  const body = (await res.json()) as any;
  expect(body.error.code).toBe(status);
  expect(body.error.metadata.error_type).toBe(errorType);
  if (message) expect(body.error.message).toMatch(message);
  return body;
}

const createKey = (body: unknown, key = TEST_ADMIN_KEY) =>
  call("/api/v1/keys", {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

async function storeKey(plaintext: string, overrides: Partial<ApiKeyRecord>) {
  const hash = await sha256Hex(plaintext);
  const record: ApiKeyRecord = {
    hash,
    name: "stored",
    label: "sk-jn-v1-...",
    tenant_id: "default",
    disabled: false,
    limit: null,
    limit_reset: null,
    include_byok_in_limit: false,
    created_at: new Date().toISOString(),
    updated_at: null,
    expires_at: null,
    ...overrides,
  };
  await env.CATALOG.put(`key:${hash}`, JSON.stringify(record));
}

describe("API keys", () => {
  it("the management key creates a key that works for inference and GET /key; KV holds only its hash", async () => {
    const res = await createKey({ name: "team-a", limit: 50, limit_reset: "monthly" });
    expect(res.status).toBe(201);
    const { data, key } = (await res.json()) as any;
    expect(key).toMatch(/^sk-jn-v1-[0-9a-f]{64}$/);
    expect(data).toMatchObject({
      name: "team-a",
      limit: 50,
      limit_reset: "monthly",
      disabled: false,
      usage: 0,
    });
    expect(data.hash).toBe(await sha256Hex(key));
    expect(data.label).toBe(`${key.slice(0, 12)}...${key.slice(-3)}`);

    const stored = await env.CATALOG.get(`key:${data.hash}`);
    expect(stored).not.toBeNull();
    expect(stored).not.toContain(key);
    const listed = await env.CATALOG.list();
    for (const entry of listed.keys) expect(entry.name).not.toContain(key);

    const answer = await chat({ model: "junction/demo", messages: user("hi") }, key);
    expect(answer.status).toBe(200);

    for (const path of ["/api/v1/key", "/api/v1/auth/key", "/v1/key"]) {
      const me = await call(path, { headers: { authorization: `Bearer ${key}` } });
      expect(me.status).toBe(200);
      const body = (await me.json()) as any;
      expect(body.data).toMatchObject({ label: data.label, limit: 50, is_management_key: false, usage: 0 });
    }
  });

  it("an inference key cannot create keys (403), a wrong key gets 401", async () => {
    await expectError(await createKey({ name: "x" }, TEST_DEMO_KEY), 403, "permission_denied");
    await expectError(await createKey({ name: "x" }, "sk-jn-v1-nope"), 401, "authentication");
  });

  it("key creation validates its body", async () => {
    const body = await expectError(await createKey({ limit: -1 }), 400, "invalid_request");
    expect(body.error.metadata.issues.map((i: any) => i.path)).toEqual(
      expect.arrayContaining(["name", "limit"]),
    );
    await expectError(
      await createKey({ name: "x", expires_at: "2001-01-01T00:00:00Z" }),
      400,
      "invalid_request",
      /expires_at/,
    );
  });
});

describe("authentication on inference", () => {
  const body = { model: "junction/demo", messages: user("hi") };
  it("missing, malformed and unknown keys → 401", async () => {
    const noAuth = await call("/api/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    await expectError(noAuth, 401, "authentication", /Missing Authorization/);
    const basic = await call("/api/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Basic abc" },
      body: JSON.stringify(body),
    });
    await expectError(basic, 401, "authentication", /Malformed/);
    await expectError(await chat(body, "sk-jn-v1-unknown"), 401, "authentication", /not found/);
  });

  it("disabled and expired keys → 401", async () => {
    await storeKey("sk-jn-v1-disabled-key", { disabled: true });
    await storeKey("sk-jn-v1-expired-key", { expires_at: "2020-01-01T00:00:00.000Z" });
    await expectError(await chat(body, "sk-jn-v1-disabled-key"), 401, "authentication", /disabled/);
    await expectError(await chat(body, "sk-jn-v1-expired-key"), 401, "authentication", /expired/);
  });

  it("the management key is not an inference key", async () => {
    await expectError(await chat(body, TEST_ADMIN_KEY), 401, "authentication");
  });
});

describe("bad input is a 4xx that says what and where", () => {
  it("invalid JSON → 400", async () => {
    await expectError(await chat("{nope"), 400, "invalid_request", /not valid JSON/);
    await expectError(await chat(""), 400, "invalid_request", /empty/);
  });

  it("wrong content type → 415", async () => {
    const res = await call("/api/v1/chat/completions", {
      method: "POST",
      headers: { authorization: `Bearer ${TEST_DEMO_KEY}`, "content-type": "text/plain" },
      body: "{}",
    });
    await expectError(res, 415, "invalid_request", /application\/json/);
  });

  it("a body over the limit → 413", async () => {
    const huge = JSON.stringify({ model: "junction/demo", messages: user("x".repeat(17 * 1024 * 1024)) });
    await expectError(await chat(huge), 413, "payload_too_large");
  });

  it("missing or empty messages → 400 naming messages", async () => {
    await expectError(await chat({ model: "junction/demo" }), 400, "invalid_request", /messages/);
    await expectError(
      await chat({ model: "junction/demo", messages: [] }),
      400,
      "invalid_request",
      /messages/,
    );
    await expectError(await chat({ messages: user("x") }), 400, "invalid_request", /model/);
  });

  it("wrong types anywhere name the JSON path", async () => {
    const cases: [unknown, string][] = [
      [{ model: "junction/demo", messages: [{ role: "user", content: 5 }] }, "messages[0].content"],
      [{ model: "junction/demo", messages: [{ role: "wizard", content: "x" }] }, "messages[0].role"],
      [{ model: "junction/demo", messages: user("x"), temperature: "hot" }, "temperature"],
      [{ model: "junction/demo", messages: user("x"), max_tokens: -5 }, "max_tokens"],
      [
        { model: "junction/demo", messages: user("x"), tools: [{ type: "function", function: {} }] },
        "tools[0].function.name",
      ],
      [
        {
          model: "junction/demo",
          messages: [{ role: "user", content: [{ type: "image_url", image_url: {} }] }],
        },
        "messages[0].content",
      ],
      [{ model: "junction/demo", messages: user("x"), provider: { sort: "cheapest" } }, "provider.sort"],
      [{ model: "junction/demo", messages: [{ role: "tool", content: "x" }] }, "messages[0].tool_call_id"],
    ];
    for (const [request, path] of cases) {
      const body = await expectError(await chat(request), 400, "invalid_request");
      expect(body.error.message, JSON.stringify(request)).toContain(path);
    }
  });

  it("unknown model → 404 not_found", async () => {
    await expectError(
      await chat({ model: "nobody/nothing", messages: user("x") }),
      404,
      "not_found",
      /nobody\/nothing/,
    );
  });

  it("unknown route → 404 in the error shape", async () => {
    await expectError(await call("/api/v1/nope"), 404, "not_found");
  });
});
