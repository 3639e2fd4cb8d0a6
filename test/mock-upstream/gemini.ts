/**
 * Gemini `generateContent` / `streamGenerateContent?alt=sse`, as Google AI Studio
 * (`/v1beta/models/{model}:…`, `x-goog-api-key`) and Vertex AI (`…/models/{model}:…`, OAuth
 * bearer) serve it, written from Google's public API reference. Requests are validated the way
 * the real API does: unknown fields anywhere (schemas included) are refused, as are bad roles,
 * empty parts and function responses that do not answer the previous turn's calls.
 */
import { tokensOf } from "./behaviour";
import { replyText } from "./openai";
import { type MockRequest, type MockRoute, playStream } from "./server";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const STATUS_NAMES: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  429: "RESOURCE_EXHAUSTED",
  500: "INTERNAL",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

/** Google's error body; a 429 tells when to retry in a `RetryInfo` detail rather than a header. */
export function googleError(code: number, message: string, retryDelaySeconds?: number | string) {
  const details: Json[] = [];
  if (retryDelaySeconds !== undefined) {
    details.push({
      "@type": "type.googleapis.com/google.rpc.RetryInfo",
      retryDelay: `${retryDelaySeconds}s`,
    });
  }
  return {
    error: { code, message, status: STATUS_NAMES[code] ?? "UNKNOWN", ...(details.length > 0 && { details }) },
  };
}

const TOP_LEVEL = new Set([
  "contents",
  "systemInstruction",
  "tools",
  "toolConfig",
  "generationConfig",
  "safetySettings",
  "cachedContent",
  "labels",
  "mock",
]);

const GENERATION_CONFIG = new Set([
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "responseModalities",
  "candidateCount",
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "seed",
  "presencePenalty",
  "frequencyPenalty",
  "responseLogprobs",
  "logprobs",
  "thinkingConfig",
  "mediaResolution",
]);

const SCHEMA_FIELDS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);

const SCHEMA_TYPES = new Set(["STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"]);

const PART_FIELDS = new Set([
  "text",
  "inlineData",
  "fileData",
  "functionCall",
  "functionResponse",
  "thought",
  "thoughtSignature",
]);

const unknownName = (name: string, at: string) =>
  `Invalid JSON payload received. Unknown name "${name}" at '${at}': Cannot find field.`;

