import { exports } from "cloudflare:workers";
import { TEST_DEMO_KEY } from "./constants";

export const BASE = "http://127.0.0.1:8787";

/** Sends a request to the Worker under test, in the same isolate as the test. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return exports.default.fetch(new Request(`${BASE}${path}`, init));
}

/** POSTs a chat request with the demo key (or `key`). */
export function chat(
  body: unknown,
  key: string = TEST_DEMO_KEY,
  path = "/api/v1/chat/completions",
): Promise<Response> {
  return call(path, {
    method: "POST",
    headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

export interface SseEvent {
  comment?: string;
  data?: string;
}

/** Reads a whole SSE body into its events (comments included), in order. */
export async function readSse(response: Response): Promise<SseEvent[]> {
  const text = await response.text();
  const events: SseEvent[] = [];
  for (const block of text.split("\n\n")) {
    if (block.trim() === "") continue;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) events.push({ comment: line.slice(1).trim() });
      else if (line.startsWith("data: ")) events.push({ data: line.slice(6) });
    }
  }
  return events;
}

/** The JSON chunks of an SSE body (without `[DONE]` and comments). */
export function chunksOf(events: SseEvent[]): Record<string, unknown>[] {
  return events
    .filter((e) => e.data !== undefined && e.data !== "[DONE]")
    .map((e) => JSON.parse(e.data as string));
}

export const user = (content: string) => [{ role: "user", content }];
