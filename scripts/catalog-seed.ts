// `npm run catalog:seed`: loads the bundled catalog (or `--file <catalog.json>`) into wrangler's
// local KV (binding CATALOG), laid out exactly as `PUT /api/v1/admin/catalog` writes it
// (src/catalog/layout.ts), so `npm run dev` serves it from KV. `--persist-to <dir>` is passed to
// wrangler for a non-default local state directory.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { HEAD_KEY, planWrite } from "../src/catalog/layout.ts";
import { validateCatalog } from "../src/catalog/schema.ts";

const root = new URL("..", import.meta.url);
const { values } = parseArgs({
  options: {
    file: { type: "string", default: new URL("src/catalog/bundled.json", root).pathname },
    "persist-to": { type: "string" },
  },
});
const file = values.file;
const persist = values["persist-to"] ? ["--persist-to", values["persist-to"]] : [];

const validated = validateCatalog(JSON.parse(readFileSync(file, "utf8")));
if (!validated.ok) {
  for (const issue of validated.issues) console.error(`${file}: ${issue.path}: ${issue.message}`);
  process.exit(1);
}

const plan = await planWrite(validated.value, null, new Date());
// The head goes last in the file; wrangler writes a bulk file as one request either way.
const entries = [...plan.puts, { key: HEAD_KEY, value: JSON.stringify(plan.head) }];
const dir = mkdtempSync(join(tmpdir(), "junction-seed-"));
const bulk = join(dir, "catalog.json");
writeFileSync(bulk, JSON.stringify(entries));
const result = spawnSync(
  "wrangler",
  ["kv", "bulk", "put", bulk, "--binding", "CATALOG", "--local", ...persist],
  { stdio: "inherit", cwd: root.pathname, shell: process.platform === "win32" },
);
rmSync(dir, { recursive: true, force: true });
if (result.status !== 0) process.exit(result.status ?? 1);
console.error(
  `seeded local KV: catalog ${plan.head.version}, ${plan.head.models} models, ${plan.head.providers} providers, ${plan.head.shards} shards, ${entries.length} keys`,
);
