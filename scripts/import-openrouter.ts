// Builds a Junction catalog document from OpenRouter's model list.
//
//   curl -s https://openrouter.ai/api/v1/models > openrouter-models.json
//   node scripts/import-openrouter.ts openrouter-models.json --out catalog.json
//   node scripts/import-openrouter.ts openrouter-models.json --merge src/catalog/bundled.json --out catalog.json
//
// Every model becomes an endpoint on the `openrouter` provider (OpenAI-compatible, serving
// OpenRouter's ids); with --merge, that endpoint is added to the models the given catalog already
// has and the others are appended. The result is validated before it is written; upload it with
// `PUT /api/v1/admin/catalog`. This script reads files only; it never fetches.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { importOpenRouter, type OpenRouterModel } from "../src/catalog/import/openrouter.ts";
import { validateCatalog } from "../src/catalog/schema.ts";
import type { CatalogDocument } from "../src/catalog/types.ts";

const { values, positionals } = parseArgs({
  options: { merge: { type: "string" }, out: { type: "string", default: "-" } },
  allowPositionals: true,
});
const input = positionals[0];
if (!input) {
  console.error(
    "usage: node scripts/import-openrouter.ts <openrouter-models.json> [--merge catalog.json] [--out file]",
  );
  process.exit(2);
}

const response = JSON.parse(readFileSync(input, "utf8")) as { data?: OpenRouterModel[] };
if (!Array.isArray(response.data)) {
  console.error(`${input}: expected OpenRouter's /models response, an object with a "data" array`);
  process.exit(1);
}
const merge = values.merge ? (JSON.parse(readFileSync(values.merge, "utf8")) as CatalogDocument) : undefined;
const { document, skipped } = importOpenRouter(
  { data: response.data },
  {
    ...(merge ? { merge } : {}),
    source: `OpenRouter /api/v1/models (${input}), imported ${new Date().toISOString().slice(0, 10)}`,
  },
);
for (const line of skipped) console.error(`skipped ${line}`);

const validated = validateCatalog(document);
if (!validated.ok) {
  for (const issue of validated.issues) console.error(`${issue.path}: ${issue.message}`);
  process.exit(1);
}
const text = `${JSON.stringify(document, null, 1)}\n`;
if (values.out === "-") process.stdout.write(text);
else writeFileSync(values.out, text);
console.error(
  `${document.models.length} models, ${document.providers.length} providers (${skipped.length} skipped)`,
);
