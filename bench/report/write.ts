/**
 * BENCHMARKS.md from the saved results: machine, reproduction, the table with DESIGN.md §9 budgets
 * and pass/miss, the supporting tables, and a reading generated from the same numbers.
 */
import { writeFileSync } from "node:fs";
import type { CpuSuiteResult, CpuTask } from "../cpu/run.ts";
import { BENCH_OUT, REPO_ROOT } from "../lib/paths.ts";
import type { BenchResults } from "../lib/results.ts";
import type { ProfileSummary } from "../profile/summarize.ts";
import { int, mib, ms, pct, signedKiB, signedMs, signedUs, table, us, verdict } from "./format.ts";

/** DESIGN.md §9, as numbers. */
const BUDGET = {
  addedP50Us: 300,
  addedP99Us: 1_000,
  throughputShare: 0.8,
  chunkTranslationUs: 5,
  typicalRequestCpuUs: 1_000,
};

function task(cpu: CpuSuiteResult, name: string): CpuTask | undefined {
  return cpu.tasks.find((t) => t.name === name);
}

function machineSection(r: Partial<BenchResults>): string {
  const m = r.machine;
  if (!m) return "_Machine not recorded (no end-to-end part has run)._";
  const v = m.versions;
  return [
    `- **CPU**: ${m.cpu}, ${m.cores} cores; **memory** ${m.memoryGiB} GiB; **OS** ${m.os}, Linux ${m.kernel}`,
    `- **Runtimes**: Node ${m.node} (load generator, mock, microbenchmarks); workerd ${v.workerd} via Miniflare ${v.miniflare} (wrangler ${v.wrangler} builds the Worker)`,
    `- **Tools**: autocannon ${v.autocannon}, tinybench ${v.tinybench}; Junction uses zod ${v.zod}, Hono ${v.hono}`,
    `- **Placement**: ${m.placement}`,
    `- **Other load**: 1-minute load average ${m.loadBefore.toFixed(2)} at the start of the end-to-end parts`,
    `- **Measured**: ${m.date} UTC, commit \`${m.commit}\`${m.dirty ? " **plus uncommitted changes in src/**" : ""}${r.timings?.total ? `; the whole run took ${Math.round(r.timings.total)} s` : ""}`,
  ].join("\n");
}

