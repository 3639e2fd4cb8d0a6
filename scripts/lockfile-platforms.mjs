// Adds lockfile entries for platform binaries that this machine's npm registry does not serve.
//
// npm leaves an optional dependency it cannot fetch out of package-lock.json, and `npm ci` then
// rejects that same lockfile as out of sync (npm/cli#9846). Here the registry lacks, for example,
// Biome's and workerd's macOS and Windows builds. This script records them as optional entries
// restricted to their platform, which `npm ci` skips on Linux. Run it after `npm install`
// changes the lockfile: `node scripts/lockfile-platforms.mjs`.
import { readFileSync, writeFileSync } from "node:fs";

const PLATFORMS = [
  [/-android-arm64$/, { os: ["android"], cpu: ["arm64"] }],
  [/-android-x64$/, { os: ["android"], cpu: ["x64"] }],
  [/-darwin-(arm64)$/, { os: ["darwin"], cpu: ["arm64"] }],
  [/-darwin-(x64|64)$/, { os: ["darwin"], cpu: ["x64"] }],
  [/-linux-arm64-musl$/, { os: ["linux"], cpu: ["arm64"], libc: ["musl"] }],
  [/-linux-x64-musl$/, { os: ["linux"], cpu: ["x64"], libc: ["musl"] }],
  [/-win32-arm64$/, { os: ["win32"], cpu: ["arm64"] }],
  [/-(win32-x64|windows-64)$/, { os: ["win32"], cpu: ["x64"] }],
];

const path = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(path, "utf8"));
const packages = lock.packages;

/** Whether `name@version` is what Node's resolution from `from` finds (the nearest entry wins). */
function resolves(from, name, version) {
  let dir = from;
  for (;;) {
    const found = packages[`${dir ? `${dir}/` : ""}node_modules/${name}`];
    if (found) return found.version === version;
    if (!dir) return false;
    const cut = dir.lastIndexOf("/node_modules/");
    dir = cut >= 0 ? dir.slice(0, cut) : "";
  }
}

let added = 0;
for (const [where, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const platform = PLATFORMS.find(([pattern]) => pattern.test(name))?.[1];
    if (!platform || resolves(where, name, version)) continue;
    const cut = where.lastIndexOf("node_modules/");
    const key = `${where.slice(0, cut)}node_modules/${name}`;
    packages[key] = { version, optional: true, ...platform };
    added++;
  }
}
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)),
);
writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`lockfile: ${added} platform entries added`);
