/**
 * A fake upstream on 127.0.0.1 that speaks providers' wire formats, JSON and streaming, and
 * misbehaves on request (see `behaviour.ts`). Used by the test suite (started in vitest's
 * globalSetup) and by the benchmarks. Node-only; never bundled into the Worker.
 *
 * The first path segment names the provider (`/openai/v1/chat/completions`,
 * `/anthropic/v1/messages`), so one server plays every provider: tests point `<SLUG>_BASE_URL`
 * at `http://127.0.0.1:<port>/<slug>` plus the family's usual base path. Each API family is a
 * `MockRoute` in its own module; add new families to `routes`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { anthropicRoutes } from "./anthropic";
import { bedrockRoutes } from "./bedrock";
import { behaviourFor, type MockBehaviour, sleep } from "./behaviour";
import { cohereRoutes } from "./cohere";
import { geminiRoutes } from "./gemini";
import { openAIRoutes } from "./openai";

export interface MockRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The provider slug: the first path segment. */
  provider: string;
  /** The path after the provider segment, e.g. `/v1/chat/completions`. */
  path: string;
  /** Regex groups of the route's `path` match. */
  params: string[];
  url: URL;
  rawBody: string;
  body: unknown;
  behaviour: MockBehaviour;
}

export interface MockRoute {
  method: "POST" | "GET";
  path: RegExp;
  handle(request: MockRequest): Promise<void>;
}

const routes: MockRoute[] = [
  ...openAIRoutes,
  ...anthropicRoutes,
  ...geminiRoutes,
  ...bedrockRoutes,
  ...cohereRoutes,
];

interface CallCount {
  requests: number;
  /** Requests whose connection the client closed before the answer ended. */
  aborted: number;
}

/** Calls per tag and provider (see `MockBehaviour.tag`); bounded because tests tag a few hundred at most. */
const calls = new Map<string, Record<string, CallCount>>();

function countCall(tag: string, provider: string, res: ServerResponse): CallCount {
  if (!calls.has(tag) && calls.size >= 10_000) calls.clear();
  const byProvider = calls.get(tag) ?? {};
  calls.set(tag, byProvider);
  const count = byProvider[provider] ?? { requests: 0, aborted: 0 };
  byProvider[provider] = count;
  count.requests++;
  res.on("close", () => {
    if (!res.writableFinished) count.aborted++;
  });
  return count;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function notFound(res: ServerResponse, message: string): void {
  res.writeHead(404, { "content-type": "application/json" });
  res.end(JSON.stringify({ error: { message } }));
}

async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://mock");
  const slash = url.pathname.indexOf("/", 1);
  const provider = slash > 0 ? url.pathname.slice(1, slash) : "";
  const path = slash > 0 ? url.pathname.slice(slash) : url.pathname;
  if (req.method === "GET" && provider === "__calls") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(calls.get(decodeURIComponent(path.slice(1))) ?? {}));
    return;
  }
  for (const route of routes) {
    const match = route.method === req.method ? route.path.exec(path) : null;
    if (!match) continue;
    const rawBody = await readBody(req);
    let body: unknown = null;
    if (rawBody !== "") {
      try {
        body = JSON.parse(rawBody);
      } catch {
        res.writeHead(400, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "mock: body is not JSON" } }));
        return;
      }
    }
    const behaviour = behaviourFor(rawBody, body, provider);
    if (behaviour.tag !== undefined) {
      const count = countCall(behaviour.tag, provider, res);
      // After `fail_times` failures this provider recovers.
      if (behaviour.fail_times !== undefined && count.requests > behaviour.fail_times)
        delete behaviour.status;
    }
    if (behaviour.delay_ms) await sleep(behaviour.delay_ms);
    await route.handle({ req, res, provider, path, params: match.slice(1), url, rawBody, body, behaviour });
    return;
  }
  notFound(res, `mock: no route ${req.method} ${url.pathname}`);
}

export function createMockUpstream(): Server {
  return createServer((req, res) => {
    dispatch(req, res).catch((error) => res.destroy(error as Error));
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

/** Writes an error answer with the behaviour's status, `Retry-After` and body (or `fallback`). */
export function sendError(request: MockRequest, fallback: unknown): void {
  const { res, behaviour } = request;
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (behaviour.retry_after !== undefined) headers["retry-after"] = String(behaviour.retry_after);
  res.writeHead(behaviour.status ?? 500, headers);
  const body = behaviour.error_body ?? fallback;
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

/**
 * Plays a list of stream events with the behaviour's pacing and faults. `events[i]` is written
 * as-is (already framed); `contentStart` is the index of the first content event, from which
 * `stall/cut/error_after_chunks` count; `errorEvent` is the family's framed error event.
 */
export async function playStream(
  request: MockRequest,
  contentType: string,
  events: (string | Uint8Array)[],
  options: { contentStart: number; errorEvent: string | Uint8Array; malformedEvent?: string | Uint8Array },
): Promise<void> {
  const { res, behaviour: b } = request;
  res.writeHead(200, { "content-type": contentType, "cache-control": "no-cache" });
  for (let i = 0; i < events.length; i++) {
    const content = i - options.contentStart;
    if (i > 0 && b.chunk_delay_ms) await sleep(b.chunk_delay_ms);
    if (content >= 0) {
      if (b.stall_after_chunks === content) return; // leave the connection open and silent
      if (b.cut_after_chunks === content) {
        await sleep(30); // let what was written reach the client before the connection dies
        res.socket?.destroy();
        return;
      }
      if (b.error_after_chunks === content) {
        res.write(options.errorEvent);
        res.end();
        return;
      }
      if (b.malformed && content === 1) res.write(options.malformedEvent ?? "data: {not json\n\n");
    }
    res.write(events[i] as string | Uint8Array);
  }
  res.end();
}
