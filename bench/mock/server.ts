/**
 * The bench's upstream: a lean Node HTTP server on 127.0.0.1 that answers OpenAI chat completions
 * from prebuilt buffers. Run it as its own process (`node bench/mock/server.ts`) so it never shares
 * an event loop with the load generator; it prints `{"port": N}` once it listens.
 *
 * Control endpoints (the Workers never call them; the bench does):
 *   PUT  /__bench/profile        JSON `Partial<MockProfile>`, applies to requests from now on
 *   POST /__bench/release/<id>   lets a gated stream (request field `user` = id) go on
 *   GET  /__bench/streams        when each write of recent streams happened, and whether gates opened
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { DEFAULT_PROFILE, jsonAnswer, type MockProfile, streamWrites } from "./wire.ts";

/** How long a gated stream waits for its release before going on regardless (and saying so). */
const GATE_TIMEOUT_MS = 5_000;
/** Streams remembered for `/__bench/streams`; older ones are dropped so the log stays bounded. */
const STREAM_LOG_MAX = 500;

export interface StreamLogEntry {
  /** The request's `user` field: how the bench names a stream. */
  user: string;
  /** Epoch milliseconds (fractional) of each network write, in order. */
  writtenAt: number[];
  /** For gated streams: "released" by the client, or "timed-out" when no release came. */
  gate: "released" | "timed-out" | "none";
}

interface Prepared {
  profile: MockProfile;
  json: Buffer;
  jsonLength: string;
  stream: Buffer[];
}

function prepare(profile: MockProfile): Prepared {
  const json = Buffer.from(jsonAnswer(profile));
  return {
    profile,
    json,
    jsonLength: String(json.length),
    stream: streamWrites(profile).map((w) => Buffer.from(w)),
  };
}

let current = prepare(DEFAULT_PROFILE);
const streamLog: StreamLogEntry[] = [];
const gates = new Map<string, () => void>();
let requestsServed = 0;

const epochMs = () => performance.timeOrigin + performance.now();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (part: Buffer) => parts.push(part));
    req.on("end", () =>
      resolve(parts.length === 1 ? (parts[0] as Buffer).toString() : Buffer.concat(parts).toString()),
    );
    req.on("error", reject);
  });
}

function waitForRelease(user: string, res: ServerResponse): Promise<StreamLogEntry["gate"]> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      gates.delete(user);
      resolve("timed-out");
    }, GATE_TIMEOUT_MS);
    gates.set(user, () => {
      clearTimeout(timer);
      gates.delete(user);
      resolve("released");
    });
    res.once("close", () => gates.get(user)?.());
  });
}

async function playStream(res: ServerResponse, user: string, prepared: Prepared): Promise<void> {
  const { profile, stream } = prepared;
  const entry: StreamLogEntry = {
    user,
    writtenAt: [],
    gate: profile.gateAfterFirstChunk ? "timed-out" : "none",
  };
  streamLog.push(entry);
  if (streamLog.length > STREAM_LOG_MAX) streamLog.shift();
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  // Pace against absolute times so timer drift does not accumulate over 64 chunks.
  let due = epochMs();
  for (let i = 0; i < stream.length; i++) {
    if (res.destroyed) return;
    if (i > 0 && profile.chunkDelayMs > 0) {
      due += profile.chunkDelayMs;
      const wait = due - epochMs();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
    entry.writtenAt.push(epochMs());
    res.write(stream[i]);
    if (i === 0 && profile.gateAfterFirstChunk) {
      entry.gate = await waitForRelease(user, res);
      due = epochMs();
    }
  }
  res.end();
}

function userOf(body: string): string {
  try {
    const user = (JSON.parse(body) as { user?: unknown }).user;
    return typeof user === "string" ? user : "";
  } catch {
    return "";
  }
}

async function control(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  const body = await readBody(req);
  if (req.method === "PUT" && path === "/__bench/profile") {
    current = prepare({ ...DEFAULT_PROFILE, ...(JSON.parse(body) as Partial<MockProfile>) });
    streamLog.length = 0;
    res.writeHead(204).end();
  } else if (req.method === "POST" && path.startsWith("/__bench/release/")) {
    const release = gates.get(decodeURIComponent(path.slice("/__bench/release/".length)));
    release?.();
    res.writeHead(release ? 204 : 404).end();
  } else if (req.method === "GET" && path === "/__bench/streams") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ requestsServed, streams: streamLog }));
  } else {
    res.writeHead(404).end();
  }
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? "/";
  if (path.startsWith("/__bench/")) return control(req, res, path);
  const body = await readBody(req);
  if (req.method !== "POST" || !path.endsWith("/chat/completions")) {
    res.writeHead(404, { "content-type": "application/json" });
    res.end('{"error":{"message":"mock: only POST .../chat/completions","type":"invalid_request_error"}}');
    return;
  }
  requestsServed++;
  const prepared = current;
  // Every client of this mock sends compact JSON, so a substring test decides without parsing 2 KB.
  if (body.includes('"stream":true')) return playStream(res, userOf(body), prepared);
  res.writeHead(200, { "content-type": "application/json", "content-length": prepared.jsonLength });
  res.end(prepared.json);
}

export function startMock(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    });
  });
  // Workers keep upstream connections alive between requests; do not drop them mid-run.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  return new Promise((resolve) => {
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      resolve({
        port: typeof address === "object" && address ? address.port : port,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (import.meta.main) {
  const port = Number(process.argv[2] ?? "0");
  const mock = await startMock(port);
  process.stdout.write(`${JSON.stringify({ port: mock.port })}\n`);
  // The parent owns this process: when it goes, so do we.
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
  process.on("SIGTERM", () => process.exit(0));
}
