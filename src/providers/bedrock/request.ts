/**
 * OpenAI chat request → Bedrock Converse request (`POST {base}/model/{modelId}/converse` and
 * `/converse-stream`). The body translation is pure; `buildBedrockRequest` signs it.
 *
 * Per-endpoint quirks come from the catalog endpoint entry:
 * - `bedrock_reasoning`: how the model takes reasoning, in `additionalModelRequestFields`:
 *   `"anthropic"` → `thinking: {type: "enabled", budget_tokens}`;
 *   `"nova"` → `reasoningConfig: {type: "enabled", maxReasoningEffort}`. Absent: reasoning is refused.
 * - `bedrock_request_fields`: `{ "<OpenAI parameter>": "<path in additionalModelRequestFields>" }`
 *   for sampling parameters Converse has no field for, e.g. `{"top_k": "top_k"}` (Claude) or
 *   `{"top_k": "inferenceConfig.topK"}` (Nova).
 * - `supported_parameters` containing `structured_outputs`: JSON answers use `outputConfig.textFormat`.
 */
import { AwsV4Signer } from "aws4fetch";
import type { EndpointEntry } from "../../catalog/types";
import type { ChatRequest, ContentPart, Message } from "../../schema/chat";
import {
  addUnknownFields,
  appendTurn,
  cannotExpress,
  EFFORT_BUDGET_RATIO,
  isObject,
  type Json,
  parseDataUrl,
  parseToolArguments,
  reasoningOf,
  refuseFields,
  type Turn,
} from "../translate";
import type { UpstreamTarget } from "../types";
import { bedrockRegion, parseBedrockCredentials } from "./credentials";

const FAMILY = "Amazon Bedrock";
/** Marks reasoning signatures from Bedrock, which only Bedrock can verify when they come back. */
export const BEDROCK_REASONING_FORMAT = "amazon-bedrock-converse-v1";
const MIN_THINKING_BUDGET = 1024;
/** The budget base when neither the caller nor the catalog bounds the answer. */
const FALLBACK_MAX_TOKENS = 4096;

/** Parameters that may be mapped by `bedrock_request_fields`, and otherwise must be neutral. */
const MAPPABLE = [
  "top_k",
  "seed",
  "frequency_penalty",
  "presence_penalty",
  "repetition_penalty",
  "min_p",
  "top_a",
] as const;
/** Parameters Converse cannot express on any model. */
const UNEXPRESSIBLE = ["n", "logprobs", "top_logprobs", "logit_bias", "modalities"] as const;

const IMAGE_FORMATS: Record<string, string> = {
  "image/png": "png",
  "image/jpeg": "jpeg",
  "image/jpg": "jpeg",
  "image/gif": "gif",
  "image/webp": "webp",
};
const DOCUMENT_FORMATS: Record<string, string> = {
  "application/pdf": "pdf",
  "text/csv": "csv",
  "application/msword": "doc",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
  "application/vnd.ms-excel": "xls",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
  "text/html": "html",
  "text/plain": "txt",
  "text/markdown": "md",
};

/** Converse marks cache boundaries with a block of their own after the content to cache. */
function withCachePoint(blocks: Json[], part: Json): void {
  if (part.cache_control !== undefined) blocks.push({ cachePoint: { type: "default" } });
}

function imageBlock(url: string, path: string): Json {
  const inline = parseDataUrl(url);
  if (inline) {
    const format = IMAGE_FORMATS[inline.mediaType];
    if (!format)
      throw cannotExpress(FAMILY, path, `image type ${inline.mediaType} is not png, jpeg, gif or webp`);
    return { image: { format, source: { bytes: inline.data } } };
  }
  const s3 = /^s3:\/\/[^/]+\/.+\.(png|jpe?g|gif|webp)$/i.exec(url);
  if (s3) {
    const format = (s3[1] as string).toLowerCase().replace("jpg", "jpeg");
    return { image: { format, source: { s3Location: { uri: url } } } };
  }
  // Converse reads images from the request or S3 only; fetching a URL here would be I/O in a translation.
  throw cannotExpress(FAMILY, path, "images must be base64 data URLs or s3:// URIs");
}

