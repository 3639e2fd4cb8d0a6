/** Tenants and custom domains: host mapping, isolation, allow-lists, BYOK, scoped management. */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { TEST_ADMIN_KEY, TEST_DEMO_KEY } from "./constants";
import { user } from "./helpers";

const at = (host: string, path: string, init: RequestInit = {}) =>
  exports.default.fetch(new Request(`http://${host}${path}`, init));
const json = (key: string) => ({ authorization: `Bearer ${key}`, "content-type": "application/json" });
const admin = json(TEST_ADMIN_KEY);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LLAMA = "meta-llama/llama-3.3-70b-instruct";

let counter = 0;
async function newTenant(settings: Record<string, unknown> = {}) {
  const id = `t${Date.now().toString(36)}${++counter}`;
  const host = `api.${id}.test`;
  const res = await at("127.0.0.1:8787", "/api/v1/admin/tenants", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ id, name: `Tenant ${id}`, hostnames: [host], ...settings }),
  });
  expect(res.status, await res.clone().text()).toBe(201);
  const keyRes = await at(host, "/api/v1/keys", {
    method: "POST",
    headers: admin,
    body: JSON.stringify({ name: "k" }),
  });
  const { key, data } = (await keyRes.json()) as any;
  return { id, host, key: key as string, hash: data.hash as string };
}

const chatAt = (host: string, key: string, body: object) =>
  at(host, "/api/v1/chat/completions", { method: "POST", headers: json(key), body: JSON.stringify(body) });

describe("host → tenant", () => {
  it("matches host names case-insensitively, with a trailing dot, on any port", async () => {
    const t = await newTenant();
    for (const host of [t.host, t.host.toUpperCase(), `${t.host}.`, `${t.host}:8443`]) {
      const res = await chatAt(host, t.key, { model: "junction/demo", messages: user("hi") });
      expect(res.status, host).toBe(200);
    }
  });

  it("an unknown host is a clear 404, never another tenant's data", async () => {
    const res = await at("api.nobody.test", "/api/v1/models");
    expect(res.status).toBe(404);
    const body = (await res.json()) as any;
    expect(body.error.message).toMatch(/No router is configured for host api\.nobody\.test/);
    expect((await at("api.nobody.test", "/health")).status).toBe(200);
  });

  it("the deployment's own host names serve the default tenant", async () => {
    for (const host of ["127.0.0.1:8787", "localhost", "junction.example.workers.dev"]) {
      const res = await chatAt(host, TEST_DEMO_KEY, { model: "junction/demo", messages: user("hi") });
      expect(res.status, host).toBe(200);
    }
  });

  it("refuses a host name another tenant already uses", async () => {
    const a = await newTenant();
    const res = await at("127.0.0.1", "/api/v1/admin/tenants", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: `dup${Date.now().toString(36)}`, hostnames: [a.host] }),
    });
    expect(res.status).toBe(409);
  });
});