function mainTable(r: Partial<BenchResults>): string {
  const rows: string[][] = [];
  const { latency: l, throughput: t, stream: s, cpu, memory: mem } = r;
  if (l) {
    const d50 = l.junction.p50Us - l.baseline.p50Us;
    const d90 = l.junction.p90Us - l.baseline.p90Us;
    const d99 = l.junction.p99Us - l.baseline.p99Us;
    rows.push(
      [
        "1",
        "latency, JSON, c=1, p50",
        us(l.junction.p50Us),
        us(l.baseline.p50Us),
        signedUs(d50),
        `added ≤ ${us(BUDGET.addedP50Us)}`,
        verdict(d50 <= BUDGET.addedP50Us),
      ],
      ["1", "latency, JSON, c=1, p90", us(l.junction.p90Us), us(l.baseline.p90Us), signedUs(d90), "–", "–"],
      [
        "1",
        "latency, JSON, c=1, p99",
        us(l.junction.p99Us),
        us(l.baseline.p99Us),
        signedUs(d99),
        `added ≤ ${us(BUDGET.addedP99Us)}`,
        verdict(d99 <= BUDGET.addedP99Us),
      ],
    );
  }
  if (t) {
    const share = t.junction.rps / t.baseline.rps;
    rows.push(
      [
        "2",
        `requests/s, JSON, c=${t.connections}`,
        int(t.junction.rps),
        int(t.baseline.rps),
        `${pct(share)} of baseline`,
        `≥ ${pct(BUDGET.throughputShare)} of baseline`,
        verdict(share >= BUDGET.throughputShare),
      ],
      [
        "2",
        `latency p99, c=${t.connections}`,
        us(t.junction.p99Us),
        us(t.baseline.p99Us),
        signedUs(t.junction.p99Us - t.baseline.p99Us),
        "–",
        "–",
      ],
    );
  }
  if (s) {
    const j = s.junction;
    const b = s.baseline;
    const gatesOk = s.proof.junction.released === s.proof.junction.streams && s.proof.junction.streams > 0;
    rows.push(
      [
        "3",
        "stream: response headers (p50)",
        ms(j.headersMs, 2),
        ms(b.headersMs, 2),
        signedMs(j.headersMs - b.headersMs),
        "–",
        "–",
      ],
      [
        "3",
        "stream: first byte (p50)",
        ms(j.firstByteMs, 2),
        ms(b.firstByteMs, 2),
        signedMs(j.firstByteMs - b.firstByteMs),
        "–",
        "–",
      ],
      [
        "3",
        "stream: first content token (p50)",
        ms(j.firstContentMsP50, 2),
        ms(b.firstContentMsP50, 2),
        signedMs(j.firstContentMsP50 - b.firstContentMsP50),
        "–",
        "–",
      ],
      [
        "3",
        `stream: inter-chunk gap p50 / p99 (upstream: ${s.chunkDelayMs} ms)`,
        `${ms(j.gapMsP50, 2)} / ${ms(j.gapMsP99, 2)}`,
        `${ms(b.gapMsP50, 2)} / ${ms(b.gapMsP99, 2)}`,
        signedMs(j.gapMsP99 - b.gapMsP99),
        "–",
        "–",
      ],
      [
        "3",
        "stream: upstream write → client, per chunk, p50 / p99",
        `${us(j.relayUsP50)} / ${us(j.relayUsP99)}`,
        `${us(b.relayUsP50)} / ${us(b.relayUsP99)}`,
        signedUs(j.relayUsP50 - b.relayUsP50),
        "–",
        "–",
      ],
      [
        "3",
        "first chunk reaches the client before the upstream produces the second",
        `gated: ${s.proof.junction.released}/${s.proof.junction.streams}; paced: ${j.firstBeforeSecond}/${j.streams}`,
        `gated: ${s.proof.baseline.released}/${s.proof.baseline.streams}; paced: ${b.firstBeforeSecond}/${b.streams}`,
        "–",
        "no buffering, no waiting for the next byte",
        verdict(gatesOk),
      ],
    );
  }
  if (cpu) {
    const p2 = task(cpu, "pipeline 2KB");
    const p100 = task(cpu, "pipeline 100KB");
    const chunk = task(cpu, "chunk translate");
    const chunkFull = task(cpu, "chunk decode+parse+translate");
    if (p2)
      rows.push([
        "4",
        `CPU, pure pipeline, ${(cpu.requestBytes.small / 1024).toFixed(1)} KB request (mean)`,
        us(p2.meanUs),
        "–",
        "–",
        `≤ ${us(BUDGET.typicalRequestCpuUs)} per typical request`,
        verdict(p2.meanUs <= BUDGET.typicalRequestCpuUs),
      ]);
    if (p100)
      rows.push([
        "4",
        `CPU, pure pipeline, ${(cpu.requestBytes.large / 1024).toFixed(0)} KB request (mean)`,
        us(p100.meanUs),
        "–",
        "–",
        `(not typical; ${us(BUDGET.typicalRequestCpuUs)} for scale)`,
        p100.meanUs <= BUDGET.typicalRequestCpuUs ? "within" : "over",
      ]);
    if (chunk)
      rows.push([
        "4",
        "CPU, stream translation per chunk (mean)",
        `${chunk.meanUs.toFixed(2)} µs`,
        "–",
        "–",
        `≤ ${BUDGET.chunkTranslationUs} µs`,
        verdict(chunk.meanUs <= BUDGET.chunkTranslationUs),
      ]);
    if (chunkFull)
      rows.push([
        "4",
        "CPU, SSE decode + parse + translate per chunk (mean)",
        `${chunkFull.meanUs.toFixed(2)} µs`,
        "–",
        "–",
        `(≤ ${BUDGET.chunkTranslationUs} µs for scale)`,
        chunkFull.meanUs <= BUDGET.chunkTranslationUs ? "within" : "over",
      ]);
  }
  if (mem && mem.points.length >= 2) {
    const first = mem.points[0];
    const last = mem.points[mem.points.length - 1];
    if (first && last) {
      const growth = last.heapUsedBytes - first.heapUsedBytes;
      rows.push([
        "5",
        `isolate heap after GC: ${int(first.requests)} → ${int(last.requests)} requests`,
        `${mib(first.heapUsedBytes)} → ${mib(last.heapUsedBytes)}`,
        "–",
        signedKiB(growth),
        `bounded: growth ≤ ${mib(mem.boundBytes)}`,
        verdict(growth <= mem.boundBytes),
      ]);
    }
  }
  const limits = r.limits;
  if (limits) {
    const far = limits.farFromLimits;
    rows.push([
      "6",
      `KeyGuard round trips per request, key far from its limits (${int(far.admitted)} requests, c=${far.concurrency})`,
      `${far.perRequest.toFixed(4)} (${int(far.roundTrips)})`,
      "–",
      "–",
      "well under 0.1 synchronous DO calls per request",
      verdict(far.perRequest < 0.1),
    ]);
    const at = limits.atLimit;
    rows.push([
      "6",
      `admission at a limit: ${at.sent} parallel requests, ${at.limit} per minute allowed`,
      `${at.admitted} admitted, ${at.refused} refused`,
      "–",
      "–",
      "exact",
      verdict(at.exact),
    ]);
  }
  return table(["#", "measurement", "Junction", "baseline", "difference", "budget (DESIGN.md §9)", ""], rows);
}

