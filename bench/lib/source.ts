/**
 * Which Junction the bench measures. By default the working tree, as a developer expects; with
 * `BENCH_SOURCE=head`, a clean export of the last commit, so numbers can be pinned to a commit even
 * while the tree is being edited.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { BENCH_OUT, REPO_ROOT } from "./paths.ts";

export interface SourceTree {
  /** Directory holding `src/` and `wrangler.toml`. */
  root: string;
  commit: string;
  /** True when measuring a working tree whose `src/` or `wrangler.toml` differ from the commit. */
  dirty: boolean;
}

const git = (...args: string[]) => execFileSync("git", args, { cwd: REPO_ROOT, encoding: "utf8" }).trim();

export function benchSource(): SourceTree {
  let commit = "unknown";
  let dirty = false;
  try {
    commit = git("rev-parse", "--short=12", "HEAD");
    dirty = git("status", "--porcelain", "--", "src", "wrangler.toml") !== "";
  } catch {
    // Not a git checkout (e.g. an unpacked tarball): measure the files as they are.
    return { root: REPO_ROOT, commit, dirty };
  }
  if (process.env.BENCH_SOURCE !== "head") return { root: REPO_ROOT, commit, dirty };
  const root = `${BENCH_OUT}/source-${commit}`;
  if (!existsSync(`${root}/src`)) {
    mkdirSync(root, { recursive: true });
    // Inside the repo, so bare imports still resolve to the repo's node_modules.
    execFileSync("sh", ["-c", `git archive HEAD src wrangler.toml | tar -x -C '${root}'`], {
      cwd: REPO_ROOT,
    });
  }
  return { root, commit, dirty: false };
}
