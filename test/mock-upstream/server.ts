/**
 * A fake upstream on 127.0.0.1 that speaks OpenAI's chat-completions wire format, JSON and SSE,
 * and misbehaves on request. Used by the test suite (started in vitest's globalSetup) and by the
 * benchmarks. Node-only; never bundled into the Worker.
 *
 * Routes: `POST /<provider>/v1/chat/completions` — the first path segment names the provider, so
 * one server can play several providers. Behaviour comes from the request body's `mock` field
 * (forwarded by Junction like any unknown field): either one `MockBehaviour` for every provider,
 * or `{ "by_provider": { "<provider>": MockBehaviour } }`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface MockBehaviour {
  /** Answer with this HTTP status and `error_body` (default: an OpenAI-style error). */
  status?: number;
  retry_after?: string;
  error_body?: unknown;
  /** Wait before sending headers. */
  delay_ms?: number;
  /** Reply text (default: "Hello from the mock upstream."). */
  content?: string;
  /** Reply with a tool call (or several, in parallel) instead of text. */
  tool_calls?: { name: string; arguments: string }[];
  /** Reply with the request the upstream received (body and selected headers) as JSON text. */
  echo?: boolean;
  finish_reason?: string;
  /** Omit usage from the answer. */
  no_usage?: boolean;
  usage?: {
    prompt_tokens: number;
    completion_tokens: number;
    cached_tokens?: number;
    reasoning_tokens?: number;
  };
  /** Streams: gap between chunks. */
  chunk_delay_ms?: number;
  /** Streams: send this many content chunks, then go silent without closing. */
  stall_after_chunks?: number;
  /** Streams: send this many content chunks, then destroy the connection. */
  cut_after_chunks?: number;
  /** Streams: send this many content chunks, then an `{"error": ...}` event. */
  error_after_chunks?: number;
  /** Send a body that is not valid JSON (JSON answers) or a data line that is not JSON (streams). */
  malformed?: boolean;
  /** Streams: omit the final `[DONE]`. */
  no_done?: boolean;
  /** Streams: omit the chunk carrying `finish_reason`. */
  no_finish?: boolean;
}

interface ChatBody {
  model?: string;
  stream?: boolean;
  mock?: MockBehaviour & { by_provider?: Record<string, MockBehaviour> };
  [key: string]: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function behaviourFor(body: ChatBody, provider: string): MockBehaviour {
  const mock = body.mock;
  if (!mock) return {};
  if (mock.by_provider) return mock.by_provider[provider] ?? {};
  return mock;
}

function tokensOf(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function usageOf(b: MockBehaviour, completionTokens: number) {
  const u = b.usage ?? { prompt_tokens: 12, completion_tokens: completionTokens };
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
    completion_tokens_details: { reasoning_tokens: u.reasoning_tokens ?? 0 },
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

async function handleChat(req: IncomingMessage, res: ServerResponse, provider: string): Promise<void> {
  const raw = await readBody(req);
  let body: ChatBody;
  try {
    body = JSON.parse(raw);
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: "mock: body is not JSON", type: "invalid_request_error" } }));
    return;
  }
  const b = behaviourFor(body, provider);
  if (b.delay_ms) await sleep(b.delay_ms);
  if (b.status && b.status >= 400) {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (b.retry_after !== undefined) headers["retry-after"] = b.retry_after;
    res.writeHead(b.status, headers);
    const errorBody = b.error_body ?? {
      error: { message: `mock upstream error ${b.status}`, type: "server_error", code: null },
    };
    res.end(typeof errorBody === "string" ? errorBody : JSON.stringify(errorBody));
    return;
  }

  const content = b.echo
    ? JSON.stringify({
        body,
        headers: { authorization: req.headers.authorization ?? null, accept: req.headers.accept ?? null },
        path: req.url,
      })
    : (b.content ?? "Hello from the mock upstream.");
  const created = 1_700_000_000;
  const id = `chatcmpl-mock-${provider}`;
  const model = body.model ?? "mock";

  if (!body.stream) {
    if (b.malformed) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end('{"id": "broken", "choices": [');
      return;
    }
    const message = b.tool_calls
      ? {
          role: "assistant",
          content: null,
          tool_calls: b.tool_calls.map((t, i) => ({ id: `call_${i}`, type: "function", function: t })),
        }
      : { role: "assistant", content };
    const answer: Record<string, unknown> = {
      id,
      object: "chat.completion",
      created,
      model,
      system_fingerprint: "fp_mock",
      choices: [
        {
          index: 0,
          message,
          finish_reason: b.finish_reason ?? (b.tool_calls ? "tool_calls" : "stop"),
          logprobs: null,
        },
      ],
    };
    if (!b.no_usage) answer.usage = usageOf(b, tokensOf(content).length);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(answer));
    return;
  }

  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (payload: unknown) =>
    res.write(`data: ${typeof payload === "string" ? payload : JSON.stringify(payload)}\n\n`);
  const chunk = (delta: unknown, finish: string | null = null) => ({
    id,
    object: "chat.completion.chunk",
    created,
    model,
    system_fingerprint: "fp_mock",
    choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
  });
  const pieces: unknown[] = [];
  if (b.tool_calls) {
    b.tool_calls.forEach((t, i) => {
      pieces.push({
        tool_calls: [
          { index: i, id: `call_${i}`, type: "function", function: { name: t.name, arguments: "" } },
        ],
      });
      for (const fragment of t.arguments.match(/.{1,6}/gs) ?? []) {
        pieces.push({ tool_calls: [{ index: i, function: { arguments: fragment } }] });
      }
    });
  } else {
    for (const token of tokensOf(content)) pieces.push({ content: token });
  }

  send(chunk({ role: "assistant", content: "" }));
  for (let i = 0; i < pieces.length; i++) {
    if (b.chunk_delay_ms) await sleep(b.chunk_delay_ms);
    if (b.stall_after_chunks === i) return; // leave the connection open and silent
    if (b.cut_after_chunks === i) {
      // Let what was written reach the client before the connection dies.
      await sleep(30);
      res.socket?.destroy();
      return;
    }
    if (b.error_after_chunks === i) {
      send({ error: { message: "mock: upstream failed mid-stream", type: "server_error", code: 500 } });
      res.end();
      return;
    }
    if (b.malformed && i === 1) send("{not json");
    send(chunk(pieces[i]));
  }
  if (!b.no_finish) send(chunk({}, b.finish_reason ?? (b.tool_calls ? "tool_calls" : "stop")));
  if (!b.no_usage)
    send({
      id,
      object: "chat.completion.chunk",
      created,
      model,
      choices: [],
      usage: usageOf(b, pieces.length),
    });
  if (!b.no_done) send("[DONE]");
  res.end();
}

export function createMockUpstream(): Server {
  return createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://mock");
    const match = /^\/([^/]+)\/v1\/chat\/completions$/.exec(url.pathname);
    if (req.method === "POST" && match?.[1]) {
      handleChat(req, res, match[1]).catch((error) => {
        res.destroy(error as Error);
      });
      return;
    }
    res.writeHead(404, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { message: `mock: no route ${req.method} ${url.pathname}` } }));
  });
}

export async function startMockUpstream(
  port = 0,
): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createMockUpstream();
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address() as AddressInfo;
  return {
    server,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
