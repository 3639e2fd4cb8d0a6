/** Where the bench reads the project from and writes its artefacts to. */
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
/** Build outputs, raw results and profiles; git-ignored. */
export const BENCH_OUT = `${REPO_ROOT}/bench/.out`;
