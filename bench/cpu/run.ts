/**
 * Bundles the CPU suite against the chosen source tree and runs it in a fresh Node process, with
 * `--cpu-prof` when a profile is wanted. Node is the one from node_modules (v22), the same for
 * every developer.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import { build, type Plugin } from "esbuild";
import { BENCH_OUT, REPO_ROOT } from "../lib/paths.ts";

export interface CpuTask {
  name: string;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  rmePercent: number;
  samples: number;
}

export interface CpuSuiteResult {
  tasks: CpuTask[];
  requestBytes: { small: number; large: number };
  answerBytes: number;
  chunkBytes: number;
}

/** The suite imports `../../../src/...`; point those imports at the tree being measured. */
function sourceRootPlugin(sourceRoot: string): Plugin {
  return {
    name: "bench-source-root",
    setup(pluginBuild) {
      pluginBuild.onResolve({ filter: /^(\.\.\/)+src\// }, (args) => {
        if (sourceRoot === REPO_ROOT || !args.importer.startsWith(`${REPO_ROOT}/bench/`)) return undefined;
        const relative = args.path.replace(/^(\.\.\/)+src\//, "");
        for (const candidate of [`${relative}.ts`, `${relative}/index.ts`, relative]) {
          const path = `${sourceRoot}/src/${candidate}`;
          if (existsSync(path)) return { path };
        }
        return undefined;
      });
    },
  };
}

async function bundleSuite(sourceRoot: string): Promise<string> {
  const outfile = `${BENCH_OUT}/cpu/suite.mjs`;
  await build({
    entryPoints: [`${REPO_ROOT}/bench/cpu/suite/main.ts`],
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    // Names kept, so profiles read as Junction's own functions.
    minify: false,
    sourcemap: "linked",
    logLevel: "warning",
    plugins: [sourceRootPlugin(sourceRoot)],
  });
  return outfile;
}

export interface SuiteOptions {
  timeMs: number;
  only?: string[];
  /** Write a V8 CPU profile (sampling every 100 µs) to this path. */
  profilePath?: string;
}

export async function runCpuSuite(sourceRoot: string, options: SuiteOptions): Promise<CpuSuiteResult> {
  const suite = await bundleSuite(sourceRoot);
  const profileDir = `${BENCH_OUT}/profiles/tmp-node`;
  const nodeArgs = options.profilePath
    ? ["--cpu-prof", `--cpu-prof-dir=${profileDir}`, "--cpu-prof-interval=100"]
    : [];
  if (options.profilePath) rmSync(profileDir, { recursive: true, force: true });
  const suiteArgs = [
    `--time=${options.timeMs}`,
    ...(options.only ? [`--only=${options.only.join(",")}`] : []),
  ];
  const run = spawnSync(process.execPath, [...nodeArgs, suite, ...suiteArgs], {
    encoding: "utf8",
    maxBuffer: 16 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`CPU suite failed (${run.status}):\n${run.stderr}`);
  if (options.profilePath) {
    const [written] = readdirSync(profileDir).filter((f) => f.endsWith(".cpuprofile"));
    if (!written) throw new Error("node wrote no CPU profile");
    mkdirSync(`${BENCH_OUT}/profiles`, { recursive: true });
    renameSync(`${profileDir}/${written}`, options.profilePath);
    rmSync(profileDir, { recursive: true, force: true });
  }
  const lastLine = run.stdout.trim().split("\n").pop() ?? "";
  return JSON.parse(lastLine) as CpuSuiteResult;
}
