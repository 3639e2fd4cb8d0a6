/**
 * The adapter contract (DESIGN.md §5). An adapter is a plain object per API family; its
 * translation functions are pure: they build and read wire data, they never fetch or read clocks.
 */
import type { NormalizedUsage } from "../catalog/cost";
import type { ResolvedEndpoint } from "../catalog/types";
import type { Env } from "../env";
import type { ErrorType } from "../errors";
import type { ChatRequest } from "../schema/chat";

export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter" | "error";

/** Where and how to reach one endpoint: resolved from the catalog and the Worker's secrets. */
export interface UpstreamTarget {
  resolved: ResolvedEndpoint;
  baseUrl: string;
  apiKey: string | undefined;
}

export interface AssistantMessage {
  role: "assistant";
  content: string | null;
  [field: string]: unknown;
}

export interface CompletionChoice {
  index: number;
  message: AssistantMessage;
  finish_reason: FinishReason | null;
  native_finish_reason: string | null;
  logprobs: unknown;
}

/** A JSON answer, mapped to OpenAI's shape; the gateway adds id, model, provider and usage cost. */
export interface CanonicalCompletion {
  choices: CompletionChoice[];
  usage: NormalizedUsage | undefined;
  system_fingerprint: string | null;
}

export interface ChunkChoice {
  index: number;
  delta: Record<string, unknown>;
  finish_reason: FinishReason | null;
  native_finish_reason: string | null;
  logprobs?: unknown;
}

export interface CanonicalChunk {
  choices: ChunkChoice[];
  system_fingerprint?: string;
}

/** An upstream failure, classified so the gateway can decide between failing over and answering. */
export interface UpstreamFailure {
  /** The status Junction answers with if this is the last failure. */
  status: 400 | 401 | 402 | 403 | 404 | 408 | 413 | 422 | 429 | 502 | 503 | 504;
  errorType: ErrorType;
  message: string;
  /** True when another endpoint may succeed; false when the request itself is at fault. */
  retryable: boolean;
  retryAfterSeconds?: number;
  /** The upstream's own status (0 for network errors and timeouts). */
  upstreamStatus: number;
  raw?: unknown;
}

/** One upstream event: a server-sent event, or a frame of another framing turned into the same shape. */
export interface StreamEvent {
  event?: string | undefined;
  data: string;
}

/**
 * Turns a stream body that is not server-sent events (e.g. AWS's binary event stream) into
 * events, incrementally: bytes arrive in arbitrary pieces. Throws `MalformedUpstreamError` on a
 * corrupt frame.
 */
export interface StreamDecoder {
  /** The events completed by these bytes (possibly none). */
  push(bytes: Uint8Array): StreamEvent[];
  /** The body ended: the last events, or a throw if it ended inside a frame. */
  end(): StreamEvent[];
}

export interface StreamTranslator {
  /** One upstream server-sent event in; zero or more OpenAI chunks out. Throws on a malformed event. */
  push(event: StreamEvent): CanonicalChunk[];
  /** Usage reported by the upstream so far. */
  readonly usage: NormalizedUsage | undefined;
  /** Set when the upstream ended the stream with an error event. */
  readonly failure: UpstreamFailure | undefined;
  /** True once the upstream has signalled the end of the stream. */
  readonly done: boolean;
}

export interface ProviderAdapter {
  /** Async only where the wire format needs it (request signing); otherwise return the Request. */
  buildRequest(request: ChatRequest, target: UpstreamTarget): Request | Promise<Request>;
  /** Maps a parsed JSON body; throws `MalformedUpstreamError` when it is not a completion. */
  mapResponse(body: unknown): CanonicalCompletion;
  createStreamTranslator(): StreamTranslator;
  /** For stream bodies that are not server-sent events; absent: the body is parsed as SSE. */
  createStreamDecoder?: () => StreamDecoder;
  mapError(status: number, body: string, headers: Headers): UpstreamFailure;
  /**
   * Sends the built request somewhere other than `fetch`: the demo provider answers inside the
   * Worker; Workers AI uses the `AI` binding when there is one. Absent: `fetch`.
   */
  transport?: (request: Request, context: TransportContext) => Promise<Response>;
  /** True when the family can serve without a provider key here (Workers AI with an `AI` binding). */
  servesWithoutKey?: (env: Env) => boolean;
}

export interface TransportContext {
  env: Env;
  signal: AbortSignal;
  /** The demo provider's stream pacing. */
  chunkDelayMs: number;
}

export class MalformedUpstreamError extends Error {
  override name = "MalformedUpstreamError";
}
