import { describe, expect, it } from "vitest";
import type { AttemptSample } from "./aggregate";
import { type FlushTarget, type IngestEntry, StatsRecorder } from "./recorder";
import { shardOf } from "./shards";

/** A clock the test moves: `sleep` resolves when `advance` passes its deadline. */
class FakeClock {
  t = 1_800_000_000_000;
  private timers: { at: number; resolve: () => void }[] = [];
  now = () => this.t;
  sleep = (ms: number) => new Promise<void>((resolve) => this.timers.push({ at: this.t + ms, resolve }));
  async advance(ms: number): Promise<void> {
    const until = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
      await settle();
    }
    this.t = until;
    await settle();
  }
}
/** Lets the recorder's promise chains run (they only await the clock and the fake send). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

function harness(flushIntervalMs = 2_000, maxPendingSamples = 10_000, failSends = false) {
  const clock = new FakeClock();
  const recorder = new StatsRecorder(
    { flushIntervalMs, maxPendingSamples, shardOf: (e) => shardOf(e) },
    clock,
  );
  const sent: { at: number; shard: number; entries: IngestEntry[] }[] = [];
  const background: Promise<unknown>[] = [];
  const target: FlushTarget = {
    waitUntil: (p) => background.push(p),
    send: async (shard, entries) => {
      if (failSends) throw new Error("shard unreachable");
      sent.push({ at: clock.now(), shard, entries });
    },
  };
  const sample = (endpoint: string, status: AttemptSample["status"] = "ok"): AttemptSample => ({
    endpoint,
    at: clock.now(),
    status,
    ttftMs: 300,
    tokensPerSecond: 60,
  });
  return { clock, recorder, sent, background, target, sample };
}

describe("StatsRecorder batching", () => {
  it("sends at most one entry per endpoint per flush interval, flushes at least an interval apart", async () => {
    const { clock, recorder, sent, target, sample } = harness(2_000);
    const endpoints = ["groq/llama", "together/llama", "deepinfra/llama"];
    // 1,000 requests at 100 per second for 10 s.
    for (let i = 0; i < 1_000; i++) {
      recorder.record(sample(endpoints[i % 3] as string), target);
      await clock.advance(10);
    }
    await clock.advance(5_000);
    const flushTimes = [...new Set(sent.map((s) => s.at))].sort((a, b) => a - b);
    for (let i = 1; i < flushTimes.length; i++) {
      expect((flushTimes[i] as number) - (flushTimes[i - 1] as number)).toBeGreaterThanOrEqual(2_000);
    }
    for (const at of flushTimes) {
      const entries = sent.filter((s) => s.at === at).flatMap((s) => s.entries.map((e) => e.endpoint));
      expect(new Set(entries).size).toBe(entries.length);
    }
    const rows = sent.reduce((n, s) => n + s.entries.length, 0);
    const samples = sent.reduce((n, s) => n + s.entries.reduce((m, e) => m + e.ok, 0), 0);
    expect(samples).toBe(1_000);
    // 10 s of traffic → the first flush at once, then one every 2 s: 6 flushes × 3 endpoints.
    expect(flushTimes.length).toBeLessThanOrEqual(7);
    expect(rows).toBeLessThanOrEqual(7 * 3);
    expect(recorder.size).toEqual({ endpoints: 0, samples: 0 });
  });

  it("DO row writes per 1,000 requests fall as traffic per isolate rises", async () => {
    const writesPer1000 = async (perSecond: number) => {
      const { clock, recorder, sent, target, sample } = harness(2_000);
      for (let i = 0; i < 1_000; i++) {
        recorder.record(sample(`p${i % 3}/m`), target);
        await clock.advance(1_000 / perSecond);
      }
      await clock.advance(5_000);
      return sent.reduce((n, s) => n + s.entries.length, 0);
    };
    const table = Object.fromEntries(
      await Promise.all([0.2, 5, 50, 500].map(async (rps) => [rps, await writesPer1000(rps)] as const)),
    );
    // A lone request per interval costs one write; a busy isolate amortises: ~3 endpoints / (rps × 2 s) × 1000.
    expect(table[0.2]).toBe(1_000);
    expect(table[5]).toBeLessThanOrEqual(300 + 3);
    expect(table[50]).toBeLessThanOrEqual(30 + 3);
    expect(table[500]).toBeLessThanOrEqual(3 + 3);
  });

  it("holds at most maxPendingSamples between flushes; the rest are counted as dropped", async () => {
    const { clock, recorder, target, sample } = harness(2_000, 100);
    // The first sample schedules a flush that fires at once; the next 150 wait for the interval.
    recorder.record(sample("a/m"), target);
    await clock.advance(1);
    for (let i = 0; i < 150; i++) recorder.record(sample(`e${i % 7}/m`), target);
    expect(recorder.size.samples).toBe(100);
    expect(recorder.dropped).toBe(50);
    await clock.advance(2_000);
    expect(recorder.size.samples).toBe(0);
  });

  it("a failed flush is lost, not retried: the buffer cannot grow while a shard is down", async () => {
    const { clock, recorder, target, sample } = harness(100, 10_000, true);
    for (let i = 0; i < 50; i++) {
      recorder.record(sample("a/m", "timeout"), target);
      await clock.advance(50);
    }
    await clock.advance(1_000);
    expect(recorder.lostFlushes).toBeGreaterThan(0);
    expect(recorder.size.samples).toBe(0);
  });

  it("entries carry what the shared circuit needs: counts, last success and failure, Retry-After", async () => {
    const { clock, recorder, sent, target, sample } = harness(1_000);
    recorder.record({ ...sample("a/m", "upstream_error") }, target);
    recorder.record({ ...sample("a/m", "rate_limited"), retryUntil: clock.now() + 30_000 }, target);
    recorder.record({ ...sample("a/m", "client_error") }, target);
    await clock.advance(5);
    recorder.record(sample("a/m"), target);
    await clock.advance(2_000);
    const entries = sent.flatMap((s) => s.entries);
    expect(entries[0]).toMatchObject({ ok: 0, errors: 1, rateLimited: 1, retryUntil: expect.any(Number) });
    expect(entries[1]).toMatchObject({ ok: 1, errors: 0, rateLimited: 0 });
    expect(entries[1]?.lastOkAt).toBeGreaterThan(entries[0]?.lastFailureAt ?? 0);
  });
});
