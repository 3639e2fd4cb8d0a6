/// <reference types="vite/client" />
/** The Anthropic family against wire transcripts in `test/fixtures/anthropic/`. */
import { describe, expect, it } from "vitest";
import errors from "../../../test/fixtures/anthropic/errors.json";
import requests from "../../../test/fixtures/anthropic/requests.json";
import responses from "../../../test/fixtures/anthropic/responses.json";
import {
  type ErrorCase,
  endpointOf,
  type ResponseCase,
  resolvedWith,
  testErrors,
  testResponses,
  testStreams,
} from "../../../test/fixtures/transcripts";
import { bundledCatalog } from "../../catalog/bundled";
import type { ChatRequest } from "../../schema/chat";
import { anthropicAdapter } from ".";
import { buildAnthropicBody } from "./request";
import { AnthropicStreamTranslator } from "./stream";

const claude = endpointOf(bundledCatalog, "anthropic/claude-sonnet-4.5", "anthropic");

const transcripts = import.meta.glob<string>("../../../test/fixtures/anthropic/streams/*.sse", {
  query: "?raw",
  import: "default",
  eager: true,
});
const expectations = import.meta.glob<unknown>("../../../test/fixtures/anthropic/streams/*.json", {
  import: "default",
  eager: true,
});

interface RequestCase {
  name: string;
  endpoint?: Record<string, unknown>;
  request: Record<string, unknown>;
  body?: unknown;
  url?: string;
  headers?: Record<string, string>;
  error?: string;
}

describe("Anthropic request translation", () => {
  for (const c of requests as RequestCase[]) {
    it(c.name, async () => {
      const resolved = resolvedWith(claude, c.endpoint);
      const request = c.request as unknown as ChatRequest;
      if (c.error) {
        expect(() => buildAnthropicBody(request, resolved.endpoint)).toThrow(c.error);
        return;
      }
      expect(buildAnthropicBody(request, resolved.endpoint)).toEqual(c.body);
      const built = await anthropicAdapter.buildRequest(request, {
        resolved,
        baseUrl: "https://api.anthropic.com/",
        apiKey: "test-key",
      });
      expect(built.url).toBe(c.url ?? "https://api.anthropic.com/v1/messages");
      for (const [name, value] of Object.entries(c.headers ?? {}))
        expect(built.headers.get(name)).toBe(value);
      expect(await built.json()).toEqual(c.body);
    });
  }

  it("a refused parameter is a 400 naming it, so the gateway can try another endpoint", () => {
    try {
      buildAnthropicBody(
        { model: "m", seed: 1, messages: [{ role: "user", content: "x" }] } as ChatRequest,
        claude.endpoint,
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ status: 400, errorType: "invalid_request", metadata: { path: "seed" } });
    }
  });
});

describe("Anthropic response mapping", () => {
  testResponses(anthropicAdapter, responses as ResponseCase[]);
});

describe("Anthropic stream translation", () => {
  testStreams(() => new AnthropicStreamTranslator(), transcripts, expectations);

  it("throws on an event that is not JSON", () => {
    expect(() =>
      new AnthropicStreamTranslator().push({ event: "content_block_delta", data: "{oops" }),
    ).toThrow(/not JSON/);
  });

  it("ignores event types it does not know", () => {
    expect(new AnthropicStreamTranslator().push({ data: '{"type":"future_event","x":1}' })).toEqual([]);
  });
});

describe("Anthropic error bodies", () => {
  testErrors(anthropicAdapter, errors as ErrorCase[]);
});
