/**
 * Streaming chat. Attempts are tried until one yields its first token; only then is the client
 * committed to (or earlier, with keep-alive comments, when the wait is long), so failover costs
 * the client nothing. After that, each upstream event is translated and forwarded as it arrives.
 */
import type { NormalizedUsage } from "../catalog/cost";
import type { ResolvedEndpoint } from "../catalog/types";
import type { JunctionError } from "../errors";
import { attoToNanos } from "../limits/money";
import { malformedFailure, networkFailure } from "../providers/failure";
import type { CanonicalChunk, FinishReason, StreamTranslator, UpstreamFailure } from "../providers/types";
import { countTokens, estimatePromptTokens } from "../tokens";
import { type AttemptOutcome, tryInOrder } from "./attempts";
import { type ChatContext, routeExplanation, routeHeader, serverTiming } from "./context";
import type { AttemptRecord } from "./generation";
import { SseSource } from "./sse-source";
import { openAttempt, TimeoutError } from "./upstream";
import { type Charge, priceUsage } from "./usage";

interface Started {
  kind: "started";
  resolved: ResolvedEndpoint;
  source: SseSource;
  translator: StreamTranslator;
  abort: AbortController;
  /** Chunks produced while waiting for the first token, not yet sent. */
  pending: CanonicalChunk[];
  firstTokenAt: number;
  sentAt: number;
  tried: AttemptRecord[];
  attemptNumber: number;
}

interface Failed {
  kind: "failed";
  error: JunctionError;
}

const encoder = new TextEncoder();
const KEEPALIVE = encoder.encode(": JUNCTION PROCESSING\n\n");
const DONE = encoder.encode("data: [DONE]\n\n");

function classify(error: unknown): UpstreamFailure {
  if (error instanceof TimeoutError) return networkFailure(error.message, true);
  if (error instanceof Error && error.name === "MalformedUpstreamError")
    return malformedFailure(error.message);
  return networkFailure(`upstream stream failed: ${String(error)}`, false);
}

/**
 * Whether a chunk carries output. Role-only and empty chunks do not: many upstreams send one at
 * once and only then stall, and committing on it would forfeit failover.
 */
function hasOutput(chunk: CanonicalChunk): boolean {
  for (const choice of chunk.choices) {
    if (choice.finish_reason !== null) return true;
    for (const key in choice.delta) {
      const value = choice.delta[key];
      if (key !== "role" && value !== "" && value !== null && value !== undefined) return true;
    }
  }
  return false;
}

interface Opening {
  source: SseSource;
  translator: StreamTranslator;
  abort: AbortController;
  pending: CanonicalChunk[];
  sentAt: number;
}

/** Opens one endpoint's stream and reads until its first output (or a clean end). */
async function openStream(ctx: ChatContext, resolved: ResolvedEndpoint): Promise<AttemptOutcome<Opening>> {
  const sentAt = Date.now();
  const firstTokenBy = Math.min(
    sentAt + ctx.settings.firstTokenTimeoutMs,
    ctx.startedAt + ctx.settings.totalTimeoutMs,
  );
  const opened = await openAttempt(ctx, resolved, Math.max(1, firstTokenBy - sentAt));
  if (!opened.ok) return opened;
  const body = opened.response.body;
  if (body === null) return { ok: false, failure: malformedFailure("upstream stream has no body") };
  const source = new SseSource(body, opened.adapter.createStreamDecoder?.());
  const translator = opened.adapter.createStreamTranslator();
  const pending: CanonicalChunk[] = [];
  let failure: UpstreamFailure | undefined;
  try {
    while (!pending.some(hasOutput) && !translator.done) {
      const events = await source.next(Math.max(1, firstTokenBy - Date.now()));
      if (events === null) break;
      for (const event of events) pending.push(...translator.push(event));
    }
    if (translator.failure) failure = translator.failure;
    else if (!translator.done && !pending.some(hasOutput))
      failure = malformedFailure("upstream stream ended before any token");
  } catch (error) {
    failure = classify(error);
  }
  if (failure) {
    source.cancel();
    opened.abort.abort();
    return { ok: false, failure };
  }
  return { ok: true, value: { source, translator, abort: opened.abort, pending, sentAt } };
}

