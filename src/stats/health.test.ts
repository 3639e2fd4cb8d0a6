import { describe, expect, it } from "vitest";
import { DEFAULT_CIRCUIT_OPTIONS } from "../routing/circuit";
import type { CircuitState } from "../routing/health";
import { combineHealth } from "./health";
import { SharedCircuits } from "./shared-circuits";
import { type ShardReader, SnapshotCache } from "./snapshot-cache";
import type { EndpointSnapshot, ShardSnapshot } from "./windows";

const entry = (over: Partial<EndpointSnapshot> = {}): EndpointSnapshot => ({
  up5: 100,
  up30: 100,
  up1d: 100,
  lat: [400, 500, 600, 900],
  tps: [50, 45, 40, 30],
  lat30: null,
  tps30: null,
  err: null,
  circuit: "closed",
  ...over,
});

describe("SnapshotCache: stale-while-revalidate with no I/O on reads", () => {
  function harness() {
    let now = 1_000_000;
    let version = 0;
    const reads: { shard: number; endpoints: string[] }[] = [];
    const pending: (() => void)[] = [];
    let fail = false;
    const reader: ShardReader = {
      waitUntil: () => {},
      read: (shard, endpoints) => {
        reads.push({ shard, endpoints });
        const snapshot: ShardSnapshot = {
          at: now,
          endpoints: Object.fromEntries(endpoints.map((e) => [e, entry({ up5: ++version })])),
        };
        return new Promise((resolve, reject) =>
          pending.push(() => (fail ? reject(new Error("down")) : resolve(snapshot))),
        );
      },
    };
    const cache = new SnapshotCache(
      { ttlMs: 3_000, maxAgeMs: 60_000, shards: 4, shardOf: () => 0, maxEndpointsPerShard: 3 },
      () => now,
    );
    const answer = async () => {
      for (const resolve of pending.splice(0)) resolve();
      await new Promise((resolve) => setTimeout(resolve, 0));
    };
    return {
      cache,
      reader,
      reads,
      answer,
      advance: (ms: number) => (now += ms),
      failNext: () => (fail = true),
    };
  }

  it("a cold isolate plans neutral and starts one refresh; the next read has data", async () => {
    const { cache, reader, reads, answer } = harness();
    expect(cache.get("a/m", reader)).toBeUndefined();
    expect(cache.get("a/m", reader)).toBeUndefined();
    expect(reads).toHaveLength(1);
    await answer();
    expect(cache.get("a/m", reader)?.up5).toBe(1);
    expect(reads).toHaveLength(1);
  });

  it("past the TTL a read answers the stale copy at once and refreshes behind it", async () => {
    const { cache, reader, reads, answer, advance } = harness();
    cache.get("a/m", reader);
    await answer();
    advance(3_000);
    expect(cache.get("a/m", reader)?.up5).toBe(1);
    expect(reads).toHaveLength(2);
    await answer();
    expect(cache.get("a/m", reader)?.up5).toBe(2);
  });

  it("a new endpoint is fetched on first sight; the set asked for is bounded", async () => {
    const { cache, reader, reads, answer } = harness();
    cache.get("a/m", reader);
    await answer();
    cache.get("b/m", reader);
    expect(reads.at(-1)?.endpoints).toEqual(["a/m", "b/m"]);
    await answer();
    for (const e of ["c/m", "d/m", "e/m"]) {
      cache.get(e, reader);
      await answer();
    }
    expect(reads.at(-1)?.endpoints.length).toBeLessThanOrEqual(3);
  });

  it("a failed refresh keeps the old copy and waits a TTL; a copy too old is not used", async () => {
    const { cache, reader, reads, answer, advance, failNext } = harness();
    cache.get("a/m", reader);
    await answer();
    advance(3_000);
    failNext();
    cache.get("a/m", reader);
    await answer();
    expect(cache.failedRefreshes).toBe(1);
    expect(cache.get("a/m", reader)?.up5).toBe(1);
    expect(reads).toHaveLength(2);
    advance(60_001);
    expect(cache.get("a/m", reader)).toBeUndefined();
  });
});

describe("combineHealth: the isolate's circuit and the shared view", () => {
  const cases: [CircuitState, CircuitState | undefined, CircuitState][] = [
    ["closed", undefined, "closed"],
    ["open", undefined, "open"],
    ["closed", "open", "open"],
    ["half_open", "open", "open"],
    ["open", "half_open", "open"],
    ["closed", "half_open", "half_open"],
    ["half_open", "closed", "half_open"],
  ];
  for (const [local, shared, expected] of cases) {
    it(`local ${local} + shared ${shared ?? "unknown"} → ${expected}`, () => {
      const health = combineHealth(local, shared ? entry({ circuit: shared }) : undefined);
      expect(health.circuit).toBe(expected);
    });
  }
  it("carries percentiles and the error rate; unknown figures stay unknown", () => {
    expect(combineHealth("closed", entry({ err: 0.4 }))).toEqual({
      circuit: "closed",
      latencyMs: { p50: 400, p75: 500, p90: 600, p99: 900 },
      throughput: { p50: 50, p75: 45, p90: 40, p99: 30 },
      errorRate: 0.4,
    });
    expect(combineHealth("closed", entry({ lat: null, tps: null }))).toEqual({ circuit: "closed" });
  });
});

describe("SharedCircuits: one breaker fed by every isolate", () => {
  const signals = (ok: number, errors: number, at: number, lastOkAt = 0) => ({
    ok,
    errors,
    rateLimited: 0,
    lastOkAt,
    lastFailureAt: errors > 0 ? at : 0,
  });

  it("opens on failures no single isolate saw enough of, then a probe closes it and clears the error rate", () => {
    const shared = new SharedCircuits(DEFAULT_CIRCUIT_OPTIONS);
    let now = 5_000_000;
    // Four isolates, one failure each: none would open its own circuit (minimum 4 samples).
    for (let i = 0; i < 4; i++) {
      now += 100;
      shared.report("p/m", signals(0, 1, now), now);
    }
    expect(shared.view("p/m", now)).toMatchObject({ circuit: "open", attempts: 4, errors: 4 });
    now += DEFAULT_CIRCUIT_OPTIONS.cooldownMs;
    expect(shared.view("p/m", now).circuit).toBe("half_open");
    shared.report("p/m", signals(1, 0, now, now), now);
    expect(shared.view("p/m", now)).toMatchObject({ circuit: "closed", attempts: 1, errors: 0 });
  });

  it("a failed probe re-opens it; a long Retry-After opens it at once", () => {
    const shared = new SharedCircuits(DEFAULT_CIRCUIT_OPTIONS);
    let now = 5_000_000;
    shared.report("p/m", signals(0, 4, now), now);
    now += DEFAULT_CIRCUIT_OPTIONS.cooldownMs;
    shared.report("p/m", signals(0, 1, now), now);
    expect(shared.view("p/m", now).circuit).toBe("open");
    shared.report("q/m", { ...signals(5, 0, now, now), rateLimited: 1, retryUntil: now + 60_000 }, now);
    expect(shared.view("q/m", now + 59_000).circuit).toBe("open");
  });

  it("the error rate only looks back one circuit window", () => {
    const shared = new SharedCircuits(DEFAULT_CIRCUIT_OPTIONS);
    const now = 5_000_000;
    shared.report("p/m", signals(6, 2, now, now - 1), now);
    expect(shared.view("p/m", now)).toMatchObject({ circuit: "closed", attempts: 8, errors: 2 });
    expect(shared.view("p/m", now + DEFAULT_CIRCUIT_OPTIONS.windowMs + 5_000)).toMatchObject({ attempts: 0 });
  });
});
