/**
 * One bounded autocannon run. autocannon's own histogram keeps whole milliseconds, too coarse for
 * a sub-millisecond budget, so every response's exact duration (fractional ms from hrtime) is
 * recorded from its `response` event instead.
 */
import autocannon from "autocannon";

export interface LoadSpec {
  url: string;
  body: string;
  headers: Record<string, string>;
  connections: number;
  /** Seconds; the run also stops at `maxRequests`, whichever comes first. */
  durationSeconds: number;
  maxRequests: number;
  /** Replace each `[<id>]` in the body with a fresh random id per request. */
  idReplacement?: boolean;
}

export interface LoadRun {
  /** Completed responses with a 2xx status. */
  ok: number;
  /** Non-2xx responses, connection errors and timeouts. */
  failed: number;
  seconds: number;
  requestsPerSecond: number;
  /** Milliseconds, one per 2xx response. */
  latenciesMs: number[];
}

export function runLoad(spec: LoadSpec): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    const latenciesMs: number[] = [];
    let failed = 0;
    const startedAt = performance.now();
    const instance = autocannon(
      {
        url: spec.url,
        method: "POST",
        headers: spec.headers,
        body: spec.body,
        connections: spec.connections,
        pipelining: 1,
        duration: spec.durationSeconds,
        maxOverallRequests: spec.maxRequests,
        timeout: 10,
        idReplacement: spec.idReplacement ?? false,
      },
      (error) => {
        if (error) return reject(error);
        const seconds = (performance.now() - startedAt) / 1000;
        resolve({
          ok: latenciesMs.length,
          failed,
          seconds,
          requestsPerSecond: latenciesMs.length / seconds,
          latenciesMs,
        });
      },
    );
    instance.on("response", (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode >= 200 && statusCode < 300) latenciesMs.push(responseTimeMs);
      else failed++;
    });
    instance.on("reqError", () => {
      failed++;
    });
  });
}