/** Converse document names allow letters, digits, single spaces, hyphens, parentheses and brackets. */
function documentName(filename: unknown, index: number): string {
  const base = typeof filename === "string" ? filename.replace(/\.[^.]*$/, "") : "";
  const cleaned = base
    .replace(/[^A-Za-z0-9\s\-()[\]]/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return cleaned === "" ? `document-${index + 1}` : cleaned.slice(0, 200);
}

function documentBlock(file: Json, path: string, index: number): Json {
  const inline = typeof file.file_data === "string" ? parseDataUrl(file.file_data) : undefined;
  if (!inline) throw cannotExpress(FAMILY, `${path}.file`, "documents must be inline base64 file_data");
  const format = DOCUMENT_FORMATS[inline.mediaType];
  if (!format)
    throw cannotExpress(
      FAMILY,
      `${path}.file.file_data`,
      `document type ${inline.mediaType} is not accepted`,
    );
  return { document: { format, name: documentName(file.filename, index), source: { bytes: inline.data } } };
}

function contentBlocks(content: string | ContentPart[], path: string): Json[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  const blocks: Json[] = [];
  let documents = 0;
  content.forEach((part, i) => {
    const at = `${path}[${i}]`;
    switch (part.type) {
      case "text":
        if (part.text !== "") blocks.push({ text: part.text });
        break;
      case "image_url":
        blocks.push(imageBlock(part.image_url.url, `${at}.image_url.url`));
        break;
      case "file":
        blocks.push(documentBlock(part.file, at, documents++));
        break;
      default:
        throw cannotExpress(FAMILY, `${at}.type`, `"${part.type}" content is not accepted`);
    }
    withCachePoint(blocks, part as Json);
  });
  return blocks;
}

/** Reasoning from an earlier Bedrock answer: Claude needs it back, signed, during tool use. */
function reasoningBlocks(details: unknown): Json[] {
  if (!Array.isArray(details)) return [];
  const blocks: Json[] = [];
  for (const detail of details) {
    if (!isObject(detail) || detail.format !== BEDROCK_REASONING_FORMAT) continue;
    if (detail.type === "reasoning.text" && typeof detail.text === "string") {
      const reasoningText: Json = { text: detail.text };
      if (typeof detail.signature === "string") reasoningText.signature = detail.signature;
      blocks.push({ reasoningContent: { reasoningText } });
    } else if (detail.type === "reasoning.encrypted" && typeof detail.data === "string") {
      blocks.push({ reasoningContent: { redactedContent: detail.data } });
    }
  }
  return blocks;
}

function assistantBlocks(message: Extract<Message, { role: "assistant" }>, path: string): Json[] {
  const blocks = reasoningBlocks(message.reasoning_details);
  const content = message.content;
  if (typeof content === "string") {
    if (content !== "") blocks.push({ text: content });
  } else if (Array.isArray(content)) {
    for (const part of content) {
      const text = part.type === "text" ? part.text : part.refusal;
      if (text !== "") blocks.push({ text });
      withCachePoint(blocks, part as Json);
    }
  }
  message.tool_calls?.forEach((call, i) => {
    const input = parseToolArguments(
      FAMILY,
      `${path}.tool_calls[${i}].function.arguments`,
      call.function.arguments,
    );
    blocks.push({ toolUse: { toolUseId: call.id, name: call.function.name, input } });
  });
  return blocks;
}

function toolResultBlock(message: Extract<Message, { role: "tool" }>, path: string): Json {
  const content = contentBlocks(message.content, `${path}.content`).filter((b) => b.cachePoint === undefined);
  // An empty result is still an answer to the call; Converse needs at least one block.
  return {
    toolResult: { toolUseId: message.tool_call_id, content: content.length > 0 ? content : [{ text: "" }] },
  };
}

const toTurn = (turns: Turn[], role: Turn["role"], blocks: Json[]) =>
  appendTurn(turns, role, blocks, (b) => b.toolResult !== undefined);

export function toConverseMessages(request: ChatRequest): { system: Json[]; messages: Turn[] } {
  const system: Json[] = [];
  const turns: Turn[] = [];
  request.messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        // Converse takes instructions only as the top-level system prompt.
        if (typeof message.content === "string") {
          if (message.content !== "") system.push({ text: message.content });
        } else {
          for (const part of message.content) {
            if (part.text !== "") system.push({ text: part.text });
            withCachePoint(system, part as Json);
          }
        }
        return;
      case "user":
        toTurn(turns, "user", contentBlocks(message.content, `${path}.content`));
        return;
      case "assistant":
        toTurn(turns, "assistant", assistantBlocks(message, path));
        return;
      case "tool":
        toTurn(turns, "user", [toolResultBlock(message, path)]);
        return;
      case "function":
        throw cannotExpress(
          FAMILY,
          `${path}.role`,
          'the deprecated "function" role has no call id; use "tool"',
        );
    }
  });
  if (turns[0]?.role !== "user") {
    throw cannotExpress(
      FAMILY,
      "messages",
      turns.length === 0
        ? "at least one non-empty user message is required"
        : "the conversation must start with a user message (after system messages)",
    );
  }
  return { system, messages: turns };
}

