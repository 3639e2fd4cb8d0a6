/**
 * Reads a V8 `.cpuprofile` (from workerd's inspector or `node --cpu-prof`) into the figures the
 * report needs: self time per function, and time inside each Junction module, attributed through
 * the `// src/...` markers esbuild writes before every module of an unminified bundle.
 */
import { readFileSync } from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface FunctionCost {
  name: string;
  /** `src/...` module (or `node_modules/...`, or a runtime bucket such as `(garbage collector)`). */
  module: string;
  selfMs: number;
  selfShare: number;
}

export interface ProfileSummary {
  /** Milliseconds sampled while the isolate was doing something (idle excluded). */
  busyMs: number;
  topFunctions: FunctionCost[];
  /** Self time per module, busiest first. */
  modules: { module: string; selfMs: number; selfShare: number }[];
  /**
   * Time charged to the nearest Junction function on the stack: a runtime call (fetch, Request,
   * timers, crypto) or a library (zod) counts against the `src/` function that made it.
   */
  byJunctionCaller: FunctionCost[];
  /** The same, grouped by pipeline stage. */
  stages: { stage: string; ms: number; share: number }[];
}

/** Which stage of DESIGN.md §2 a module belongs to, for the per-stage breakdown. */
export function stageOf(module: string): string {
  const stages: [RegExp, string][] = [
    [/^src\/(routes\/body|schema\/)/, "parse (body read + zod)"],
    [/^src\/tokens/, "token estimation"],
    [/^src\/(routing\/|catalog\/store)/, "plan"],
    [/^src\/providers\//, "adapter (translate + map)"],
    [/^src\/(catalog\/cost|gateway\/usage)/, "cost"],
    [/^src\/gateway\//, "execute (attempt, fetch, respond)"],
    [/^src\/(keys\/|routes\/auth|tenants\/)/, "auth"],
    [/^src\/limits\/key-guard/, "KeyGuard Durable Object (same isolate here)"],
    [/^src\/limits\//, "admit (leases, settlement)"],
    [/^src\//, "route glue (app, chat route, errors)"],
    [/^node_modules\/hono/, "Hono"],
    [/^\(garbage collector\)/, "garbage collector"],
    [/^\(program\)/, "runtime outside JS ((program))"],
  ];
  for (const [pattern, stage] of stages) if (pattern.test(module)) return stage;
  return "runtime calls and libraries outside Junction code";
}

/** `../../../node_modules/x` and `bench/.out/source-<sha>/src/x` read as `node_modules/x` and `src/x`. */
function normalizeModule(path: string): string {
  return path.replace(/^(\.\.\/)+/, "").replace(/^bench\/\.out\/source-[^/]+\//, "");
}

/**
 * The microbenchmark's composition of the stages; its JSON.parse/JSON.stringify calls are the
 * stages' own work (they stand in for what the route does around the stage functions).
 */
const SUITE_PIPELINE = "bench/cpu/suite/pipeline.ts";

function suiteStage(functionName: string): string {
  if (functionName.startsWith("parse")) return "parse (body read + zod)";
  if (functionName.startsWith("planAttempts")) return "plan";
  return "adapter (translate + map)";
}

const RUNTIME_BUCKETS = new Set(["(program)", "(garbage collector)", "(idle)", "(root)"]);

/** For each bundle file, the module that starts at each line, from esbuild's `// path` markers. */
function moduleMarkers(bundlePath: string): { line: number; module: string }[] {
  const markers: { line: number; module: string }[] = [];
  const lines = readFileSync(bundlePath, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const match = /^\/\/ ((?:\.\.\/)*(?:src|node_modules|bench)\/\S+)$/.exec(lines[i] as string);
    if (match?.[1]) markers.push({ line: i, module: normalizeModule(match[1]) });
  }
  return markers;
}

function moduleAt(markers: { line: number; module: string }[], line: number): string {
  let low = 0;
  let high = markers.length - 1;
  let found = "(bundle)";
  while (low <= high) {
    const mid = (low + high) >> 1;
    const marker = markers[mid] as { line: number; module: string };
    if (marker.line <= line) {
      found = marker.module;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/**
 * `bundles` maps a substring of a script URL to the bundle file it was loaded from; frames from
 * other scripts are attributed by their URL (runtime internals show as `(native)`).
 */
export function summarizeProfile(profile: CpuProfile, bundles: Record<string, string>): ProfileSummary {
  const markers = new Map(Object.entries(bundles).map(([key, path]) => [key, moduleMarkers(path)]));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // A sample's time is the gap to the next one.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const moduleCache = new Map<number, string>();
  const moduleOf = (id: number): string => {
    const cached = moduleCache.get(id);
    if (cached !== undefined) return cached;
    const frame = (byId.get(id) as ProfileNode).callFrame;
    let module: string;
    if (RUNTIME_BUCKETS.has(frame.functionName)) module = frame.functionName;
    else {
      const bundle = [...markers.keys()].find((key) => frame.url.includes(key));
      module = bundle
        ? moduleAt(markers.get(bundle) ?? [], frame.lineNumber)
        : frame.url === ""
          ? "(native)"
          : frame.url.replace(/^.*\/node_modules\//, "node_modules/");
    }
    moduleCache.set(id, module);
    return module;
  };
  const nameOf = (id: number) => (byId.get(id) as ProfileNode).callFrame.functionName || "(anonymous)";
  /** The nearest frame at or above `id` that is Junction's own code, or `id` itself when none is. */
  const junctionCaller = (id: number): number => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (moduleOf(at).startsWith("src/") || moduleOf(at) === SUITE_PIPELINE) return at;
    }
    return id;
  };
  const add = (table: Map<string, FunctionCost>, id: number, us: number) => {
    const module = moduleOf(id);
    const name = nameOf(id);
    const key = `${module}\u0000${name}`;
    const entry = table.get(key) ?? { name, module, selfMs: 0, selfShare: 0 };
    entry.selfMs += us / 1000;
    table.set(key, entry);
  };

  const functions = new Map<string, FunctionCost>();
  const attributed = new Map<string, FunctionCost>();
  const modules = new Map<string, number>();
  const stages = new Map<string, number>();
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    if (nameOf(id) === "(idle)") continue;
    busyUs += us;
    add(functions, id, us);
    modules.set(moduleOf(id), (modules.get(moduleOf(id)) ?? 0) + us / 1000);
    const caller = junctionCaller(id);
    add(attributed, caller, us);
    const stage =
      moduleOf(caller) === SUITE_PIPELINE ? suiteStage(nameOf(caller)) : stageOf(moduleOf(caller));
    stages.set(stage, (stages.get(stage) ?? 0) + us / 1000);
  }
  const busyMs = busyUs / 1000;
  const share = (ms: number) => (busyMs > 0 ? ms / busyMs : 0);
  const ranked = (table: Map<string, FunctionCost>) =>
    [...table.values()]
      .map((f) => ({ ...f, selfShare: share(f.selfMs) }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 25);
  return {
    byJunctionCaller: ranked(attributed),
    stages: [...stages].map(([stage, ms]) => ({ stage, ms, share: share(ms) })).sort((a, b) => b.ms - a.ms),
    busyMs,
    topFunctions: ranked(functions),
    modules: [...modules]
      .map(([module, selfMs]) => ({ module, selfMs, selfShare: share(selfMs) }))
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, 25),
  };
}
