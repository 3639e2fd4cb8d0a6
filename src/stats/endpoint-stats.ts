/**
 * `EndpointStats`: one shard of the rolling endpoint statistics (DESIGN.md §3). `SHARDS` objects
 * split the endpoints by a hash of their key (shards.ts); isolates send them batched samples
 * (`ingest`) and read compact health snapshots (`snapshot`) in the background, never on a
 * request's path. Storage schema and write budget: store.ts. An alarm compacts old buckets.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { DEFAULT_CIRCUIT_OPTIONS } from "../routing/circuit";
import type { IngestEntry } from "./recorder";
import type { EndpointReport } from "./report";
import { statsSettings } from "./settings";
import { SharedCircuits } from "./shared-circuits";
import { COMPACT_EVERY_MS, StatsStore } from "./store";
import type { ShardSnapshot } from "./windows";

export class EndpointStats extends DurableObject<Env> {
  readonly store: StatsStore;
  private alarmScheduled = false;
  /** Replaced by tests to move time. */
  now: () => number = () => Date.now();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const settings = statsSettings(env);
    const shared = new SharedCircuits({ ...DEFAULT_CIRCUIT_OPTIONS, cooldownMs: settings.circuitCooldownMs });
    this.store = new StatsStore(
      ctx.storage.sql,
      shared,
      Math.min(250, Math.floor(settings.snapshotTtlMs / 2)),
      DEFAULT_CIRCUIT_OPTIONS.minSamples,
      Date.now(),
    );
  }

  async ingest(entries: IngestEntry[]): Promise<void> {
    this.store.ingest(entries, this.now());
    if (!this.alarmScheduled) {
      this.alarmScheduled = true;
      if ((await this.ctx.storage.getAlarm()) === null) {
        await this.ctx.storage.setAlarm(this.now() + COMPACT_EVERY_MS);
      }
    }
  }

  snapshot(endpoints?: string[]): ShardSnapshot {
    const full = this.store.snapshot(this.now());
    if (!endpoints) return full;
    const picked: ShardSnapshot = { at: full.at, endpoints: {} };
    for (const endpoint of endpoints) {
      const entry = full.endpoints[endpoint];
      if (entry) picked.endpoints[endpoint] = entry;
    }
    return picked;
  }

  report(): { rowsWritten: number; endpoints: EndpointReport[] } {
    return { rowsWritten: this.store.rowsWritten, endpoints: this.store.report(this.now()) };
  }

  override async alarm(): Promise<void> {
    this.alarmScheduled = false;
    if (this.store.compact(this.now())) {
      this.alarmScheduled = true;
      await this.ctx.storage.setAlarm(this.now() + COMPACT_EVERY_MS);
    }
  }
}