function setPath(target: Json, path: string, value: unknown): void {
  const keys = path.split(".");
  let at = target;
  for (const key of keys.slice(0, -1)) {
    let next = at[key];
    if (!isObject(next)) {
      next = {};
      at[key] = next;
    }
    at = next as Json;
  }
  at[keys.at(-1) as string] = value;
}

/** Sampling parameters Converse lacks, placed where the catalog says the model takes them. */
function additionalFields(request: ChatRequest, endpoint: EndpointEntry): Json {
  const fields: Json = {};
  const paths = isObject(endpoint.bedrock_request_fields) ? endpoint.bedrock_request_fields : {};
  const values = request as Json;
  const unmapped: string[] = [];
  for (const name of MAPPABLE) {
    const value = values[name];
    if (value === undefined || value === null) continue;
    const path = paths[name];
    if (typeof path === "string" && path !== "") setPath(fields, path, value);
    else unmapped.push(name);
  }
  refuseFields(FAMILY, request, unmapped);
  return fields;
}

function applyReasoning(request: ChatRequest, endpoint: EndpointEntry, inference: Json, fields: Json): void {
  const reasoning = reasoningOf(request);
  if (reasoning.enabled !== true) return;
  const style = endpoint.bedrock_reasoning;
  if (style === "anthropic") {
    const maxTokens =
      (inference.maxTokens as number | undefined) ?? endpoint.max_completion_tokens ?? FALLBACK_MAX_TOKENS;
    const budget = Math.max(
      MIN_THINKING_BUDGET,
      reasoning.maxTokens ?? Math.floor(maxTokens * EFFORT_BUDGET_RATIO[reasoning.effort ?? "medium"]),
    );
    if (budget >= maxTokens) {
      throw cannotExpress(
        FAMILY,
        "max_tokens",
        `must be larger than the reasoning budget (${budget} tokens)`,
      );
    }
    // The thinking budget counts against maxTokens, so the bound must be explicit.
    inference.maxTokens = maxTokens;
    fields.thinking = { type: "enabled", budget_tokens: budget };
  } else if (style === "nova") {
    const effort =
      reasoning.effort === "minimal"
        ? "low"
        : reasoning.effort === "xhigh"
          ? "high"
          : (reasoning.effort ?? "medium");
    fields.reasoningConfig = { type: "enabled", maxReasoningEffort: effort };
  } else {
    throw cannotExpress(FAMILY, "reasoning", "the catalog declares no reasoning support for this model");
  }
}

function toolConfig(request: ChatRequest, turns: Turn[]): Json | undefined {
  const tools = (request.tools ?? []).map((tool) => {
    const spec: Json = {
      name: tool.function.name,
      inputSchema: { json: tool.function.parameters ?? { type: "object", properties: {} } },
    };
    if (tool.function.description !== undefined) spec.description = tool.function.description;
    if (tool.function.strict === true) spec.strict = true;
    return { toolSpec: spec };
  });
  if (tools.length === 0) return undefined;
  const choice = request.tool_choice;
  if (choice === "none") {
    const history = turns.some((t) =>
      t.content.some((b) => b.toolUse !== undefined || b.toolResult !== undefined),
    );
    // Without tools the model cannot call one; but a history of calls requires the tool list.
    if (!history) return undefined;
    throw cannotExpress(
      FAMILY,
      "tool_choice",
      '"none" cannot be honoured while the history contains tool calls',
    );
  }
  if (request.parallel_tool_calls === false) {
    throw cannotExpress(FAMILY, "parallel_tool_calls", "Converse cannot limit the model to one tool call");
  }
  const config: Json = { tools };
  if (choice === "auto") config.toolChoice = { auto: {} };
  else if (choice === "required") config.toolChoice = { any: {} };
  else if (isObject(choice)) config.toolChoice = { tool: { name: choice.function.name } };
  return config;
}

