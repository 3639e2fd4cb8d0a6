// Builds a Junction catalog document from LiteLLM's price map.
//
//   node scripts/import-litellm.ts                      curated: src/catalog/sources/*.json + prices
//                                                       → src/catalog/bundled.json (the bundled catalog)
//   node scripts/import-litellm.ts --all --out all.json every priced chat entry of the known providers
//
// Options: --prices <file> (default ../shared/reference/litellm-model-prices.json), --out <file>
// (default src/catalog/bundled.json; "-" for stdout), --date YYYY-MM-DD (--all: `created` of every
// model), --check (write nothing; exit 1 when --out is not what this run would write).
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import {
  type CuratedProvider,
  type Curation,
  ImportError,
  importAll,
  importCurated,
  type LiteLlmMap,
  unixDay,
} from "../src/catalog/import/litellm.ts";
import { validateCatalog } from "../src/catalog/schema.ts";
import type { CatalogDocument } from "../src/catalog/types.ts";

const root = new URL("..", import.meta.url);
const { values } = parseArgs({
  options: {
    prices: {
      type: "string",
      default: new URL("../shared/reference/litellm-model-prices.json", root).pathname,
    },
    out: { type: "string", default: new URL("src/catalog/bundled.json", root).pathname },
    all: { type: "boolean", default: false },
    date: { type: "string", default: new Date().toISOString().slice(0, 10) },
    check: { type: "boolean", default: false },
  },
});

const readJson = <T>(path: string | URL): T => JSON.parse(readFileSync(path, "utf8")) as T;

const prices = readJson<LiteLlmMap>(values.prices);
const providers = readJson<CuratedProvider[]>(new URL("src/catalog/sources/providers.json", root));

let document: CatalogDocument;
try {
  if (values.all) {
    const result = importAll(prices, providers, {
      created: unixDay(values.date),
      source: `LiteLLM model_prices_and_context_window.json (${values.prices}), imported ${values.date}`,
    });
    document = result.document;
    console.error(`skipped ${result.skipped.length} entries (no price, no context window or duplicate id)`);
  } else {
    const curation = readJson<Omit<Curation, "providers">>(new URL("src/catalog/sources/models.json", root));
    document = importCurated(prices, { ...curation, providers });
  }
} catch (error) {
  if (error instanceof ImportError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}

const validated = validateCatalog(document);
if (!validated.ok) {
  for (const issue of validated.issues) console.error(`${issue.path}: ${issue.message}`);
  process.exit(1);
}

const text = `${JSON.stringify(document, null, 1)}\n`;
const endpoints = document.models.reduce((n, m) => n + m.endpoints.length, 0);
const summary = `${document.models.length} models, ${endpoints} endpoints, ${document.providers.length} providers`;
if (values.check) {
  const current = values.out === "-" ? "" : readFileSync(values.out, "utf8");
  if (current !== text) {
    console.error(`${values.out} is out of date (${summary}); run: node scripts/import-litellm.ts`);
    process.exit(1);
  }
  console.error(`${values.out} is up to date (${summary})`);
} else if (values.out === "-") {
  process.stdout.write(text);
} else {
  writeFileSync(values.out, text);
  console.error(`wrote ${values.out}: ${summary}`);
}