function ceilingSection(r: Partial<BenchResults>): string {
  const c = r.ceiling;
  if (!c) return "_Not run._";
  const fastest = Math.max(r.throughput?.baseline.rps ?? 0, r.throughput?.junction.rps ?? 0);
  const headroom =
    fastest > 0
      ? ` — ${(c.c32.rps / fastest).toFixed(1)}× the fastest Worker's rate, so the mock is not what limits the Workers`
      : "";
  return [
    table(
      ["mock upstream alone (same placement, same 2 KB request)", "value"],
      [
        ["c=1 latency p50 / p90 / p99", `${us(c.c1.p50Us)} / ${us(c.c1.p90Us)} / ${us(c.c1.p99Us)}`],
        ["c=1 requests/s", int(c.c1.rps)],
        ["c=32 requests/s", int(c.c32.rps)],
        ["c=32 latency p99", us(c.c32.p99Us)],
      ],
    ),
    "",
    `Ceiling: ${int(c.c32.rps)} requests/s at c=32${headroom}.${c.failed > 0 ? ` ${c.failed} requests failed.` : ""}`,
  ].join("\n");
}

function cpuSection(cpu: CpuSuiteResult | undefined): string {
  if (!cpu) return "_Not run._";
  const rows = cpu.tasks.map((t) => [
    t.name,
    `${t.meanUs.toFixed(2)}`,
    `${t.p50Us.toFixed(2)}`,
    `${t.p99Us.toFixed(2)}`,
    `±${t.rmePercent.toFixed(1)} %`,
    int(t.samples),
  ]);
  return [
    table(["task (µs per call)", "mean", "p50", "p99", "rme", "samples"], rows),
    "",
    `Requests: ${int(cpu.requestBytes.small)} B and ${int(cpu.requestBytes.large)} B of JSON (8 messages); upstream answer ${int(cpu.answerBytes)} B; one stream chunk ${cpu.chunkBytes} B.`,
    "The `pipeline` tasks are parse (JSON + zod, jitless as in workerd) → plan → adapter body → map the upstream answer (parse, map, price, serialise), composed as the chat route composes them (bench/cpu/suite/pipeline.ts). `estimate prompt tokens` is the estimate the chat route makes once per request for routing and admission. `plan N endpoints` plans a synthetic model with N endpoints; `tenancy (warm)` is a warm request's host → tenant lookup, preferences, allow-list and credentials. Runtime objects (Request, Response, streams) are left to the end-to-end runs, because Node prices them differently from workerd.",
  ].join("\n");
}

