/** What the numbers were measured on, for the report's first lines. */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { availableParallelism, cpus, release, totalmem } from "node:os";
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
}

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readFileSync("/etc/os-release", "utf8"));
    return match?.[1] ?? process.platform;
  } catch {
    return process.platform;
  }
}

function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return "?";
  }
}

export function describeMachine(source: SourceTree, placement: string): MachineInfo {
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " "),
    cpu: cpus()[0]?.model.trim() ?? "unknown",
    cores: availableParallelism(),
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
  };
}
