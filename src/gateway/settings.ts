import { type Env, intSetting } from "../env";

/** Timeouts and pacing, from the Worker's variables (DESIGN.md §7), with production defaults. */
export interface GatewaySettings {
  /** Streams: wait this long for the upstream's first token before failing over. */
  firstTokenTimeoutMs: number;
  /** JSON answers: the whole upstream call. Streams: the total deadline. */
  totalTimeoutMs: number;
  /** Streams: cut an upstream that stays silent this long after its first token. */
  idleTimeoutMs: number;
  /** Streams: commit to a 200 and send keep-alive comments after waiting this long. */
  keepaliveMs: number;
  demoChunkDelayMs: number;
}

let memo: { env: Env; settings: GatewaySettings } | undefined;

export function gatewaySettings(env: Env): GatewaySettings {
  if (memo?.env === env) return memo.settings;
  const settings: GatewaySettings = {
    firstTokenTimeoutMs: intSetting(env.UPSTREAM_FIRST_TOKEN_TIMEOUT_MS, 60_000),
    totalTimeoutMs: intSetting(env.UPSTREAM_TOTAL_TIMEOUT_MS, 600_000),
    idleTimeoutMs: intSetting(env.UPSTREAM_IDLE_TIMEOUT_MS, 60_000),
    keepaliveMs: Math.max(50, intSetting(env.STREAM_KEEPALIVE_MS, 1_000)),
    demoChunkDelayMs: intSetting(env.DEMO_CHUNK_DELAY_MS, 20),
  };
  memo = { env, settings };
  return settings;
}