function memorySection(r: Partial<BenchResults>): string {
  const mem = r.memory;
  if (!mem) return "_Not run._";
  return [
    table(
      ["requests served", "isolate heap used (after GC)", "workerd RSS"],
      mem.points.map((p) => [
        int(p.requests),
        mib(p.heapUsedBytes),
        p.workerdRssBytes === undefined ? "–" : mib(p.workerdRssBytes),
      ]),
    ),
    "",
    `Each request carried a different \`user\`, so anything kept per request would grow the heap. Failed requests: ${mem.failed}. RSS includes workerd's own allocator pools and is shown for context only.`,
  ].join("\n");
}

function profileTable(summary: ProfileSummary, perRequestUs: number | undefined, limit = 12): string {
  const scale = (msValue: number, share: number) =>
    perRequestUs === undefined ? `${msValue.toFixed(0)} ms` : `${(share * perRequestUs).toFixed(0)} µs`;
  const stageRows = summary.stages.map((s) => [s.stage, pct(s.share), scale(s.ms, s.share)]);
  const functionRows = summary.byJunctionCaller
    .slice(0, limit)
    .map((f) => [`\`${f.name}\` (${f.module})`, pct(f.selfShare), scale(f.selfMs, f.selfShare)]);
  const unit = perRequestUs === undefined ? "sampled" : "per request";
  return [
    table(["stage (time charged to the nearest Junction function)", "share", unit], stageRows),
    "",
    table(["function (with the runtime calls and library code it made)", "share", unit], functionRows),
  ].join("\n");
}

function profileSection(r: Partial<BenchResults>): string {
  const p = r.profile;
  if (!p) return "_Not run._";
  const parts: string[] = [];
  if (p.workerd) {
    const { junction, baseline } = p.workerd;
    parts.push(
      `**workerd, under c=32 load, inspector sampling every 100 µs.** Isolate busy time per request: Junction **${us(junction.busyUsPerRequest)}**, baseline **${us(baseline.busyUsPerRequest)}** (${int(junction.requests)} and ${int(baseline.requests)} requests; the profiler's own overhead is included in both).`,
      "",
      profileTable(junction.summary, junction.busyUsPerRequest),
    );
  }
  if (p.node) {
    parts.push(
      "",
      "**Node `--cpu-prof` of the pure pipeline, 2 KB request.**",
      "",
      profileTable(p.node.pipeline2KB, undefined, 8),
      "",
      "**The same, 100 KB request.**",
      "",
      profileTable(p.node.pipeline100KB, undefined, 6),
    );
  }
  parts.push(
    "",
    "Profiles are written to `bench/.out/profiles/*.cpuprofile` (open them in Chrome DevTools or VS Code).",
  );
  return parts.join("\n");
}

/** The largest Junction-owned cost in a profile, skipping runtime buckets. */
function biggestJunctionCost(summary: ProfileSummary | undefined) {
  return summary?.byJunctionCaller.find((f) => f.module.startsWith("src/"));
}

