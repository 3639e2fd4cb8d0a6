/**
 * Bundles both Workers into bench/.out/: Junction exactly as `wrangler deploy` would ship it (a
 * dry run), the baseline with esbuild. Both run from these files, so neither gets a dev shim.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { build } from "esbuild";
import { BENCH_OUT, REPO_ROOT } from "../lib/paths.ts";

export interface WorkerBundles {
  junction: string;
  baseline: string;
}

export async function buildWorkers(sourceRoot: string): Promise<WorkerBundles> {
  const junctionDir = `${BENCH_OUT}/junction`;
  const wranglerPackage = createRequire(import.meta.url).resolve("wrangler/package.json");
  const wranglerBin = `${dirname(wranglerPackage)}/bin/wrangler.js`;
  const result = spawnSync(
    process.execPath,
    [wranglerBin, "deploy", "--dry-run", "--outdir", junctionDir, "--config", `${sourceRoot}/wrangler.toml`],
    { cwd: sourceRoot, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } },
  );
  if (result.status !== 0) throw new Error(`wrangler build failed:\n${result.stdout}\n${result.stderr}`);

  const baselineDir = `${BENCH_OUT}/baseline`;
  mkdirSync(baselineDir, { recursive: true });
  await build({
    entryPoints: [`${REPO_ROOT}/bench/workers/baseline.ts`],
    outfile: `${baselineDir}/index.js`,
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2023",
    logLevel: "warning",
  });
  return { junction: `${junctionDir}/index.js`, baseline: `${baselineDir}/index.js` };
}
