import { type Env, intSetting } from "../env";

/** Timeouts and pacing, from the Worker's variables (DESIGN.md §7), with production defaults. */
export interface GatewaySettings {
  /** Streams: wait this long for the upstream's first token before failing over. */
  firstTokenTimeoutMs: number;
  /** The whole request, every attempt included: JSON answers and streams alike. */
  totalTimeoutMs: number;
  /**
   * JSON answers: how long one attempt may take before the next endpoint is tried. (An upstream
   * answering JSON sends nothing until it is done, so there is no first token to wait for.)
   */
  attemptTimeoutMs: number;
  /** Streams: cut an upstream that stays silent this long after its first token. */
  idleTimeoutMs: number;
  /** Streams: commit to a 200 and send keep-alive comments after waiting this long. */
  keepaliveMs: number;
  /** A Retry-After at most this long is waited out and the same endpoint retried once. */
  retryAfterWaitMaxMs: number;
  demoChunkDelayMs: number;
}

let memo: { env: Env; settings: GatewaySettings } | undefined;

export function gatewaySettings(env: Env): GatewaySettings {
  if (memo?.env === env) return memo.settings;
  const settings: GatewaySettings = {
    firstTokenTimeoutMs: intSetting(env.UPSTREAM_FIRST_TOKEN_TIMEOUT_MS, 60_000),
    totalTimeoutMs: intSetting(env.UPSTREAM_TOTAL_TIMEOUT_MS, 600_000),
    attemptTimeoutMs: intSetting(env.UPSTREAM_ATTEMPT_TIMEOUT_MS, 180_000),
    idleTimeoutMs: intSetting(env.UPSTREAM_IDLE_TIMEOUT_MS, 60_000),
    keepaliveMs: Math.max(50, intSetting(env.STREAM_KEEPALIVE_MS, 1_000)),
    retryAfterWaitMaxMs: intSetting(env.RETRY_AFTER_WAIT_MAX_MS, 2_000),
    demoChunkDelayMs: intSetting(env.DEMO_CHUNK_DELAY_MS, 20),
  };
  memo = { env, settings };
  return settings;
}

/**
 * Per-request overrides: `X-Junction-{First-Token,Idle,Attempt,Total}-Timeout-Ms` headers, each at
 * most ten times the deployment's setting.
 */
export function withRequestOverrides(settings: GatewaySettings, headers: Headers): GatewaySettings {
  const override = (name: string, current: number) => {
    const raw = headers.get(name);
    if (raw === null) return current;
    const value = Number(raw);
    return Number.isInteger(value) && value > 0 ? Math.min(value, current * 10) : current;
  };
  const firstTokenTimeoutMs = override("x-junction-first-token-timeout-ms", settings.firstTokenTimeoutMs);
  const idleTimeoutMs = override("x-junction-idle-timeout-ms", settings.idleTimeoutMs);
  const attemptTimeoutMs = override("x-junction-attempt-timeout-ms", settings.attemptTimeoutMs);
  const totalTimeoutMs = override("x-junction-total-timeout-ms", settings.totalTimeoutMs);
  if (
    firstTokenTimeoutMs === settings.firstTokenTimeoutMs &&
    idleTimeoutMs === settings.idleTimeoutMs &&
    attemptTimeoutMs === settings.attemptTimeoutMs &&
    totalTimeoutMs === settings.totalTimeoutMs
  ) {
    return settings;
  }
  return { ...settings, firstTokenTimeoutMs, idleTimeoutMs, attemptTimeoutMs, totalTimeoutMs };
}