function reading(r: Partial<BenchResults>): string {
  const lines: string[] = [];
  const { latency: l, throughput: t, stream: s, cpu, memory: mem, ceiling: c, profile: p } = r;
  if (l) {
    const d50 = l.junction.p50Us - l.baseline.p50Us;
    const d99 = l.junction.p99Us - l.baseline.p99Us;
    const rounds = l.p50DeltaPerRoundUs.map((d) => Math.round(d)).join(", ");
    lines.push(
      `- **Added latency (c=1).** Junction adds ${signedUs(d50)} at p50 and ${signedUs(d99)} at p99 over the pass-through (budget 300 µs / 1 ms: ${d50 <= BUDGET.addedP50Us ? "met" : "missed"} / ${d99 <= BUDGET.addedP99Us ? "met" : "missed"}). The p50 difference per interleaved round was ${rounds} µs, so the figure is stable rather than noise.`,
    );
  }
  if (t) {
    const share = t.junction.rps / t.baseline.rps;
    const extraUs = (1 / t.junction.rps - 1 / t.baseline.rps) * 1e6;
    lines.push(
      `- **Throughput (c=32).** ${int(t.junction.rps)} vs ${int(t.baseline.rps)} requests/s: ${pct(share)} of the pass-through (budget ≥ 80 %). With workerd on one core, that is about ${us(extraUs)} more of that core per request than the pass-through needs.`,
    );
  }
  if (s) {
    lines.push(
      `- **Streaming.** The first content token arrives ${ms(Math.abs(s.junction.firstContentMsP50 - s.baseline.firstContentMsP50), 2)} ${s.junction.firstContentMsP50 >= s.baseline.firstContentMsP50 ? "later" : "earlier"} than through the pass-through (p50); chunks keep the upstream's ${s.chunkDelayMs} ms pace (Junction's gap p99 ${ms(s.junction.gapMsP99, 2)} vs ${ms(s.baseline.gapMsP99, 2)}), each chunk spends ${us(s.junction.relayUsP50)} (p50) inside Junction vs ${us(s.baseline.relayUsP50)} in the pass-through. In every gated stream the upstream produced nothing after its first chunk until the client had received that chunk — ${s.proof.junction.released}/${s.proof.junction.streams} for Junction — so nothing waits for a next byte.`,
    );
  }
  if (cpu) {
    const p2 = task(cpu, "pipeline 2KB");
    const p100 = task(cpu, "pipeline 100KB");
    const plan100 = task(cpu, "plan 100KB");
    const estimate = task(cpu, "estimate prompt tokens 100KB");
    lines.push(
      `- **CPU.** The pure pipeline costs ${us(p2?.meanUs ?? Number.NaN)} for a 2 KB request and ${us(p100?.meanUs ?? Number.NaN)} for 100 KB${plan100 && p100 ? `, of which planning alone is ${us(plan100.meanUs)} (${pct(plan100.meanUs / p100.meanUs)})` : ""}.${estimate ? ` The prompt-token estimate alone is ${us(estimate.meanUs)} at 100 KB (computed once per request, for routing and admission).` : ""}`,
    );
  }
  if (p?.workerd || p?.node) {
    const w = biggestJunctionCost(p.workerd?.junction.summary);
    const n2 = biggestJunctionCost(p.node?.pipeline2KB);
    const n100 = biggestJunctionCost(p.node?.pipeline100KB);
    const bits: string[] = [];
    if (w)
      bits.push(
        `In workerd under load: \`${w.name}\` (${w.module}), ${pct(w.selfShare)} of the isolate's busy time, runtime calls included`,
      );
    if (n2) bits.push(`in the pure pipeline at 2 KB: \`${n2.name}\` (${n2.module}), ${pct(n2.selfShare)}`);
    if (n100) bits.push(`at 100 KB: \`${n100.name}\` (${n100.module}), ${pct(n100.selfShare)}`);
    if (bits.length) lines.push(`- **Biggest single cost.** ${bits.join("; ")}.`);
  }
  if (mem && mem.points.length >= 2) {
    const first = mem.points[0];
    const last = mem.points[mem.points.length - 1];
    if (first && last) {
      lines.push(
        `- **Memory.** The isolate heap moved ${signedKiB(last.heapUsedBytes - first.heapUsedBytes)} between ${int(first.requests)} and ${int(last.requests)} requests (bound ${mib(mem.boundBytes)}).`,
      );
    }
  }
  if (c && t) {
    lines.push(
      `- **The instrument.** The mock alone serves ${int(c.c32.rps)} requests/s (${(c.c32.rps / Math.max(t.baseline.rps, t.junction.rps)).toFixed(1)}× the faster Worker) and ${us(c.c1.p50Us)} at c=1 p50, so the floor measured here is workerd's, not the mock's.`,
    );
  }
  const load = r.machine?.loadBefore;
  if (load !== undefined && load > 1.5) {
    lines.push(
      `- **Noise warning.** The 1-minute load average was ${load.toFixed(1)} when the run started (${r.machine?.cores} cores): other processes were using the CPU, so absolute figures are inflated; the interleaving keeps the comparisons fair but not exact.`,
    );
  }
  lines.push(
    "- **Caveats.** Miniflare sends every outbound `fetch` of a Worker through a small outbound-interceptor worker in the same workerd process; both Workers pay it, so it cancels in the differences but inflates absolute latencies. On two cores the load generator and the mock share one core; percentiles come from each response's own hrtime duration (autocannon's histogram keeps whole milliseconds). The KeyGuard Durable Object runs in the same workerd process and isolate as Junction here, so its work (leases, batched settlement) is counted in Junction's isolate time and competes for the same core; in production it runs wherever the object lives. Not counted here: KV reads and Durable Object calls per request, and subrequests beyond the upstream call.",
  );
  return lines.join("\n");
}

