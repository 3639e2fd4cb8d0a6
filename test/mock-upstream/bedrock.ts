/**
 * Amazon Bedrock Converse (`POST /model/{modelId}/converse`) and ConverseStream
 * (`/converse-stream`, AWS binary event stream), written from the Bedrock API reference and the
 * AWS event stream encoding. Requests must carry a well-formed SigV4 Authorization header (or a
 * Bedrock API key as Bearer token); signatures from access keys named `AKIDMOCK...` are verified
 * in full against the secret `mock-secret-for-<access key id>`. Bodies are validated the way
 * Bedrock does, answering with its error shape (`x-amzn-ErrorType` header, `{"message"}` body).
 */
import { createHash, createHmac } from "node:crypto";
import { crc32 } from "node:zlib";
import { tokensOf } from "./behaviour";
import { replyText } from "./openai";
import { type MockRequest, type MockRoute, playStream } from "./server";

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const EXCEPTIONS: Record<number, string> = {
  400: "ValidationException",
  403: "AccessDeniedException",
  404: "ResourceNotFoundException",
  408: "ModelTimeoutException",
  424: "ModelErrorException",
  429: "ThrottlingException",
  500: "InternalServerException",
  503: "ServiceUnavailableException",
};

const MESSAGES: Record<string, string> = {
  ValidationException: "Malformed input request, please reformat your input and try again.",
  AccessDeniedException: "You don't have access to the model with the specified model ID.",
  ResourceNotFoundException: "The provided model identifier is invalid.",
  ModelTimeoutException: "Model has timed out in processing the request. Try your request again.",
  ModelErrorException:
    "The system encountered an unexpected error during processing. Try your request again.",
  ThrottlingException: "Too many requests, please wait before trying again.",
  InternalServerException: "The server encountered an error processing your request.",
  ServiceUnavailableException: "Bedrock is unable to process your request.",
};

function sendBedrockError(request: MockRequest, status: number, exception: string, message: string): void {
  const { res, behaviour } = request;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "x-amzn-errortype": `${exception}:http://internal.amazon.com/coral/com.amazon.bedrock/`,
    "x-amzn-requestid": "00000000-0000-4000-8000-000000000000",
  };
  if (behaviour.retry_after !== undefined) headers["retry-after"] = String(behaviour.retry_after);
  res.writeHead(status, headers);
  const body = behaviour.error_body ?? { message };
  res.end(typeof body === "string" ? body : JSON.stringify(body));
}

// --- SigV4 -------------------------------------------------------------------------------------

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const rfc3986 = (text: string) =>
  text.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The problem with the request's credentials, or undefined when they would be accepted. */
