/**
 * CPU microbenchmarks of Junction's pure pipeline (tinybench), bundled by bench/cpu/run.ts and run in a
 * Node child process. Prints one JSON line: every task's per-call time in microseconds.
 * Arguments: `--time=<ms per task>` and `--only=<comma-separated task prefixes>`.
 */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { Bench } from "tinybench";
import { z } from "zod";
import type { Catalog } from "../../../src/catalog/store";
import type { Env } from "../../../src/env";
import { OpenAIStreamTranslator } from "../../../src/providers/openai/stream";
import { plan } from "../../../src/routing/plan";
import { tenantCredentials } from "../../../src/tenants/credentials";
import { effectivePreferences, tenantRefusal } from "../../../src/tenants/policy";
import { normalizeHost, tenantForHost } from "../../../src/tenants/store";
import { estimatePromptTokens } from "../../../src/tokens";
import { BENCH_MODEL, chatRequestJson } from "../../lib/requests";
import { DEFAULT_PROFILE, jsonAnswer, streamWrites } from "../../mock/wire";
import { getCatalog, mapAnswer, parse, planAttempts, translate, wholePipeline } from "./pipeline";

// As in src/index.ts: Workers forbid code generation, so zod runs without its JIT there; here too.
z.config({ jitless: true });

interface TaskFigures {
  name: string;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  rmePercent: number;
  samples: number;
}

const args = new Map(
  (globalThis as unknown as { process: { argv: string[] } }).process.argv
    .slice(2)
    .map((a) => a.replace(/^--/, "").split("=") as [string, string]),
);
const timeMs = Number(args.get("time") ?? "500");
const only = args.get("only")?.split(",");

const catalog = await getCatalog([BENCH_MODEL]);
const small = chatRequestJson({ bytes: 2_048 });
const large = chatRequestJson({ bytes: 102_400 });
const answer = jsonAnswer(DEFAULT_PROFILE);
const writes64 = streamWrites({ ...DEFAULT_PROFILE, tokens: 64 });
const smallRequest = parse(small);
const largeRequest = parse(large);
const [resolved] = planAttempts(smallRequest, catalog);
if (!resolved) throw new Error("no endpoint for the bench model");

/** A mid-stream content chunk exactly as the upstream sends it. */
const contentEvent = (writes64[10] as string).slice("data: ".length).trimEnd();
const contentBytes = new TextEncoder().encode(writes64[10] as string);

let sink = 0;
const bench = new Bench({ time: timeMs, warmup: true, warmupTime: Math.min(250, timeMs) });
const task = (name: string, fn: () => unknown) => {
  if (!only || only.some((prefix) => name.startsWith(prefix))) bench.add(name, fn);
};

task("parse 2KB", () => parse(small));
task("plan 2KB", () => planAttempts(smallRequest, catalog));
task("translate 2KB", () => translate(smallRequest, resolved));
task("map answer", () => mapAnswer(answer, resolved, "gen-bench"));
task("pipeline 2KB", () => wholePipeline(small, answer, catalog));
task("parse 100KB", () => parse(large));
task("plan 100KB", () => planAttempts(largeRequest, catalog));
task("translate 100KB", () => translate(largeRequest, resolved));
task("pipeline 100KB", () => wholePipeline(large, answer, catalog));
// Called by plan (context and price) and again by the chat route (admission demand).
task("estimate prompt tokens 2KB", () => estimatePromptTokens(smallRequest));
task("estimate prompt tokens 100KB", () => estimatePromptTokens(largeRequest));

// Planning cost against the number of endpoints a model has (issue: routing).
function catalogWith(endpoints: number): Catalog {
  const providers = Array.from({ length: endpoints }, (_, i) => ({
    slug: `p${i}`,
    name: `P${i}`,
    api: "openai" as const,
    base_url: `https://p${i}.example/v1`,
    regions: [{ id: "r", lat: (i * 7) % 90, lon: (i * 13) % 180 }],
  }));
  const model = {
    id: "bench/model",
    name: "bench",
    created: 0,
    context_length: 131_072,
    input_modalities: ["text"],
    output_modalities: ["text"],
    tokenizer: "Other",
    endpoints: providers.map((p, i) => ({
      provider: p.slug,
      provider_model_id: "m",
      context_length: 131_072,
      max_completion_tokens: 8_192,
      quantization: null,
      pricing: { prompt: `0.00000${(i % 9) + 1}`, completion: `0.00000${(i % 7) + 2}` },
      supported_parameters: ["max_tokens", "temperature", "tools"],
    })),
  };
  const resolved = model.endpoints.map((endpoint, i) => ({ model, endpoint, provider: providers[i] }));
  return {
    model: (id: string) => (id === model.id ? model : undefined),
    provider: (slug: string) => providers.find((p) => p.slug === slug),
    endpoints: () => resolved,
  } as unknown as Catalog;
}
for (const endpoints of [1, 10, 50]) {
  const syntheticCatalog = catalogWith(endpoints);
  const request = { ...smallRequest, model: "bench/model" };
  task(`plan ${endpoints} endpoint${endpoints === 1 ? "" : "s"}`, () =>
    plan({
      request,
      catalog: syntheticCatalog,
      promptTokens: 500,
      adapterFamily: () => "openai",
      hasCredentials: () => true,
      caller: { lat: 50, lon: 8 },
      random: Math.random,
    }),
  );
}

// Tenancy on a warm request: host → tenant (memo hit), the tenant's preferences, allow-lists
// for each planned endpoint, and its credentials.
const tenancyEnv = {
  CATALOG: { get: async () => null },
  PLATFORM_HOSTNAMES: "api.example.com",
} as unknown as Env;
const benchUrl = "https://api.example.com/api/v1/chat/completions";
const warmTenant = await tenantForHost(tenancyEnv, normalizeHost(benchUrl));
const warmCredentials = await tenantCredentials(tenancyEnv, warmTenant);
task("tenancy (warm)", async () => {
  const tenant = await tenantForHost(tenancyEnv, normalizeHost(benchUrl));
  const credentials = await tenantCredentials(tenancyEnv, tenant);
  sink += Object.keys(effectivePreferences(tenant, smallRequest.provider)).length;
  sink += tenantRefusal(tenant, resolved) === undefined ? 1 : 0;
  sink += credentials === warmCredentials ? 0 : 1;
});

const translator = new OpenAIStreamTranslator();
task("chunk translate", () => translator.push({ data: contentEvent }));

// What `SseSource.next` does per network read, then the translation: decode, parse SSE, push.
const decoder = new TextDecoder();
let parsed: EventSourceMessage[] = [];
const sseParser = createParser({ onEvent: (event) => parsed.push(event) });
task("chunk decode+parse+translate", () => {
  sseParser.feed(decoder.decode(contentBytes, { stream: true }));
  for (const event of parsed) sink += translator.push(event).length;
  parsed = [];
});

await bench.run();

const tasks: TaskFigures[] = [];
for (const t of bench.tasks) {
  const result = t.result;
  if (result.state !== "completed") throw new Error(`task ${t.name} did not complete: ${result.state}`);
  tasks.push({
    name: t.name,
    meanUs: result.latency.mean * 1000,
    p50Us: result.latency.p50 * 1000,
    p99Us: result.latency.p99 * 1000,
    rmePercent: result.latency.rme,
    samples: result.latency.samplesCount,
  });
}
console.log(
  JSON.stringify({
    tasks,
    requestBytes: { small: small.length, large: large.length },
    answerBytes: answer.length,
    chunkBytes: contentBytes.length,
    sink: sink > 0,
  }),
);
