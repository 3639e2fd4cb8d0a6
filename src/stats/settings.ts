import { type Env, intSetting } from "../env";
import { DEFAULT_CIRCUIT_OPTIONS } from "../routing/circuit";

/** Stats timings, from the Worker's variables (DESIGN.md §7), with production defaults. */
export interface StatsSettings {
  /** An isolate sends its samples at most this often (one write per endpoint per interval). */
  flushIntervalMs: number;
  /** An isolate's cached health snapshot is refreshed in the background once older than this. */
  snapshotTtlMs: number;
  /** A snapshot older than this (an isolate idle for a while) is not used: routing plans neutral. */
  snapshotMaxAgeMs: number;
  /** The shared circuit's first cooldown (the isolates' own is DEFAULT_CIRCUIT_OPTIONS'). */
  circuitCooldownMs: number;
}

let memo: { env: Env; settings: StatsSettings } | undefined;

export function statsSettings(env: Env): StatsSettings {
  if (memo?.env === env) return memo.settings;
  const snapshotTtlMs = Math.max(10, intSetting(env.STATS_SNAPSHOT_TTL_MS, 3_000));
  const settings: StatsSettings = {
    flushIntervalMs: Math.max(10, intSetting(env.STATS_FLUSH_INTERVAL_MS, 2_000)),
    snapshotTtlMs,
    snapshotMaxAgeMs: Math.max(60_000, snapshotTtlMs * 10),
    circuitCooldownMs: Math.max(
      100,
      intSetting(env.STATS_CIRCUIT_COOLDOWN_MS, DEFAULT_CIRCUIT_OPTIONS.cooldownMs),
    ),
  };
  memo = { env, settings };
  return settings;
}