function authProblem(
  request: MockRequest,
): { status: number; exception: string; message: string } | undefined {
  const { req, rawBody } = request;
  const auth = req.headers.authorization;
  if (!auth)
    return {
      status: 403,
      exception: "MissingAuthenticationTokenException",
      message: "Missing Authentication Token",
    };
  if (/^Bearer \S+$/.test(auth)) return undefined;
  const match =
    /^AWS4-HMAC-SHA256 Credential=([A-Z0-9]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, SignedHeaders=([a-z0-9;-]+), Signature=([0-9a-f]{64})$/.exec(
      auth,
    );
  const incomplete = {
    status: 403,
    exception: "IncompleteSignatureException",
    message: `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. Authorization=${auth.split(" ")[0]}`,
  };
  if (!match) return incomplete;
  const [, accessKeyId, date, region, service, signedHeaders, signature] = match as unknown as string[];
  const amzDate = req.headers["x-amz-date"];
  const names = (signedHeaders as string).split(";");
  if (typeof amzDate !== "string" || !/^\d{8}T\d{6}Z$/.test(amzDate) || !amzDate.startsWith(date as string)) {
    return {
      ...incomplete,
      message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP",
    };
  }
  if (service !== "bedrock") {
    return {
      status: 403,
      exception: "InvalidSignatureException",
      message: `Credential should be scoped to correct service: 'bedrock'.`,
    };
  }
  if (!names.includes("host") || !names.includes("x-amz-date")) return incomplete;
  if (!(accessKeyId as string).startsWith("AKIDMOCK")) return undefined;

  const path = request.url.pathname.replace(/\/+/g, "/");
  const canonicalPath = rfc3986(encodeURIComponent(path).replace(/%2F/g, "/"));
  const canonicalHeaders = names
    .map(
      (name) =>
        `${name}:${String(req.headers[name] ?? "")
          .trim()
          .replace(/\s+/g, " ")}`,
    )
    .join("\n");
  const canonical = [
    req.method,
    canonicalPath,
    "",
    canonicalHeaders,
    "",
    signedHeaders,
    sha256(rawBody),
  ].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n");
  let key = hmac(`AWS4mock-secret-for-${accessKeyId}`, date as string);
  for (const part of [region as string, service as string, "aws4_request"]) key = hmac(key, part);
  if (hmac(key, toSign).toString("hex") !== signature) {
    return {
      status: 403,
      exception: "InvalidSignatureException",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return undefined;
}

// --- validation --------------------------------------------------------------------------------

const TOP_LEVEL = new Set([
  "messages",
  "system",
  "inferenceConfig",
  "toolConfig",
  "guardrailConfig",
  "additionalModelRequestFields",
  "promptVariables",
  "additionalModelResponseFieldPaths",
  "requestMetadata",
  "performanceConfig",
  "serviceTier",
  "outputConfig",
  "mock",
]);
const BLOCKS = new Set([
  "text",
  "image",
  "document",
  "video",
  "audio",
  "toolUse",
  "toolResult",
  "guardContent",
  "cachePoint",
  "reasoningContent",
]);
const IMAGE_FORMATS = new Set(["png", "jpeg", "gif", "webp"]);

function validateBlocks(
  content: unknown,
  at: string,
  role: string,
  previousUses: Set<string>,
): string | undefined {
  if (!Array.isArray(content) || content.length === 0)
    return `${at}.content must contain at least one content block`;
  for (const [j, block] of content.entries()) {
    const where = `${at}.content.${j}`;
    if (!isObject(block)) return `${where} must be an object`;
    const keys = Object.keys(block);
    if (keys.length !== 1 || !BLOCKS.has(keys[0] as string)) {
      return `${where} must set exactly one member of ContentBlock; got ${keys.join(", ") || "none"}`;
    }
    if ("text" in block && (typeof block.text !== "string" || block.text.trim() === "")) {
      return `The text field in the ContentBlock object at ${where} is blank. Add text to the text field, and try again.`;
    }
    if (isObject(block.image)) {
      const source = isObject(block.image.source) ? block.image.source : {};
      if (!IMAGE_FORMATS.has(String(block.image.format)))
        return `${where}.image.format must be one of png, jpeg, gif, webp`;
      if (typeof source.bytes === "string" && !/^[A-Za-z0-9+/]+={0,2}$/.test(source.bytes)) {
        return `${where}.image.source.bytes is not valid base64`;
      }
    }
    if ("toolUse" in block) {
      const use = block.toolUse;
      if (role !== "assistant") return `${where}: toolUse blocks are only allowed in assistant messages`;
      if (
        !isObject(use) ||
        typeof use.toolUseId !== "string" ||
        typeof use.name !== "string" ||
        !isObject(use.input)
      ) {
        return `${where}.toolUse needs toolUseId, name and an object input`;
      }
    }
    if ("toolResult" in block) {
      const result = block.toolResult;
      if (role !== "user") return `${where}: toolResult blocks are only allowed in user messages`;
      if (!isObject(result) || typeof result.toolUseId !== "string" || !Array.isArray(result.content)) {
        return `${where}.toolResult needs toolUseId and content`;
      }
      if (!previousUses.has(result.toolUseId)) {
        return `${where}.toolResult.toolUseId ${result.toolUseId} does not match any toolUse block in the previous turn`;
      }
    }
  }
  return undefined;
}

/** The first problem Bedrock would report, or undefined. */
function validate(body: unknown): string | undefined {
  if (!isObject(body)) return "Malformed input request, please reformat your input and try again.";
  for (const key of Object.keys(body)) {
    if (!TOP_LEVEL.has(key))
      return `Malformed input request: extraneous key [${key}] is not permitted, please reformat your input and try again.`;
  }
  const messages = body.messages;
  if (!Array.isArray(messages) || messages.length === 0)
    return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
  let previousUses = new Set<string>();
  let toolBlocks = false;
  for (const [i, message] of messages.entries()) {
    if (!isObject(message)) return `messages.${i} must be an object`;
    const role = message.role;
    if (i === 0 && role !== "user")
      return "A conversation must start with a user message. Try again with a conversation that starts with a user message.";
    if (role !== "user" && role !== "assistant") return `messages.${i}.role must be user or assistant`;
    if (i > 0 && (messages[i - 1] as Json).role === role) {
      return "A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.";
    }
    const problem = validateBlocks(message.content, `messages.${i}`, role, previousUses);
    if (problem) return problem;
    const blocks = message.content as Json[];
    if (blocks.some((b) => "toolUse" in b || "toolResult" in b)) toolBlocks = true;
    previousUses = new Set(
      blocks.filter((b) => isObject(b.toolUse)).map((b) => String((b.toolUse as Json).toolUseId)),
    );
  }
  if (body.system !== undefined) {
    if (!Array.isArray(body.system)) return "system must be a list of SystemContentBlock";
    for (const [i, block] of body.system.entries()) {
      if (!isObject(block) || Object.keys(block).length !== 1)
        return `system.${i} must set exactly one member`;
      if ("text" in block && (typeof block.text !== "string" || block.text.trim() === ""))
        return `system.${i}.text is blank`;
    }
  }
  const inference = body.inferenceConfig;
  if (inference !== undefined) {
    if (!isObject(inference)) return "inferenceConfig must be an object";
    const { maxTokens, temperature, topP, stopSequences } = inference;
    if (maxTokens !== undefined && (!Number.isInteger(maxTokens) || (maxTokens as number) < 1))
      return "inferenceConfig.maxTokens must be a positive integer";
    if (temperature !== undefined && (typeof temperature !== "number" || temperature < 0 || temperature > 1))
      return "temperature: range: 0..1";
    if (topP !== undefined && (typeof topP !== "number" || topP < 0 || topP > 1)) return "top_p: range: 0..1";
    if (
      stopSequences !== undefined &&
      (!Array.isArray(stopSequences) || stopSequences.some((s) => typeof s !== "string"))
    ) {
      return "inferenceConfig.stopSequences must be a list of strings";
    }
    for (const key of Object.keys(inference)) {
      if (!["maxTokens", "temperature", "topP", "stopSequences"].includes(key))
        return `inferenceConfig: extraneous key [${key}] is not permitted`;
    }
  }
  const tools = body.toolConfig;
  if (toolBlocks && tools === undefined)
    return "The toolConfig field must be defined when using toolUse and toolResult content blocks.";
  if (tools !== undefined) {
    if (!isObject(tools) || !Array.isArray(tools.tools) || tools.tools.length === 0)
      return "toolConfig.tools must contain at least one tool";
    for (const [i, tool] of tools.tools.entries()) {
      const spec = isObject(tool) && isObject(tool.toolSpec) ? tool.toolSpec : undefined;
      if (!spec || typeof spec.name !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec.name))
        return `toolConfig.tools.${i}.toolSpec.name is invalid`;
      if (!isObject(spec.inputSchema) || !isObject(spec.inputSchema.json))
        return `toolConfig.tools.${i}.toolSpec.inputSchema.json is required`;
    }
    const choice = tools.toolChoice;
    if (
      choice !== undefined &&
      (!isObject(choice) ||
        Object.keys(choice).length !== 1 ||
        !["auto", "any", "tool"].includes(Object.keys(choice)[0] as string))
    ) {
      return "toolConfig.toolChoice must set exactly one of auto, any, tool";
    }
  }
  const output = body.outputConfig;
  if (output !== undefined) {
    const format = isObject(output) && isObject(output.textFormat) ? output.textFormat : undefined;
    const schema =
      format && isObject(format.structure) && isObject(format.structure.jsonSchema)
        ? format.structure.jsonSchema.schema
        : undefined;
    if (format?.type !== "json_schema" || typeof schema !== "string")
      return "outputConfig.textFormat needs type json_schema and a schema string";
    try {
      JSON.parse(schema);
    } catch {
      return "outputConfig.textFormat.structure.jsonSchema.schema is not valid JSON";
    }
  }
  return undefined;
}

// --- answers -----------------------------------------------------------------------------------

/** One event-stream frame: string headers and a JSON payload, CRC32s by Node's zlib. */
export function eventFrame(headers: Record<string, string>, payload: unknown, corrupt = false): Buffer {
  const headerBytes = Buffer.concat(
    Object.entries(headers).map(([name, value]) => {
      const n = Buffer.from(name);
      const v = Buffer.from(value);
      const head = Buffer.alloc(1 + n.length + 3);
      head.writeUInt8(n.length, 0);
      n.copy(head, 1);
      head.writeUInt8(7, 1 + n.length);
      head.writeUInt16BE(v.length, 2 + n.length);
      return Buffer.concat([head, v]);
    }),
  );
  const body = Buffer.from(JSON.stringify(payload));
  const total = 12 + headerBytes.length + body.length + 4;
  const prelude = Buffer.alloc(12);
  prelude.writeUInt32BE(total, 0);
  prelude.writeUInt32BE(headerBytes.length, 4);
  prelude.writeUInt32BE(crc32(prelude.subarray(0, 8)), 8);
  const message = Buffer.concat([prelude, headerBytes, body]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE((crc32(message) ^ (corrupt ? 1 : 0)) >>> 0, 0);
  return Buffer.concat([message, crc]);
}

/** Bedrock pads every event with a random-length `p` field so that sizes leak nothing. */
const event = (type: string, payload: Json, corrupt = false) =>
  eventFrame(
    { ":event-type": type, ":content-type": "application/json", ":message-type": "event" },
    { ...payload, p: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ".slice(0, 4 + (type.length % 20)) },
    corrupt,
  );
const exception = (type: string, message: string) =>
  eventFrame(
    { ":exception-type": type, ":content-type": "application/json", ":message-type": "exception" },
    { message },
  );

function usage(request: MockRequest, completionTokens: number): Json {
  const u = request.behaviour.usage ?? { prompt_tokens: 12, completion_tokens: completionTokens };
  const cached = u.cached_tokens ?? 0;
  const written = u.cache_write_tokens ?? 0;
  const input = Math.max(0, u.prompt_tokens - cached - written);
  const out: Json = {
    inputTokens: input,
    outputTokens: u.completion_tokens,
    totalTokens: u.prompt_tokens + u.completion_tokens,
  };
  if (cached > 0) out.cacheReadInputTokens = cached;
  if (written > 0) out.cacheWriteInputTokens = written;
  return out;
}

async function handleConverse(request: MockRequest): Promise<void> {
  const { res, behaviour: b, params } = request;
  const stream = params[1] === "converse-stream";
  const auth = authProblem(request);
  if (auth) return sendBedrockError(request, auth.status, auth.exception, auth.message);
  const problem = validate(request.body);
  if (problem) return sendBedrockError(request, 400, "ValidationException", problem);
  if (b.status && b.status >= 400) {
    const name = EXCEPTIONS[b.status] ?? "InternalServerException";
    return sendBedrockError(request, b.status, name, MESSAGES[name] ?? "error");
  }

  const echo = b.echo
    ? JSON.stringify({
        ...JSON.parse(replyText(request)),
        modelId: decodeURIComponent(params[0] as string),
        headers: {
          authorization: request.req.headers.authorization ?? null,
          accept: request.req.headers.accept ?? null,
          "x-amz-date": request.req.headers["x-amz-date"] ?? null,
          "x-amz-security-token": request.req.headers["x-amz-security-token"] ?? null,
        },
      })
    : undefined;
  const content = echo ?? replyText(request);
  const stopReason = b.finish_reason ?? (b.tool_calls ? "tool_use" : "end_turn");

  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    if (b.malformed) return void res.end('{"output": {"message": ');
    const blocks: Json[] = [];
    if (b.reasoning)
      blocks.push({ reasoningContent: { reasoningText: { text: b.reasoning, signature: "sig-mock" } } });
    if (b.tool_calls) {
      b.tool_calls.forEach((t, i) => {
        blocks.push({ toolUse: { toolUseId: `tooluse_${i}`, name: t.name, input: JSON.parse(t.arguments) } });
      });
    } else blocks.push({ text: content });
    const answer: Json = {
      output: { message: { role: "assistant", content: blocks } },
      stopReason,
      metrics: { latencyMs: 42 },
    };
    if (!b.no_usage) answer.usage = usage(request, tokensOf(content).length);
    return void res.end(JSON.stringify(answer));
  }

  const frames: Buffer[] = [event("messageStart", { role: "assistant" })];
  let block = 0;
  if (b.reasoning) {
    for (const token of tokensOf(b.reasoning))
      frames.push(
        event("contentBlockDelta", {
          contentBlockIndex: block,
          delta: { reasoningContent: { text: token } },
        }),
      );
    frames.push(
      event("contentBlockDelta", {
        contentBlockIndex: block,
        delta: { reasoningContent: { signature: "sig-mock" } },
      }),
    );
    frames.push(event("contentBlockStop", { contentBlockIndex: block++ }));
  }
  let pieces = 0;
  if (b.tool_calls) {
    b.tool_calls.forEach((t, i) => {
      frames.push(
        event("contentBlockStart", {
          contentBlockIndex: block,
          start: { toolUse: { toolUseId: `tooluse_${i}`, name: t.name } },
        }),
      );
      for (const fragment of t.arguments.match(/.{1,6}/gs) ?? []) {
        frames.push(
          event("contentBlockDelta", { contentBlockIndex: block, delta: { toolUse: { input: fragment } } }),
        );
        pieces++;
      }
      frames.push(event("contentBlockStop", { contentBlockIndex: block++ }));
    });
  } else {
    for (const token of tokensOf(content)) {
      frames.push(event("contentBlockDelta", { contentBlockIndex: block, delta: { text: token } }));
      pieces++;
    }
    frames.push(event("contentBlockStop", { contentBlockIndex: block }));
  }
  if (!b.no_finish) frames.push(event("messageStop", { stopReason }));
  if (!b.no_done && !b.no_usage)
    frames.push(event("metadata", { usage: usage(request, pieces), metrics: { latencyMs: 42 } }));
  await playStream(request, "application/vnd.amazon.eventstream", frames, {
    contentStart: 1,
    errorEvent: exception(
      "internalServerException",
      "The server encountered an error processing your request.",
    ),
    malformedEvent: event(
      "contentBlockDelta",
      { contentBlockIndex: block, delta: { text: "corrupt" } },
      true,
    ),
  });
}

export const bedrockRoutes: MockRoute[] = [
  { method: "POST", path: /^\/model\/([^/]+)\/(converse|converse-stream)$/, handle: handleConverse },
];
