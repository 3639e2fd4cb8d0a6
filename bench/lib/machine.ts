/** What the numbers were measured on, for the report's first lines. */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, loadavg, release, totalmem } from "node:os";
import type { SourceTree } from "./source.ts";

export interface MachineInfo {
  date: string;
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  kernel: string;
  node: string;
  versions: Record<string, string>;
  commit: string;
  dirty: boolean;
  placement: string;
  /** 1-minute load average when the end-to-end parts began: other work on the machine. */
  loadBefore: number;
}

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    return match?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

/** Read from the file: some packages do not export `./package.json`. */
function packageVersion(name: string): string {
  try {
    const roots = createRequire(import.meta.url).resolve.paths(name) ?? [];
    const file = roots.map((root) => `${root}/${name}/package.json`).find((path) => existsSync(path));
    return file ? (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version : "?";
  } catch {
    return "?";
  }
}

export function describeMachine(source: SourceTree, placement: string): MachineInfo {
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    // Not availableParallelism(): this process may already be pinned to one core.
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: osName(),
    kernel: release(),
    node: process.version,
    versions: Object.fromEntries(
      ["workerd", "miniflare", "wrangler", "autocannon", "tinybench", "zod", "hono"].map((n) => [
        n,
        packageVersion(n),
      ]),
    ),
    commit: source.commit,
    dirty: source.dirty,
    placement,
    loadBefore: loadavg()[0] ?? 0,
  };
}
