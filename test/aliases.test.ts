/** Model aliases from the catalog: a request may name a model by any of its aliases. */
import { describe, expect, it } from "vitest";
import { bundledCatalog } from "../src/catalog/bundled";
import { TEST_ADMIN_KEY } from "./constants";
import { call, chat, user } from "./helpers";

const admin = { authorization: `Bearer ${TEST_ADMIN_KEY}`, "content-type": "application/json" };
const withAliases = (aliases: Record<string, string[]>) => ({
  ...bundledCatalog,
  models: bundledCatalog.models.map((m) => (aliases[m.id] ? { ...m, aliases: aliases[m.id] } : m)),
});

describe("model aliases", () => {
  it("route to the model they name, which the answer reports", async () => {
    const put = await call("/api/v1/admin/catalog", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify(withAliases({ "junction/demo": ["junction/offline", "acme/assistant"] })),
    });
    expect(put.status, await put.clone().text()).toBe(200);
    for (const name of ["junction/offline", "acme/assistant", "junction/demo"]) {
      const res = await chat({ model: name, messages: user("hi") });
      expect(res.status, name).toBe(200);
      expect(((await res.json()) as any).model).toBe("junction/demo");
    }
    const fallback = await chat({
      model: "nobody/nothing",
      models: ["acme/assistant"],
      messages: user("hi"),
    });
    expect(fallback.status).toBe(200);
  });

  it("an alias that is another model's id, or is used twice, is refused with its path", async () => {
    const clash = await call("/api/v1/admin/catalog", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify(withAliases({ "junction/demo": ["openai/gpt-4o-mini"] })),
    });
    expect(clash.status).toBe(400);
    const body = (await clash.json()) as any;
    expect(body.error.metadata.issues[0].path).toMatch(/^models\[\d+\]\.aliases\[0\]$/);
    const twice = await call("/api/v1/admin/catalog", {
      method: "PUT",
      headers: admin,
      body: JSON.stringify(withAliases({ "junction/demo": ["x/y"], "openai/gpt-4.1": ["x/y"] })),
    });
    expect(twice.status).toBe(400);
  });
});