/** Tries each endpoint in order until one produces its first output (or ends cleanly). */
async function start(ctx: ChatContext): Promise<Started | Failed> {
  const result = await tryInOrder(ctx, (resolved) => openStream(ctx, resolved));
  if (!result.ok) return { kind: "failed", error: result.error };
  return {
    kind: "started",
    ...result.value,
    resolved: result.resolved,
    tried: result.tried,
    attemptNumber: result.attemptNumber,
    firstTokenAt: Date.now(),
  };
}

/** Streams one generation to the client and settles it exactly once, however it ends. */
class ChunkPump {
  private finishReason: FinishReason | null = null;
  private nativeFinishReason: string | null = null;
  private outputText = "";
  private settled = false;

  constructor(
    private readonly ctx: ChatContext,
    private readonly started: Started,
  ) {}

  private frame(payload: Record<string, unknown>): Uint8Array {
    const { resolved } = this.started;
    const chunk = {
      id: this.ctx.generationId,
      object: "chat.completion.chunk",
      created: Math.floor(this.ctx.startedAt / 1000),
      model: resolved.model.id,
      provider: resolved.provider.name,
      ...payload,
    };
    return encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`);
  }

  private encode(chunk: CanonicalChunk): Uint8Array {
    for (const choice of chunk.choices) {
      if (choice.finish_reason !== null) {
        this.finishReason = choice.finish_reason;
        this.nativeFinishReason = choice.native_finish_reason;
      }
      const { content, tool_calls: toolCalls, reasoning } = choice.delta;
      if (typeof content === "string") this.outputText += content;
      if (typeof reasoning === "string") this.outputText += reasoning;
      if (toolCalls !== undefined) this.outputText += JSON.stringify(toolCalls);
    }
    return this.frame(chunk as unknown as Record<string, unknown>);
  }

  /** Writes the next batch of chunks; resolves false once the stream is finished. */
  async pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<boolean> {
    const { source, translator, pending } = this.started;
    if (pending.length > 0) {
      for (const chunk of pending.splice(0)) controller.enqueue(this.encode(chunk));
      return true;
    }
    try {
      while (!translator.done) {
        const untilDeadline = this.ctx.startedAt + this.ctx.settings.totalTimeoutMs - Date.now();
        const events = await source.next(
          Math.max(1, Math.min(this.ctx.settings.idleTimeoutMs, untilDeadline)),
        );
        if (events === null) break;
        let wrote = false;
        for (const event of events) {
          for (const chunk of translator.push(event)) {
            controller.enqueue(this.encode(chunk));
            wrote = true;
          }
        }
        if (wrote) return true;
      }
    } catch (error) {
      this.end(controller, classify(error));
      return false;
    }
    const failure =
      translator.failure ??
      (translator.done || this.finishReason !== null
        ? undefined
        : malformedFailure("upstream stream ended before completion"));
    this.end(controller, failure);
    return false;
  }

  private usage(): { usage: NormalizedUsage; estimated: boolean } {
    const reported = this.started.translator.usage;
    if (reported) return { usage: reported, estimated: false };
    return {
      usage: {
        prompt_tokens: estimatePromptTokens(this.ctx.request),
        completion_tokens: countTokens(this.outputText),
        cached_tokens: 0,
        cache_write_tokens: 0,
        reasoning_tokens: 0,
      },
      estimated: true,
    };
  }

  /** Final usage chunk, then `[DONE]` — or, after a failure, the terminal error chunk. */
  private end(
    controller: ReadableStreamDefaultController<Uint8Array>,
    failure: UpstreamFailure | undefined,
  ): void {
    const { usage, estimated } = this.usage();
    const { cost, rendered } = priceUsage(this.ctx, this.started.resolved, usage);
    const route = routeExplanation(this.ctx, this.started.tried);
    controller.enqueue(this.frame({ choices: [], usage: rendered, ...(route && { route }) }));
    if (failure) {
      this.finishReason = "error";
      controller.enqueue(
        this.frame({
          choices: [{ index: 0, delta: {}, finish_reason: "error", native_finish_reason: null }],
          error: {
            code: failure.status,
            message: `${this.started.resolved.provider.name}: ${failure.message}`,
            metadata: { error_type: failure.errorType, provider_name: this.started.resolved.provider.name },
          },
        }),
      );
    } else {
      controller.enqueue(DONE);
    }
    controller.close();
    this.settle(usage, estimated, cost, false, failure);
  }

  /** The client went away: stop the upstream and bill what was delivered. */
  cancel(): void {
    this.started.source.cancel();
    this.started.abort.abort();
    const { usage, estimated } = this.usage();
    const { cost } = priceUsage(this.ctx, this.started.resolved, usage);
    this.settle(usage, estimated, cost, true);
  }

  private settle(
    usage: NormalizedUsage,
    estimated: boolean,
    cost: Charge,
    cancelled: boolean,
    failure?: UpstreamFailure,
  ): void {
    if (this.settled) return;
    this.settled = true;
    const { resolved, firstTokenAt, tried } = this.started;
    const now = Date.now();
    this.ctx.stats?.served(resolved, {
      sentAt: this.started.sentAt,
      firstTokenAt,
      endedAt: now,
      outputTokens: usage.completion_tokens,
      streamed: true,
      failure,
    });
    this.ctx.sink({
      id: this.ctx.generationId,
      created_at: this.ctx.startedAt,
      model: resolved.model.id,
      provider: resolved.provider.slug,
      provider_model_id: resolved.endpoint.provider_model_id,
      streamed: true,
      cancelled,
      finish_reason: this.finishReason,
      native_finish_reason: this.nativeFinishReason,
      usage,
      usage_estimated: estimated,
      cost: cost.charged,
      cost_nanos: attoToNanos(cost.chargedAtto),
      latency_ms: firstTokenAt - this.ctx.startedAt,
      generation_time_ms: now - this.ctx.startedAt,
      attempts: tried,
      user: this.ctx.request.user ?? null,
      session_id: this.ctx.request.session_id ?? null,
    });
  }
}

const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache" };

export async function completeStream(ctx: ChatContext): Promise<Response> {
  const starting = start(ctx);
  let keepaliveTimer: number | null = null;
  const waited = await Promise.race([
    starting,
    new Promise<"keepalive">((resolve) => {
      keepaliveTimer = setTimeout(() => resolve("keepalive"), ctx.settings.keepaliveMs);
    }),
  ]);
  clearTimeout(keepaliveTimer);
  if (waited !== "keepalive" && waited.kind === "failed") return waited.error.toResponse();

  let pump: ChunkPump | undefined;
  let interval: number | null = null;
  const committedEarly = waited === "keepalive";
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        if (!committedEarly) return;
        controller.enqueue(KEEPALIVE);
        interval = setInterval(() => controller.enqueue(KEEPALIVE), ctx.settings.keepaliveMs);
      },
      async pull(controller) {
        if (!pump) {
          const outcome = await starting;
          clearInterval(interval);
          if (outcome.kind === "failed") {
            // Committed with keep-alives, so the failure can only be told inside the stream.
            const error = outcome.error.toBody().error;
            const chunk = {
              id: ctx.generationId,
              object: "chat.completion.chunk",
              created: Math.floor(ctx.startedAt / 1000),
              model: ctx.request.model ?? ctx.attempts[0]?.model.id ?? "",
              choices: [{ index: 0, delta: {}, finish_reason: "error", native_finish_reason: null }],
              error,
            };
            controller.enqueue(encoder.encode(`data: ${JSON.stringify(chunk)}\n\n`));
            controller.close();
            ctx.sink(null);
            return;
          }
          pump = new ChunkPump(ctx, outcome);
        }
        await pump.pull(controller);
      },
      cancel() {
        clearInterval(interval);
        if (pump) pump.cancel();
        else
          starting.then((outcome) => {
            if (outcome.kind === "started") new ChunkPump(ctx, outcome).cancel();
            else ctx.sink(null);
          });
      },
    },
    { highWaterMark: 0 },
  );

  const now = Date.now();
  const upstreamMs = waited === "keepalive" ? now - ctx.startedAt : waited.firstTokenAt - waited.sentAt;
  return new Response(body, {
    headers: {
      ...SSE_HEADERS,
      "x-generation-id": ctx.generationId,
      ...(waited !== "keepalive" && {
        "junction-route": routeHeader(ctx, waited.resolved, waited.attemptNumber),
      }),
      "server-timing": serverTiming(now - ctx.startedAt, upstreamMs),
    },
  });
}