describe("isolation", () => {
  it("a key of tenant A is unknown on tenant B's host and on the platform host", async () => {
    const a = await newTenant();
    const b = await newTenant();
    expect((await chatAt(b.host, a.key, { model: "junction/demo", messages: user("hi") })).status).toBe(401);
    expect((await chatAt("127.0.0.1", a.key, { model: "junction/demo", messages: user("hi") })).status).toBe(
      401,
    );
    expect(
      (await chatAt(b.host, TEST_DEMO_KEY, { model: "junction/demo", messages: user("hi") })).status,
    ).toBe(401);
  });

  it("generations and keys of one tenant never show on another's", async () => {
    const a = await newTenant();
    const b = await newTenant();
    const res = await chatAt(a.host, a.key, { model: "junction/demo", messages: user("hi") });
    const id = res.headers.get("x-generation-id") as string;
    await sleep(300);
    const mgmtB = await at("127.0.0.1", `/api/v1/admin/tenants/${b.id}/management-keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "b-admin" }),
    });
    const bAdmin = ((await mgmtB.json()) as any).key as string;
    expect((await at(b.host, `/api/v1/generation?id=${id}`, { headers: json(bAdmin) })).status).toBe(404);
    expect((await at(b.host, `/api/v1/generation?id=${id}`, { headers: json(b.key) })).status).toBe(404);
    expect((await at(a.host, `/api/v1/generation?id=${id}`, { headers: json(a.key) })).status).toBe(200);
    const listB = (await (await at(b.host, "/api/v1/keys", { headers: json(bAdmin) })).json()) as any;
    expect(listB.data.map((k: any) => k.hash)).toEqual([b.hash]);
    expect((await at(b.host, `/api/v1/keys/${a.hash}`, { headers: json(bAdmin) })).status).toBe(404);
  });

  it("tenant management keys manage only their tenant and cannot call models or reach platform settings", async () => {
    const a = await newTenant();
    const mgmt = await at("127.0.0.1", `/api/v1/admin/tenants/${a.id}/management-keys`, {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ name: "ops" }),
    });
    expect(mgmt.status).toBe(201);
    const aAdmin = ((await mgmt.json()) as any).key as string;
    // Its own tenant's keys: yes.
    const created = await at(a.host, "/api/v1/keys", {
      method: "POST",
      headers: json(aAdmin),
      body: JSON.stringify({ name: "made-by-tenant" }),
    });
    expect(created.status).toBe(201);
    expect(((await created.json()) as any).data.workspace_id).toBe(a.id);
    // Elsewhere, or deployment-wide: no.
    expect((await at("127.0.0.1", "/api/v1/keys", { headers: json(aAdmin) })).status).toBe(401);
    expect((await at(a.host, "/api/v1/admin/tenants", { headers: json(aAdmin) })).status).toBe(403);
    expect((await at(a.host, "/api/v1/admin/catalog", { headers: json(aAdmin) })).status).toBe(403);
    expect((await chatAt(a.host, aAdmin, { model: "junction/demo", messages: user("hi") })).status).toBe(403);
    // Its own settings, but not its host names or pricing.
    const patched = await at(a.host, "/api/v1/tenant", {
      method: "PATCH",
      headers: json(aAdmin),
      body: JSON.stringify({ name: "Acme AI" }),
    });
    expect(((await patched.json()) as any).data.name).toBe("Acme AI");
    const hostGrab = await at(a.host, "/api/v1/tenant", {
      method: "PATCH",
      headers: json(aAdmin),
      body: JSON.stringify({ hostnames: ["evil.test"] }),
    });
    expect(hostGrab.status).toBe(400);
    const revokeTarget = (await (await at(a.host, "/api/v1/key", { headers: json(aAdmin) })).json()) as any;
    expect(revokeTarget.data.is_management_key).toBe(true);
    const markup = await at(a.host, "/api/v1/tenant", {
      method: "PATCH",
      headers: json(aAdmin),
      body: JSON.stringify({ price_markup: -1 }),
    });
    expect(markup.status).toBe(400);
    // The platform revokes it.
    const revoked = await at(
      "127.0.0.1",
      `/api/v1/admin/tenants/${a.id}/management-keys/${revokeTarget.data.hash}`,
      {
        method: "DELETE",
        headers: admin,
      },
    );
    expect(revoked.status).toBe(200);
    expect((await at(a.host, "/api/v1/keys", { headers: json(aAdmin) })).status).toBe(401);
  });
});

describe("allow-lists and routing defaults", () => {
  it("apply to /models, to model lookups and to routing", async () => {
    const t = await newTenant({
      allowed_models: ["junction/*", "meta-llama/*"],
      allowed_providers: ["junction", "groq"],
    });
    const list = (await (await at(t.host, "/api/v1/models?output_modalities=all")).json()) as any;
    expect(list.data.length).toBeGreaterThan(1);
    expect(list.data.every((m: any) => m.id.startsWith("junction/") || m.id.startsWith("meta-llama/"))).toBe(
      true,
    );
    expect(list.total_count).toBe(list.data.length);
    expect((await at(t.host, "/api/v1/model/openai/gpt-4o-mini")).status).toBe(404);
    const endpoints = (await (await at(t.host, `/api/v1/models/${LLAMA}/endpoints`)).json()) as any;
    expect(endpoints.data.endpoints.map((e: any) => e.provider_name)).toEqual(["Groq"]);

    const refused = await chatAt(t.host, t.key, { model: "openai/gpt-4o-mini", messages: user("hi") });
    expect(refused.status).toBe(404);
    expect(((await refused.json()) as any).error.metadata.excluded[0].reason).toBe(
      "model not allowed for this tenant",
    );
    const routed = await chatAt(t.host, t.key, {
      model: LLAMA,
      messages: user("hi"),
      mock: { content: "via groq" },
    });
    expect(routed.status).toBe(200);
    expect(routed.headers.get("junction-route")).toMatch(/^groq\//);
  });

  it("tenant defaults shape routing and key limits; the data floor holds", async () => {
    const t = await newTenant({
      provider_defaults: { sort: "price" },
      data_policy_floor: { data_collection: "deny" },
      default_key_limits: { requests_per_minute: 42 },
    });
    const res = await chatAt(t.host, t.key, {
      model: LLAMA,
      messages: user("hi"),
      provider: { only: ["groq", "together", "deepinfra"] },
    });
    // deepinfra is cheapest of the three, and none of them retains data in the catalog's policies.
    expect(res.headers.get("junction-route")).toContain("strategy=sort=price");
    const key = (await (await at(t.host, "/api/v1/key", { headers: json(t.key) })).json()) as any;
    expect(key.data.rate_limit.requests).toBe(42);
  });

  it("a markup changes the charged cost; the provider's price stays in cost_details", async () => {
    const t = await newTenant({ price_markup: 0.5 });
    const res = await chatAt(t.host, t.key, {
      model: "openai/gpt-4o-mini",
      provider: { only: ["openai"] },
      messages: user("hi"),
    });
    const usage = ((await res.json()) as any).usage;
    expect(usage.cost).toBeCloseTo(usage.cost_details.upstream_inference_cost * 1.5, 15);
  });
});

describe("BYOK", () => {
  it("a tenant's own key is used for its provider and reported as is_byok; it is never returned", async () => {
    const t = await newTenant();
    const put = await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}/byok/groq`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ api_key: "gsk_tenant_own_key" }),
    });
    expect(put.status).toBe(200);
    const view = await (await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}`, { headers: admin })).text();
    expect(view).not.toContain("gsk_tenant_own_key");
    expect(JSON.parse(view).data.byok.groq.fingerprint).toMatch(/^sha256:/);
    const stored = await env.CATALOG.get(`tenant:${t.id}`);
    expect(stored).not.toContain("gsk_tenant_own_key");

    await sleep(600); // the tenant memo TTL in tests
    const res = await chatAt(t.host, t.key, {
      model: LLAMA,
      messages: user("hi"),
      provider: { order: ["groq"] },
      mock: { echo: true },
    });
    const body = (await res.json()) as any;
    expect(JSON.parse(body.choices[0].message.content).headers.authorization).toBe(
      "Bearer gsk_tenant_own_key",
    );
    expect(body.usage.is_byok).toBe(true);
    const platform = await chatAt(t.host, t.key, {
      model: LLAMA,
      messages: user("hi"),
      provider: { order: ["together"] },
      mock: { echo: true },
    });
    const platformBody = (await platform.json()) as any;
    expect(JSON.parse(platformBody.choices[0].message.content).headers.authorization).toBe(
      "Bearer test-key-together",
    );
    expect(platformBody.usage.is_byok).toBe(false);
  });

  it("without platform keys allowed, only the tenant's own providers serve it", async () => {
    const t = await newTenant({ allow_platform_keys: false });
    await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}/byok/groq`, {
      method: "PUT",
      headers: admin,
      body: JSON.stringify({ api_key: "gsk_only" }),
    });
    await sleep(600);
    const res = await chatAt(t.host, t.key, { model: LLAMA, messages: user("hi"), mock: { echo: true } });
    expect(res.headers.get("junction-route")).toMatch(/^groq\//);
    const noKey = await chatAt(t.host, t.key, { model: "openai/gpt-4o-mini", messages: user("hi") });
    expect(noKey.status).toBe(503);
  });
});

