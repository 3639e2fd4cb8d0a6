/**
 * One attempt against one endpoint: build the request, send it, and classify what came back.
 * This module and the stream pump are the only places that touch the network.
 */

import type { ResolvedEndpoint } from "../catalog/types";
import { type Env, providerSetting } from "../env";
import { JunctionError } from "../errors";
import { malformedFailure, networkFailure } from "../providers/failure";
import { adapterForEndpoint } from "../providers/registry";
import type { ProviderAdapter, UpstreamFailure, UpstreamTarget } from "../providers/types";
import type { Credentials } from "../tenants/credentials";
import type { ChatContext } from "./context";

export class TimeoutError extends Error {
  override name = "TimeoutError";
}

export function resolveTarget(
  env: Env,
  resolved: ResolvedEndpoint,
  credentials: Credentials,
): UpstreamTarget {
  const slug = resolved.provider.slug;
  return {
    resolved,
    baseUrl: providerSetting(env, slug, "BASE_URL") ?? resolved.provider.base_url,
    apiKey: credentials.forProvider(slug)?.apiKey,
  };
}

export type OpenedAttempt =
  | {
      ok: true;
      response: Response;
      adapter: ProviderAdapter;
      abort: AbortController;
      secret: string | undefined;
    }
  | { ok: false; failure: UpstreamFailure };

/** Removes the provider key from anything an upstream echoed back, before a client can see it. */
export function redactFailure(failure: UpstreamFailure, secret: string | undefined): UpstreamFailure {
  if (secret === undefined || secret.length < 6) return failure;
  const scrub = (text: string) => text.split(secret).join("[redacted]");
  const raw = failure.raw === undefined ? undefined : JSON.parse(scrub(JSON.stringify(failure.raw)));
  return { ...failure, message: scrub(failure.message), raw };
}

/** Resolves with `value`, or rejects with `TimeoutError` and aborts `abort` after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, abort: AbortController): Promise<T> {
  let timer: number | null = null;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new TimeoutError(`no answer from the upstream within ${ms} ms`);
      abort.abort(error);
      reject(error);
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function openAttempt(
  ctx: ChatContext,
  resolved: ResolvedEndpoint,
  headersTimeoutMs: number,
): Promise<OpenedAttempt> {
  const { env, request, clientSignal, settings } = ctx;
  const adapter = adapterForEndpoint(resolved);
  if (!adapter) throw new Error(`planned an endpoint without adapter: ${resolved.provider.slug}`);
  const target = resolveTarget(env, resolved, ctx.credentials);
  const abort = new AbortController();
  const onClientAbort = () => abort.abort(clientSignal.reason);
  if (clientSignal.aborted) onClientAbort();
  else clientSignal.addEventListener("abort", onClientAbort, { once: true });

  let upstreamRequest: Request;
  try {
    upstreamRequest = await adapter.buildRequest(request, target);
  } catch (error) {
    // An adapter throws JunctionError for requests its API cannot express; another family may.
    if (error instanceof JunctionError) {
      const failure: UpstreamFailure = {
        status: error.status as UpstreamFailure["status"],
        errorType: error.errorType,
        message: error.message,
        retryable: true,
        upstreamStatus: 0,
      };
      return { ok: false, failure };
    }
    return { ok: false, failure: malformedFailure(`could not build the upstream request: ${String(error)}`) };
  }
  try {
    const sent = adapter.transport
      ? adapter.transport(upstreamRequest, {
          env,
          signal: abort.signal,
          chunkDelayMs: settings.demoChunkDelayMs,
        })
      : fetch(upstreamRequest, { signal: abort.signal });
    const response = await withTimeout(sent, headersTimeoutMs, abort);
    if (!response.ok) {
      const body = await withTimeout(response.text(), settings.idleTimeoutMs, abort).catch(() => "");
      return {
        ok: false,
        failure: redactFailure(adapter.mapError(response.status, body, response.headers), target.apiKey),
      };
    }
    return { ok: true, response, adapter, abort, secret: target.apiKey };
  } catch (error) {
    const timedOut = error instanceof TimeoutError;
    const message = timedOut ? (error as Error).message : `could not reach the upstream: ${String(error)}`;
    return { ok: false, failure: redactFailure(networkFailure(message, timedOut), target.apiKey) };
  }
}