export function renderReport(r: Partial<BenchResults>): string {
  return `# Benchmarks

Junction against a bare pass-through Worker (forwards the request to the upstream and streams the
answer back, nothing else), both in the same workerd process, against the same local mock upstream.
Generated by \`npm run bench\`; do not edit by hand.

## Machine

${machineSection(r)}

## Reproduce

\`\`\`sh
npm install
npm run bench            # everything, then rewrites this file (under 10 minutes on 2 cores)
\`\`\`

One part at a time (prints JSON, keeps the result for \`npm run bench:report\`):
\`bench:cpu\`, \`bench:mock\`, \`bench:memory\`, \`bench:latency\`, \`bench:throughput\`, \`bench:stream\`,
\`bench:profile\`. \`BENCH_SOURCE=head\` measures the last commit instead of the working tree;
\`BENCH_PIN=0\` turns CPU pinning off; \`BENCH_QUICK=1\` shortens every run (rough numbers, for work
on the bench itself).

How: Junction is built by \`wrangler deploy --dry-run\` (the bundle that would ship) and run by
Miniflare's API with wrangler.toml's bindings (KV \`CATALOG\`, Durable Objects \`KEY_GUARD\` and
\`ENDPOINT_STATS\`), each Worker on its own direct socket on 127.0.0.1 — no \`wrangler dev\` proxy.
The API key is a real KV-stored key created through \`POST /api/v1/keys\`. Load comes from
autocannon with bounded durations and request counts, Junction and baseline interleaved (A B A B).
Requests are ${"~2 KB"} of JSON (8 messages) for \`openai/gpt-4o-mini\`; the mock answers 16 tokens.

## Results

${mainTable(r)}

## Reading

${reading(r)}

## Mock upstream ceiling

${ceilingSection(r)}

## CPU microbenchmarks (Node, tinybench)

${cpuSection(r.cpu)}

## Memory

${memorySection(r)}

## Profile of the hot path

${profileSection(r)}
`;
}

export function writeReport(r: Partial<BenchResults>): string {
  const file = `${REPO_ROOT}/BENCHMARKS.md`;
  writeFileSync(file, renderReport(r));
  writeFileSync(`${BENCH_OUT}/results/report-rendered-at.txt`, new Date().toISOString());
  return file;
}