describe("configuration changes", () => {
  it("take effect within the memo TTL", async () => {
    const t = await newTenant();
    expect((await chatAt(t.host, t.key, { model: "junction/demo", messages: user("hi") })).status).toBe(200);
    await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}`, {
      method: "PATCH",
      headers: admin,
      body: JSON.stringify({ allowed_models: ["openai/*"] }),
    });
    await sleep(600);
    expect((await chatAt(t.host, t.key, { model: "junction/demo", messages: user("hi") })).status).toBe(404);
    await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}`, {
      method: "PATCH",
      headers: admin,
      body: JSON.stringify({ hostnames: [] }),
    });
    await sleep(600);
    expect((await chatAt(t.host, t.key, { model: "junction/demo", messages: user("hi") })).status).toBe(404);
  });

  it("tenant CRUD validates and deletes", async () => {
    const bad = await at("127.0.0.1", "/api/v1/admin/tenants", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: "Bad Id!" }),
    });
    expect(bad.status).toBe(400);
    const badHost = await at("127.0.0.1", "/api/v1/admin/tenants", {
      method: "POST",
      headers: admin,
      body: JSON.stringify({ id: "okid", hostnames: ["not a host"] }),
    });
    expect(((await badHost.json()) as any).error.message).toContain("hostnames[0]");
    const t = await newTenant();
    expect(
      (await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}`, { method: "DELETE", headers: admin })).status,
    ).toBe(200);
    expect((await at("127.0.0.1", `/api/v1/admin/tenants/${t.id}`, { headers: admin })).status).toBe(404);
    expect(
      (await at("127.0.0.1", "/api/v1/admin/tenants/default", { method: "DELETE", headers: admin })).status,
    ).toBe(400);
    const list = (await (await at("127.0.0.1", "/api/v1/admin/tenants", { headers: admin })).json()) as any;
    expect(list.data.map((x: any) => x.id)).toContain("default");
  });
});