function validateSchema(schema: unknown, at: string): string | undefined {
  if (!isObject(schema)) return `Invalid value at '${at}': expected a schema object`;
  for (const [key, value] of Object.entries(schema)) {
    if (!SCHEMA_FIELDS.has(key)) return unknownName(key, at);
    if (key === "type" && !SCHEMA_TYPES.has(String(value).toUpperCase())) {
      return `Invalid value at '${at}.type' (type.googleapis.com/google.ai.generativelanguage.v1beta.Type), "${String(value)}"`;
    }
  }
  if (isObject(schema.properties)) {
    for (const [name, property] of Object.entries(schema.properties)) {
      const problem = validateSchema(property, `${at}.properties[${name}].value`);
      if (problem) return problem;
    }
  }
  if (schema.items !== undefined) return validateSchema(schema.items, `${at}.items`);
  if (Array.isArray(schema.anyOf)) {
    for (const [i, variant] of schema.anyOf.entries()) {
      const problem = validateSchema(variant, `${at}.any_of[${i}]`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function validateContents(contents: unknown): string | undefined {
  if (!Array.isArray(contents) || contents.length === 0)
    return "* GenerateContentRequest.contents: contents is not specified";
  let previousCalls = 0;
  for (const [i, content] of contents.entries()) {
    if (!isObject(content) || (content.role !== "user" && content.role !== "model")) {
      return "Please use a valid role: user, model.";
    }
    if (!Array.isArray(content.parts) || content.parts.length === 0) {
      return `* GenerateContentRequest.contents[${i}].parts: contents.parts must not be empty.`;
    }
    let calls = 0;
    let responses = 0;
    for (const [j, part] of content.parts.entries()) {
      if (!isObject(part)) return `Invalid value at 'contents[${i}].parts[${j}]'`;
      for (const key of Object.keys(part)) {
        if (!PART_FIELDS.has(key)) return unknownName(key, `contents[${i}].parts[${j}]`);
      }
      if (part.functionCall !== undefined) calls++;
      if (part.functionResponse !== undefined) responses++;
    }
    if (responses > 0 && responses !== previousCalls) {
      return "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn.";
    }
    previousCalls = calls;
  }
  return undefined;
}

function validate(request: MockRequest): { status: number; message: string } | undefined {
  const { req, path } = request;
  const vertex = !path.startsWith("/v1beta/");
  if (vertex ? !req.headers.authorization?.startsWith("Bearer ") : !req.headers["x-goog-api-key"]) {
    return { status: 401, message: "Request is missing required authentication credential." };
  }
  const body = request.body;
  if (!isObject(body)) return { status: 400, message: "Invalid JSON payload received." };
  for (const key of Object.keys(body))
    if (!TOP_LEVEL.has(key)) return { status: 400, message: unknownName(key, "") };
  const config = body.generationConfig;
  if (config !== undefined) {
    if (!isObject(config)) return { status: 400, message: "Invalid value at 'generation_config'" };
    for (const key of Object.keys(config)) {
      if (!GENERATION_CONFIG.has(key)) return { status: 400, message: unknownName(key, "generation_config") };
    }
    if (config.responseSchema !== undefined) {
      const problem = validateSchema(config.responseSchema, "generation_config.response_schema");
      if (problem) return { status: 400, message: problem };
    }
  }
  if (body.tools !== undefined) {
    if (!Array.isArray(body.tools)) return { status: 400, message: "Invalid value at 'tools'" };
    for (const [i, tool] of body.tools.entries()) {
      const declarations =
        isObject(tool) && Array.isArray(tool.functionDeclarations) ? tool.functionDeclarations : [];
      for (const [j, declaration] of declarations.entries()) {
        if (!isObject(declaration) || typeof declaration.name !== "string") {
          return {
            status: 400,
            message: `* GenerateContentRequest.tools[${i}].function_declarations[${j}].name: Name cannot be empty.`,
          };
        }
        if (declaration.parameters === undefined) continue;
        const problem = validateSchema(
          declaration.parameters,
          `tools[${i}].function_declarations[${j}].parameters`,
        );
        if (problem) return { status: 400, message: problem };
      }
    }
  }
  if (body.systemInstruction !== undefined && /\/models\/gemma-/.test(path)) {
    const model = /models\/([^:]+)/.exec(path)?.[1];
    return { status: 400, message: `Developer instruction is not enabled for models/${model}` };
  }
  const problem = validateContents(body.contents);
  return problem ? { status: 400, message: problem } : undefined;
}

interface Reply {
  parts: Json[];
  finishReason: string;
  usage: Json;
}

/** The first function response in the last turn: a conversation that answered a call. */
function lastFunctionResponse(body: Json): unknown {
  const last = Array.isArray(body.contents) ? (body.contents.at(-1) as Json | undefined) : undefined;
  const parts = last && Array.isArray(last.parts) ? (last.parts as Json[]) : [];
  const answer = parts.find((part) => isObject(part.functionResponse));
  return answer ? (answer.functionResponse as Json).response : undefined;
}

function reply(request: MockRequest): Reply {
  const b = request.behaviour;
  const parts: Json[] = [];
  if (b.reasoning) parts.push({ text: b.reasoning, thought: true });
  // After the function responses come back the model answers, so a tool loop ends.
  const response = lastFunctionResponse(request.body as Json);
  if (b.echo) {
    parts.push({ text: replyText(request) });
  } else if (response !== undefined) {
    const result = isObject(response) && "output" in response ? response.output : response;
    parts.push({
      text: b.content ?? `The tool returned: ${typeof result === "string" ? result : JSON.stringify(result)}`,
    });
  } else if (b.tool_calls) {
    b.tool_calls.forEach((call, i) => {
      const part: Json = { functionCall: { name: call.name, args: JSON.parse(call.arguments || "{}") } };
      if (i === 0) part.thoughtSignature = "mock-signature";
      parts.push(part);
    });
  } else {
    parts.push({ text: replyText(request) });
  }
  const text = parts.map((part) =>
    typeof part.text === "string" ? part.text : JSON.stringify(part.functionCall),
  );
  const u = b.usage ?? { prompt_tokens: 12, completion_tokens: tokensOf(text.join(" ")).length };
  const thoughts = u.reasoning_tokens ?? 0;
  return {
    parts,
    finishReason: b.finish_reason ?? "STOP",
    usage: {
      promptTokenCount: u.prompt_tokens,
      candidatesTokenCount: u.completion_tokens - thoughts,
      totalTokenCount: u.prompt_tokens + u.completion_tokens,
      ...(u.cached_tokens ? { cachedContentTokenCount: u.cached_tokens } : {}),
      ...(thoughts ? { thoughtsTokenCount: thoughts } : {}),
    },
  };
}

function answerBody(request: MockRequest, answer: Reply, parts: Json[], last: boolean): Json {
  const b = request.behaviour;
  const candidate: Json = { content: { role: "model", parts }, index: 0 };
  if (last && !b.no_finish) candidate.finishReason = answer.finishReason;
  return {
    candidates: [candidate],
    ...(last && !b.no_usage && { usageMetadata: answer.usage }),
    modelVersion: "gemini-mock",
    responseId: "mock-response",
  };
}

async function handleGenerate(request: MockRequest): Promise<void> {
  const { res, behaviour: b, params, url } = request;
  const stream = params[1] === "streamGenerateContent";
  if (b.status && b.status >= 400) {
    res.writeHead(b.status, { "content-type": "application/json" });
    const body = b.error_body ?? googleError(b.status, `mock upstream error ${b.status}`, b.retry_after);
    return void res.end(typeof body === "string" ? body : JSON.stringify(body));
  }
  const invalid = validate(request);
  if (invalid) {
    res.writeHead(invalid.status, { "content-type": "application/json" });
    return void res.end(JSON.stringify(googleError(invalid.status, invalid.message)));
  }
  if (b.prompt_block_reason) {
    res.writeHead(200, { "content-type": stream ? "text/event-stream" : "application/json" });
    const blocked = JSON.stringify({
      promptFeedback: { blockReason: b.prompt_block_reason },
      usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 },
    });
    return void res.end(stream ? `data: ${blocked}\r\n\r\n` : blocked);
  }
  const answer = reply(request);
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    if (b.malformed) return void res.end('{"candidates": [');
    return void res.end(JSON.stringify(answerBody(request, answer, answer.parts, true)));
  }
  if (url.searchParams.get("alt") !== "sse") {
    res.writeHead(400, { "content-type": "application/json" });
    return void res.end(JSON.stringify(googleError(400, "mock: streams are served as SSE only (alt=sse)")));
  }
  // Text arrives a token per event; function calls and thoughts whole, as Gemini sends them.
  const pieces: Json[] = [];
  for (const part of answer.parts) {
    if (typeof part.text === "string" && part.thought !== true) {
      for (const token of tokensOf(part.text)) pieces.push({ text: token });
    } else pieces.push(part);
  }
  const frame = (payload: unknown) => `data: ${JSON.stringify(payload)}\r\n\r\n`;
  const events = pieces.map((part, i) => frame(answerBody(request, answer, [part], i === pieces.length - 1)));
  await playStream(request, "text/event-stream", events, {
    contentStart: 0,
    errorEvent: frame(googleError(503, "The model is overloaded. Please try again later.")),
    malformedEvent: "data: {not json\r\n\r\n",
  });
}

export const geminiRoutes: MockRoute[] = [
  {
    method: "POST",
    path: /^(?:\/.*)?\/models\/([^/:]+):(generateContent|streamGenerateContent)$/,
    handle: handleGenerate,
  },
];
