/**
 * How a test tells the mock upstream to behave. Two channels, because only OpenAI-family
 * upstreams receive unknown request fields:
 *
 * - the body field `mock` (OpenAI family): a `MockBehaviour`, or `{ "by_provider": { slug: MockBehaviour } }`;
 * - a directive anywhere in the message text (every family): `[[mock status=500 retry_after=7]]`
 *   for all providers, `[[mock@anthropic stall_after_chunks=2]]` for one. Values are numbers,
 *   `true`/`false`, or URL-encoded strings (`content=Hello%20world`); `tool_calls` and `usage` are URL-encoded JSON.
 *
 * Provider-specific settings override general ones.
 */
export interface MockBehaviour {
  /** Answer with this HTTP status and `error_body` (default: the family's own error shape). */
  status?: number;
  retry_after?: string;
  error_body?: unknown;
  /** Wait before sending headers. */
  delay_ms?: number;
  /** Reply text (default: "Hello from the mock upstream."). */
  content?: string;
  /** Reasoning text streamed or returned before the reply, for families that have it. */
  reasoning?: string;
  /** Reply with tool calls (several = parallel calls) instead of text. */
  tool_calls?: { name: string; arguments: string }[];
  /** Reply with the request the upstream received (body, selected headers, path) as JSON text. */
  echo?: boolean;
  /** The family's native stop reason to report (default: the family's normal one). */
  finish_reason?: string;
  /** Omit usage from the answer. */
  no_usage?: boolean;
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    cached_tokens?: number;
    reasoning_tokens?: number;
    cache_write_tokens?: number;
  };
  /** Streams: gap between chunks. */
  chunk_delay_ms?: number;
  /** Streams: send this many content chunks, then go silent without closing. */
  stall_after_chunks?: number;
  /** Streams: send this many content chunks, then destroy the connection. */
  cut_after_chunks?: number;
  /** Streams: send this many content chunks, then the family's error event. */
  error_after_chunks?: number;
  /** A body that is not valid JSON (JSON answers) or an event that is not JSON (streams). */
  malformed?: boolean;
  /** Streams: omit the family's end-of-stream marker (`[DONE]`, `message_stop`, ...). */
  no_done?: boolean;
  /** Streams: omit the event carrying the stop reason. */
  no_finish?: boolean;
  /** Azure: the deployment's content filter refuses the prompt (400 `content_filter`). */
  content_filter?: boolean;
  /** Gemini: refuse the prompt itself (`promptFeedback.blockReason`, e.g. SAFETY), with no candidates. */
  prompt_block_reason?: string;
  /**
   * Names this request's family of calls: the server counts requests (and those cut short by the
   * client) per tag and provider, readable at `GET /__calls/<tag>`.
   */
  tag?: string;
  /** With `status` and `tag`: only the first N calls per provider fail; later ones succeed. */
  fail_times?: number;
}

const DIRECTIVE = /\[\[mock(?:@([\w.-]+))?((?:\s+[\w]+=[^\s\]]*)*)\s*\]\]/g;

function parseValue(raw: string): unknown {
  if (raw === "true") return true;
  if (raw === "false") return false;
  if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
  return decodeURIComponent(raw);
}

function parseDirectiveArgs(args: string): MockBehaviour {
  const out: Record<string, unknown> = {};
  for (const pair of args.trim().split(/\s+/)) {
    if (!pair) continue;
    const eq = pair.indexOf("=");
    const key = pair.slice(0, eq);
    const value = parseValue(pair.slice(eq + 1));
    out[key] =
      (key === "tool_calls" || key === "usage") && typeof value === "string" ? JSON.parse(value) : value;
  }
  return out as MockBehaviour;
}

/** The behaviour a request asks of `provider`. `rawBody` is searched for directives as sent. */
export function behaviourFor(rawBody: string, body: unknown, provider: string): MockBehaviour {
  let general: MockBehaviour = {};
  let specific: MockBehaviour = {};
  const field = (body as { mock?: MockBehaviour & { by_provider?: Record<string, MockBehaviour> } } | null)
    ?.mock;
  if (field) {
    if (field.by_provider) specific = { ...(field.by_provider[provider] ?? {}) };
    else general = { ...field };
  }
  // Directives sit inside JSON strings, where a client may have escaped "/" or unicode; undo that much.
  const text = rawBody.replace(/\\\//g, "/");
  for (const match of text.matchAll(DIRECTIVE)) {
    const parsed = parseDirectiveArgs(match[2] ?? "");
    if (match[1] === undefined) general = { ...general, ...parsed };
    else if (match[1] === provider) specific = { ...specific, ...parsed };
  }
  return { ...general, ...specific };
}

/** Builds a directive for tests: `mockDirective({ status: 500 }, "anthropic")` → `[[mock@anthropic status=500]]`. */
export function mockDirective(behaviour: MockBehaviour, provider?: string): string {
  const args = Object.entries(behaviour).map(([key, value]) => {
    const text = typeof value === "string" ? value : JSON.stringify(value);
    return `${key}=${typeof value === "string" || typeof value === "object" ? encodeURIComponent(text) : text}`;
  });
  return `[[mock${provider ? `@${provider}` : ""} ${args.join(" ")}]]`;
}

export const DEFAULT_CONTENT = "Hello from the mock upstream.";

export function tokensOf(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
