import { describe, expect, it } from "vitest";
import { bundledCatalog } from "./bundled";
import { renderModel } from "./listing";
import { applyListingQuery, parseListingQuery, queryKey } from "./listing-query";
import type { ModelEntry } from "./types";

const listing = bundledCatalog.models.map(renderModel);
const query = (q: string) => parseListingQuery(new URLSearchParams(q));
const ids = (q: string) => applyListingQuery(listing, query(q)).data.map((m) => m.id);

function model(id: string, extra: Partial<ModelEntry>): ModelEntry {
  return {
    id,
    name: id,
    created: 0,
    context_length: 1000,
    input_modalities: ["text"],
    output_modalities: ["text"],
    tokenizer: "Other",
    endpoints: [
      {
        provider: "p",
        provider_model_id: id,
        context_length: 1000,
        max_completion_tokens: null,
        quantization: null,
        pricing: { prompt: "0", completion: "0" },
        supported_parameters: [],
      },
    ],
    ...extra,
  };
}

describe("GET /models query", () => {
  it("without limit or offset lists every text model, in catalog order", () => {
    const page = applyListingQuery(listing, query(""));
    expect(page.data.length).toBe(bundledCatalog.models.length);
    expect(page.nextOffset).toBeNull();
    expect(page.data[0]?.id).toBe("junction/demo");
  });

  it("pages with limit and offset and says where the next page starts", () => {
    const first = applyListingQuery(listing, query("limit=50"));
    expect(first.data.length).toBe(50);
    expect(first.nextOffset).toBe(50);
    expect(first.total_count).toBe(listing.length);
    const last = applyListingQuery(listing, query(`offset=${listing.length - 2}&limit=50`));
    expect(last.data.length).toBe(2);
    expect(last.nextOffset).toBeNull();
  });

  it("filters by supported parameters (all of them), input modalities (all) and output modalities (any)", () => {
    for (const m of applyListingQuery(listing, query("supported_parameters=tools,reasoning")).data) {
      expect(m.supported_parameters).toEqual(expect.arrayContaining(["tools", "reasoning"]));
    }
    const vision = ids("input_modalities=image,file");
    expect(vision).toContain("openai/gpt-4o-mini");
    expect(vision).not.toContain("meta-llama/llama-3.3-70b-instruct");
    const only = [
      renderModel(model("a/img", { output_modalities: ["image"] })),
      renderModel(model("a/txt", {})),
    ];
    expect(applyListingQuery(only, query("")).data.map((m) => m.id)).toEqual(["a/txt"]);
    expect(applyListingQuery(only, query("output_modalities=image")).data.map((m) => m.id)).toEqual([
      "a/img",
    ]);
    expect(applyListingQuery(only, query("output_modalities=all")).data.length).toBe(2);
  });

  it("searches id and name with every word of q", () => {
    expect(ids("q=llama 3.3 70b")).toContain("meta-llama/llama-3.3-70b-instruct");
    expect(ids("q=LLAMA 3.3 70B")).toEqual(ids("q=llama 3.3 70b"));
    expect(ids("q=no-such-thing")).toEqual([]);
  });

  it("sorts by price, context and date; ties keep catalog order", () => {
    const avg = (m: (typeof listing)[number]) =>
      (Number(m.pricing.prompt) + Number(m.pricing.completion)) / 2;
    const cheap = applyListingQuery(listing, query("sort=pricing-low-to-high")).data.map(avg);
    expect(cheap).toEqual([...cheap].sort((a, b) => a - b));
    const context = applyListingQuery(listing, query("sort=context-high-to-low")).data.map(
      (m) => m.context_length,
    );
    expect(context).toEqual([...context].sort((a, b) => b - a));
    const newest = applyListingQuery(listing, query("sort=newest")).data.map((m) => m.created);
    expect(newest).toEqual([...newest].sort((a, b) => b - a));
    expect(ids("sort=most-popular")).toEqual(ids(""));
  });

  it("refuses bad values with the parameter as the path", () => {
    for (const [q, path] of [
      ["limit=0", "limit"],
      ["limit=1001", "limit"],
      ["limit=ten", "limit"],
      ["offset=-1", "offset"],
      ["offset=1.5", "offset"],
      ["sort=cheapest", "sort"],
    ]) {
      expect(() => query(q as string)).toThrow(
        expect.objectContaining({ status: 400, metadata: { issues: [expect.objectContaining({ path })] } }),
      );
    }
  });

  it("has one cache key for the same filters in any order", () => {
    expect(queryKey(query("supported_parameters=tools,seed&q=x"))).toBe(
      queryKey(query("q=x&supported_parameters=seed,tools")),
    );
    expect(queryKey(query("limit=5"))).not.toBe(queryKey(query("limit=6")));
  });
});
