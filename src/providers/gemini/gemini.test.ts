/// <reference types="vite/client" />
/** The Gemini family against wire transcripts in `test/fixtures/gemini/`. */
import { describe, expect, it } from "vitest";
import errors from "../../../test/fixtures/gemini/errors.json";
import requests from "../../../test/fixtures/gemini/requests.json";
import responses from "../../../test/fixtures/gemini/responses.json";
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
import { anthropicAdapter } from "../anthropic";
import { adapterForEndpoint, familyOf } from "../registry";
import { geminiAdapter } from ".";
import { buildGeminiBody } from "./request";
import { toGeminiSchema } from "./schema";
import { GeminiStreamTranslator } from "./stream";

const flash = endpointOf(bundledCatalog, "google/gemini-2.5-flash", "google-ai-studio");
const AI_STUDIO = "https://generativelanguage.googleapis.com";

const transcripts = import.meta.glob<string>("../../../test/fixtures/gemini/streams/*.sse", {
  query: "?raw",
  import: "default",
  eager: true,
});
const expectations = import.meta.glob<unknown>("../../../test/fixtures/gemini/streams/*.json", {
  import: "default",
  eager: true,
});

interface RequestCase {
  name: string;
  endpoint?: Record<string, unknown>;
  provider?: Record<string, unknown>;
  baseUrl?: string;
  request: Record<string, unknown>;
  body?: unknown;
  url?: string;
  headers?: Record<string, string | null>;
  error?: string;
}

describe("Gemini request translation", () => {
  for (const c of requests as RequestCase[]) {
    it(c.name, async () => {
      const resolved = resolvedWith(flash, c.endpoint, c.provider);
      const request = c.request as unknown as ChatRequest;
      if (c.error) {
        expect(() => buildGeminiBody(request, resolved.endpoint)).toThrow(c.error);
        return;
      }
      expect(buildGeminiBody(request, resolved.endpoint)).toEqual(c.body);
      const built = await geminiAdapter.buildRequest(request, {
        resolved,
        baseUrl: c.baseUrl ?? AI_STUDIO,
        apiKey: "test-key",
      });
      const method = request.stream ? "streamGenerateContent?alt=sse" : "generateContent";
      expect(built.url).toBe(c.url ?? `${AI_STUDIO}/v1beta/models/gemini-2.5-flash:${method}`);
      for (const [name, value] of Object.entries(c.headers ?? {}))
        expect(built.headers.get(name)).toBe(value);
      expect(await built.json()).toEqual(c.body);
    });
  }

  it("an endpoint the catalog says speaks another API (Claude on Vertex) goes to that family", () => {
    const claudeOnVertex = endpointOf(bundledCatalog, "anthropic/claude-sonnet-4.5", "google-vertex");
    expect(familyOf(claudeOnVertex)).toBe("anthropic");
    expect(adapterForEndpoint(claudeOnVertex)).toBe(anthropicAdapter);
  });

  it("a fully resolved model name (tuned models) is used as the path", async () => {
    const resolved = resolvedWith(flash, { provider_model_id: "tunedModels/my-model-7" });
    const built = await geminiAdapter.buildRequest(
      { model: "m", messages: [{ role: "user", content: "x" }] } as ChatRequest,
      { resolved, baseUrl: `${AI_STUDIO}/`, apiKey: "k" },
    );
    expect(built.url).toBe(`${AI_STUDIO}/v1beta/tunedModels/my-model-7:generateContent`);
  });
});

describe("JSON Schema → Gemini schema", () => {
  it("follows $ref chains through definitions and the root", () => {
    expect(
      toGeminiSchema(
        {
          definitions: { a: { $ref: "#/definitions/b" }, b: { type: "number", format: "double" } },
          type: "object",
          properties: { x: { $ref: "#/definitions/a" } },
        },
        "p",
      ),
    ).toEqual({ type: "OBJECT", properties: { x: { type: "NUMBER", format: "double" } } });
  });
  it("turns a type list into anyOf, and a tuple into items of any of its types", () => {
    expect(
      toGeminiSchema({ type: ["string", "integer", "null"], description: "id", minimum: 1 }, "p"),
    ).toEqual({
      description: "id",
      anyOf: [
        { type: "STRING", minimum: 1 },
        { type: "INTEGER", minimum: 1 },
      ],
      nullable: true,
    });
    expect(toGeminiSchema({ type: "array", items: [{ type: "string" }, { type: "number" }] }, "p")).toEqual({
      type: "ARRAY",
      items: { anyOf: [{ type: "STRING" }, { type: "NUMBER" }] },
    });
  });
});

describe("Gemini response mapping", () => {
  testResponses(geminiAdapter, responses as ResponseCase[]);
});

describe("Gemini stream translation", () => {
  testStreams(() => new GeminiStreamTranslator(), transcripts, expectations);

  it("keeps tool-call indexes per candidate across events", () => {
    const t = new GeminiStreamTranslator();
    const call = (name: string) => ({ functionCall: { name, args: {} } });
    const event = (parts: unknown[], finishReason?: string) => ({
      data: JSON.stringify({
        candidates: [{ content: { role: "model", parts }, index: 0, finishReason }],
        responseId: "r",
      }),
    });
    const first = t.push(event([call("a")]));
    const second = t.push(event([call("b")], "STOP"));
    expect(first[0]?.choices[0]?.delta.tool_calls).toEqual([
      { index: 0, id: "call_r_0", type: "function", function: { name: "a", arguments: "{}" } },
    ]);
    expect(second[0]?.choices[0]).toMatchObject({
      delta: { tool_calls: [{ index: 1, id: "call_r_1" }] },
      finish_reason: "tool_calls",
    });
  });

  it("throws on an event that is not JSON", () => {
    expect(() => new GeminiStreamTranslator().push({ data: "{oops" })).toThrow(/not JSON/);
  });
});

describe("Gemini error bodies", () => {
  testErrors(geminiAdapter, errors as ErrorCase[]);
});