function outputConfig(request: ChatRequest, endpoint: EndpointEntry): Json | undefined {
  const format = request.response_format;
  if (format == null || format.type === "text") return undefined;
  if (format.type !== "json_object" && format.type !== "json_schema") {
    throw cannotExpress(FAMILY, "response_format.type", `"${format.type}" output is not available`);
  }
  if (!endpoint.supported_parameters.includes("structured_outputs")) {
    throw cannotExpress(
      FAMILY,
      "response_format",
      "the catalog declares no structured output for this model",
    );
  }
  // json_object is "any JSON object": the same constraint with the least specific schema.
  const definition =
    format.type === "json_schema"
      ? {
          name: format.json_schema.name,
          ...(format.json_schema.description !== undefined && {
            description: format.json_schema.description,
          }),
          schema: JSON.stringify(format.json_schema.schema ?? { type: "object" }),
        }
      : { name: "json_object", schema: JSON.stringify({ type: "object" }) };
  return { textFormat: { type: "json_schema", structure: { jsonSchema: definition } } };
}

export function buildConverseBody(request: ChatRequest, endpoint: EndpointEntry): Json {
  refuseFields(FAMILY, request, UNEXPRESSIBLE);
  const { system, messages } = toConverseMessages(request);
  const body: Json = { messages };
  if (system.length > 0) body.system = system;

  const inference: Json = {};
  const maxTokens = request.max_completion_tokens ?? request.max_tokens;
  if (maxTokens != null) inference.maxTokens = maxTokens;
  if (request.temperature != null) inference.temperature = request.temperature;
  if (request.top_p != null) inference.topP = request.top_p;
  if (request.stop != null)
    inference.stopSequences = typeof request.stop === "string" ? [request.stop] : request.stop;

  const fields = additionalFields(request, endpoint);
  applyReasoning(request, endpoint, inference, fields);
  if (Object.keys(inference).length > 0) body.inferenceConfig = inference;
  if (Object.keys(fields).length > 0) body.additionalModelRequestFields = fields;

  const tools = toolConfig(request, messages);
  if (tools) body.toolConfig = tools;
  const output = outputConfig(request, endpoint);
  if (output) body.outputConfig = output;
  // Bedrock's invocation logs can be filtered by request metadata; the end-user id belongs there.
  if (request.user != null && request.user !== "") {
    body.requestMetadata = { user: request.user.replace(/[^a-zA-Z0-9\s:_@$#=/+,.-]/g, "_").slice(0, 256) };
  }
  addUnknownFields(request, body);
  return body;
}

export function converseUrl(baseUrl: string, modelId: string, stream: boolean): string {
  // Model ids and ARNs contain ":" and "/", which must not read as path syntax.
  return `${baseUrl.replace(/\/+$/, "")}/model/${encodeURIComponent(modelId)}/${stream ? "converse-stream" : "converse"}`;
}

/**
 * The signed (or Bearer) request. `datetime` is for tests only: signing otherwise uses the clock,
 * which is why this, unlike the body translation, is not pure.
 */
export async function buildBedrockRequest(
  request: ChatRequest,
  target: UpstreamTarget,
  datetime?: string,
): Promise<Request> {
  const credentials = parseBedrockCredentials(target.apiKey);
  const { endpoint, provider } = target.resolved;
  const url = converseUrl(target.baseUrl, endpoint.provider_model_id, request.stream === true);
  const body = JSON.stringify(buildConverseBody(request, endpoint));
  const headers = new Headers({
    "content-type": "application/json",
    accept: request.stream ? "application/vnd.amazon.eventstream" : "application/json",
  });
  if (credentials.kind === "bearer") {
    headers.set("authorization", `Bearer ${credentials.token}`);
    return new Request(url, { method: "POST", headers, body });
  }
  const signer = new AwsV4Signer({
    method: "POST",
    url,
    headers,
    body,
    accessKeyId: credentials.accessKeyId,
    secretAccessKey: credentials.secretAccessKey,
    ...(credentials.sessionToken !== undefined && { sessionToken: credentials.sessionToken }),
    service: "bedrock",
    region: bedrockRegion(provider.aws_region, target.baseUrl),
    ...(datetime !== undefined && { datetime }),
  });
  const signed = await signer.sign();
  return new Request(signed.url.toString(), { method: "POST", headers: signed.headers, body });
}
