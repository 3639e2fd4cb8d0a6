/**
 * Runs Junction and the baseline in one workerd process through Miniflare's API, each on its own
 * direct socket on 127.0.0.1 (no entry worker, no `wrangler dev` proxy in front). Junction gets
 * the bindings of wrangler.toml — KV `CATALOG` and the SQLite Durable Objects — backed by
 * Miniflare's in-memory storage.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { unstable_readConfig } from "wrangler";
import type { WorkerBundles } from "./build.ts";

export interface BenchRuntime {
  junction: string;
  baseline: string;
  /** A KV-stored API key, created through Junction's own admin route. */
  apiKey: string;
  /** The platform management key the bench Worker runs with. */
  adminKey: string;
  inspectorUrl: string;
  /** The workerd process, for CPU affinity and memory readings. */
  workerdPid: number | undefined;
  dispose(): Promise<void>;
}

/** The parts of wrangler.toml the bench uses (wrangler's own type does not resolve under Node's tsconfig). */
interface WranglerFacts {
  compatibility_date?: string;
  compatibility_flags: string[];
  kv_namespaces: { binding: string }[];
  durable_objects: { bindings: { name: string; class_name: string }[] };
}

/** Limits generous enough that no timeout fires during a bench, as in production defaults. */
const JUNCTION_VARS = {
  OPENAI_API_KEY: "sk-bench-upstream",
  UPSTREAM_FIRST_TOKEN_TIMEOUT_MS: "30000",
  UPSTREAM_TOTAL_TIMEOUT_MS: "60000",
  UPSTREAM_IDLE_TIMEOUT_MS: "30000",
};

function childrenNamed(parentPid: number, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parentPid && comm === name) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

export async function startRuntime(
  sourceRoot: string,
  bundles: WorkerBundles,
  upstreamOrigin: string,
): Promise<BenchRuntime> {
  const config: WranglerFacts = unstable_readConfig({ config: `${sourceRoot}/wrangler.toml` });
  const adminKey = `sk-bench-admin-${randomBytes(16).toString("hex")}`;
  const durableObjects = Object.fromEntries(
    config.durable_objects.bindings.map((binding) => [
      binding.name,
      { className: binding.class_name, useSQLite: true },
    ]),
  );
  // Miniflare 5 still accepts the flat v4 option shape through its converter; it reads far better.
  const options = convertV4MiniflareOptions({
    host: "127.0.0.1",
    port: 0,
    inspectorPort: 0,
    workers: [
      {
        name: "junction",
        modules: [{ type: "ESModule", path: bundles.junction }],
        compatibilityDate: config.compatibility_date,
        compatibilityFlags: config.compatibility_flags,
        kvNamespaces: config.kv_namespaces.map((namespace) => namespace.binding),
        durableObjects,
        bindings: { ...JUNCTION_VARS, ADMIN_KEY: adminKey, OPENAI_BASE_URL: `${upstreamOrigin}/v1` },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
      {
        name: "baseline",
        modules: [{ type: "ESModule", path: bundles.baseline }],
        compatibilityDate: config.compatibility_date,
        compatibilityFlags: config.compatibility_flags,
        bindings: { UPSTREAM_URL: `${upstreamOrigin}/v1/chat/completions` },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  });
  const mf = new Miniflare(options);
  await mf.ready;
  const junction = (await mf.unsafeGetDirectURL("junction")).origin;
  const baseline = (await mf.unsafeGetDirectURL("baseline")).origin;
  const inspectorUrl = (await mf.getInspectorURL()).toString();

  const created = await fetch(`${junction}/api/v1/keys`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ name: "bench" }),
  });
  if (created.status !== 200 && created.status !== 201) {
    throw new Error(`could not create the bench API key: ${created.status} ${await created.text()}`);
  }
  const { key } = (await created.json()) as { key: string };
  return {
    junction,
    baseline,
    apiKey: key,
    adminKey,
    inspectorUrl,
    workerdPid: childrenNamed(process.pid, "workerd")[0],
    dispose: () => mf.dispose(),
  };
}
