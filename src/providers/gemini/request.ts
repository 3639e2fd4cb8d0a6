/**
 * OpenAI chat request → Gemini `generateContent` / `streamGenerateContent?alt=sse`. Pure.
 *
 * One adapter serves Google AI Studio and Vertex AI; the catalog says which:
 * - provider `gemini_variant: "vertex"`: `{base}/models/{model}:…` with the key sent as an OAuth
 *   bearer token; otherwise AI Studio, `{base}/v1beta/models/{model}:…` with `x-goog-api-key`.
 * - endpoint `gemini_thinking: "level"`: the model takes `thinkingLevel` (Gemini 3) rather than a
 *   `thinkingBudget`; `thinking_budget_max` bounds budgets derived from an effort.
 * - endpoint `gemini_system_instruction: false`: the model refuses `systemInstruction` (Gemma);
 *   instructions open the first user turn instead.
 * - endpoint `api` naming another family: the provider hosts that model behind another API
 *   (Claude on Vertex speaks Anthropic's), which this adapter does not speak.
 */
import type { EndpointEntry } from "../../catalog/types";
import type { ChatRequest, ContentPart, Message } from "../../schema/chat";
import {
  addUnknownFields,
  cannotExpress,
  EFFORT_BUDGET_RATIO,
  isHttpUrl,
  isObject,
  type Json,
  parseDataUrl,
  parseToolArguments,
  reasoningOf,
  refuseFields,
  textOf,
  toolCallNames,
} from "../translate";
import type { UpstreamTarget } from "../types";
import { toGeminiSchema } from "./schema";

const FAMILY = "Gemini";
export const GEMINI_REASONING_FORMAT = "google-gemini-v1";
/** Gemini 2.5 Flash's largest thinking budget; endpoints with another limit set `thinking_budget_max`. */
const DEFAULT_THINKING_BUDGET_MAX = 24576;
/** The output bound effort ratios apply to when neither the request nor the catalog has one. */
const FALLBACK_OUTPUT_TOKENS = 8192;

/** OpenAI request fields Gemini has no parameter for (refused unless neutral). */
const UNEXPRESSIBLE = ["repetition_penalty", "min_p", "top_a", "logit_bias", "parallel_tool_calls"] as const;

interface Content {
  role: "user" | "model";
  parts: Json[];
}

const MIME_BY_EXTENSION: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  webp: "image/webp",
  gif: "image/gif",
  heic: "image/heic",
  heif: "image/heif",
  pdf: "application/pdf",
  mp3: "audio/mp3",
  wav: "audio/wav",
  mp4: "video/mp4",
};

/** `fileData` for a URL; the media type is a hint Gemini may go without. */
function fileData(url: string): Json {
  const extension = /\.([a-z0-9]+)(?:[?#]|$)/i.exec(new URL(url).pathname)?.[1]?.toLowerCase();
  const mimeType = extension ? MIME_BY_EXTENSION[extension] : undefined;
  return { fileData: mimeType ? { mimeType, fileUri: url } : { fileUri: url } };
}

/** A data URL inline, an http(s) URL by reference. */
function mediaPart(url: string, path: string): Json {
  const inline = parseDataUrl(url);
  if (inline) return { inlineData: { mimeType: inline.mediaType, data: inline.data } };
  if (isHttpUrl(url)) return fileData(url);
  throw cannotExpress(FAMILY, path, "expected a base64 data URL or an http(s) URL");
}

// Gemini caches prompts implicitly; `cache_control` markers on parts have nothing to map to.
function contentPart(part: ContentPart, path: string): Json | undefined {
  const raw = part as Json;
  switch (part.type) {
    case "text":
      return part.text === "" ? undefined : { text: part.text };
    case "image_url":
      return mediaPart(part.image_url.url, `${path}.image_url.url`);
    case "input_audio":
      return { inlineData: { mimeType: `audio/${part.input_audio.format}`, data: part.input_audio.data } };
    case "file": {
      const data = part.file.file_data;
      if (typeof data !== "string") {
        throw cannotExpress(FAMILY, `${path}.file`, "only inline file_data is supported, not file_id");
      }
      return mediaPart(data, `${path}.file.file_data`);
    }
    case "video_url": {
      const video = raw.video_url;
      if (isObject(video) && typeof video.url === "string")
        return mediaPart(video.url, `${path}.video_url.url`);
      throw cannotExpress(FAMILY, `${path}.video_url`, "expected {url}");
    }
    default:
      throw cannotExpress(FAMILY, `${path}.type`, `"${part.type}" content is not accepted`);
  }
}

function userParts(content: string | ContentPart[], path: string): Json[] {
  if (typeof content === "string") return content === "" ? [] : [{ text: content }];
  const parts: Json[] = [];
  content.forEach((part, i) => {
    const converted = contentPart(part, `${path}[${i}]`);
    if (converted) parts.push(converted);
  });
  return parts;
}

/** Gemini's thought signatures from an earlier answer: by tool call id, and one for the text. */
function thoughtSignatures(details: unknown): { byCall: Map<string, string>; text: string | undefined } {
  const byCall = new Map<string, string>();
  let text: string | undefined;
  if (!Array.isArray(details)) return { byCall, text };
  for (const detail of details) {
    if (
      !isObject(detail) ||
      detail.type !== "reasoning.encrypted" ||
      detail.format !== GEMINI_REASONING_FORMAT
    )
      continue;
    if (typeof detail.data !== "string") continue;
    if (typeof detail.id === "string") byCall.set(detail.id, detail.data);
    else text ??= detail.data;
  }
  return { byCall, text };
}

function modelParts(message: Extract<Message, { role: "assistant" }>, path: string): Json[] {
  const signatures = thoughtSignatures(message.reasoning_details);
  const parts: Json[] = [];
  const content = message.content;
  if (typeof content === "string") {
    if (content !== "") parts.push({ text: content });
  } else if (Array.isArray(content)) {
    for (const part of content) {
      const text = part.type === "text" ? part.text : part.refusal;
      if (text !== "") parts.push({ text });
    }
  }
  message.tool_calls?.forEach((call, i) => {
    const args = parseToolArguments(
      FAMILY,
      `${path}.tool_calls[${i}].function.arguments`,
      call.function.arguments,
    );
    const part: Json = { functionCall: { name: call.function.name, args } };
    const signature = signatures.byCall.get(call.id);
    if (signature !== undefined) part.thoughtSignature = signature;
    parts.push(part);
  });
  const first = parts[0];
  if (signatures.text !== undefined && first && first.thoughtSignature === undefined) {
    first.thoughtSignature = signatures.text;
  }
  return parts;
}

/** A tool result: Gemini wants an object, so anything else travels as `{output: …}`. */
function functionResponsePart(
  message: Extract<Message, { role: "tool" }>,
  names: Map<string, string>,
  path: string,
): Json {
  const name = names.get(message.tool_call_id);
  if (name === undefined) {
    throw cannotExpress(FAMILY, `${path}.tool_call_id`, "no earlier assistant tool call has this id");
  }
  if (Array.isArray(message.content) && message.content.some((part) => part.type !== "text")) {
    throw cannotExpress(FAMILY, `${path}.content`, "tool results can only be text");
  }
  const text = textOf(message.content);
  let response: Json;
  try {
    const parsed: unknown = JSON.parse(text);
    response = isObject(parsed) ? parsed : { output: parsed };
  } catch {
    response = { output: text };
  }
  return { functionResponse: { name, response } };
}

function append(contents: Content[], role: Content["role"], parts: Json[]): void {
  if (parts.length === 0) return;
  const last = contents.at(-1);
  if (last?.role === role) last.parts.push(...parts);
  else contents.push({ role, parts });
}

export function toGeminiContents(request: ChatRequest): {
  systemInstruction: Json | undefined;
  contents: Content[];
} {
  const system: Json[] = [];
  const contents: Content[] = [];
  const names = toolCallNames(request);
  request.messages.forEach((message, i) => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer": {
        const text = textOf(message.content);
        if (text !== "") system.push({ text });
        return;
      }
      case "user":
        append(contents, "user", userParts(message.content, `${path}.content`));
        return;
      case "assistant":
        append(contents, "model", modelParts(message, path));
        return;
      case "tool":
        append(contents, "user", [functionResponsePart(message, names, path)]);
        return;
      case "function":
        throw cannotExpress(
          FAMILY,
          `${path}.role`,
          'the deprecated "function" role is not supported; use "tool"',
        );
    }
  });
  if (contents.length === 0)
    throw cannotExpress(FAMILY, "messages", "at least one non-empty user message is required");
  return { systemInstruction: system.length > 0 ? { parts: system } : undefined, contents };
}

function functionDeclaration(tool: NonNullable<ChatRequest["tools"]>[number], index: number): Json {
  const fn = tool.function;
  const declaration: Json = { name: fn.name };
  if (fn.description !== undefined) declaration.description = fn.description;
  const parameters = fn.parameters;
  const properties = parameters?.properties;
  const empty =
    parameters?.type === "object" && !(isObject(properties) && Object.keys(properties).length > 0);
  // Gemini refuses an OBJECT without properties; a function without parameters just omits them.
  if (parameters !== undefined && !empty) {
    declaration.parameters = toGeminiSchema(parameters, `tools[${index}].function.parameters`);
  }
  return declaration;
}

function functionCallingConfig(choice: ChatRequest["tool_choice"]): Json | undefined {
  if (choice == null) return undefined;
  if (choice === "auto") return { mode: "AUTO" };
  if (choice === "none") return { mode: "NONE" };
  if (choice === "required") return { mode: "ANY" };
  return { mode: "ANY", allowedFunctionNames: [choice.function.name] };
}

const THINKING_LEVEL: Record<string, string> = {
  minimal: "low",
  low: "low",
  medium: "high",
  high: "high",
  xhigh: "high",
};

function thinkingConfig(
  request: ChatRequest,
  endpoint: EndpointEntry,
  maxOutputTokens: number | undefined,
): Json | undefined {
  const reasoning = reasoningOf(request);
  if (reasoning.enabled === undefined) return undefined;
  const levels = endpoint.gemini_thinking === "level";
  if (reasoning.enabled === false) {
    if (levels)
      throw cannotExpress(FAMILY, "reasoning", "this model always reasons; it cannot be turned off");
    return { thinkingBudget: 0 };
  }
  const config: Json = { includeThoughts: !reasoning.exclude };
  if (reasoning.maxTokens !== undefined) config.thinkingBudget = reasoning.maxTokens;
  else if (reasoning.effort === undefined) {
    if (!levels) config.thinkingBudget = -1; // dynamic: the model decides
  } else if (levels) {
    config.thinkingLevel = THINKING_LEVEL[reasoning.effort];
  } else {
    const limit =
      typeof endpoint.thinking_budget_max === "number"
        ? endpoint.thinking_budget_max
        : DEFAULT_THINKING_BUDGET_MAX;
    const output = maxOutputTokens ?? endpoint.max_completion_tokens ?? FALLBACK_OUTPUT_TOKENS;
    config.thinkingBudget = Math.min(limit, Math.floor(output * EFFORT_BUDGET_RATIO[reasoning.effort]));
  }
  return config;
}

function generationConfig(request: ChatRequest, endpoint: EndpointEntry): Json {
  const config: Json = {};
  const maxOutputTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (maxOutputTokens !== undefined) config.maxOutputTokens = maxOutputTokens;
  if (request.temperature != null) config.temperature = request.temperature;
  if (request.top_p != null) config.topP = request.top_p;
  if (request.top_k != null) config.topK = request.top_k;
  if (request.stop != null)
    config.stopSequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.seed != null) config.seed = request.seed;
  if (request.presence_penalty) config.presencePenalty = request.presence_penalty;
  if (request.frequency_penalty) config.frequencyPenalty = request.frequency_penalty;
  if (request.n != null && request.n > 1) config.candidateCount = request.n;
  if (request.logprobs) {
    config.responseLogprobs = true;
    if (request.top_logprobs) config.logprobs = request.top_logprobs;
  }
  if (request.modalities != null) config.responseModalities = request.modalities.map((m) => m.toUpperCase());
  const format = request.response_format;
  if (format?.type === "json_object") config.responseMimeType = "application/json";
  else if (format?.type === "json_schema") {
    config.responseMimeType = "application/json";
    if (format.json_schema.schema) {
      config.responseSchema = toGeminiSchema(format.json_schema.schema, "response_format.json_schema.schema");
    }
  } else if (format?.type === "grammar" || format?.type === "python") {
    throw cannotExpress(FAMILY, "response_format.type", `"${format.type}" output is not available`);
  }
  const thinking = thinkingConfig(request, endpoint, maxOutputTokens);
  if (thinking) config.thinkingConfig = thinking;
  return config;
}

export function buildGeminiBody(request: ChatRequest, endpoint: EndpointEntry): Json {
  refuseFields(FAMILY, request, UNEXPRESSIBLE);
  const { systemInstruction, contents } = toGeminiContents(request);
  const body: Json = { contents };
  if (systemInstruction && endpoint.gemini_system_instruction === false) {
    // Models without system instructions (Gemma) read them at the start of the first user turn.
    const first = contents.find((content) => content.role === "user");
    if (first) first.parts.unshift(...(systemInstruction.parts as Json[]));
    else contents.unshift({ role: "user", parts: systemInstruction.parts as Json[] });
  } else if (systemInstruction) {
    body.systemInstruction = systemInstruction;
  }
  if (request.tools && request.tools.length > 0) {
    body.tools = [{ functionDeclarations: request.tools.map(functionDeclaration) }];
  }
  const calling = functionCallingConfig(request.tool_choice);
  if (calling) body.toolConfig = { functionCallingConfig: calling };
  const config = generationConfig(request, endpoint);
  if (Object.keys(config).length > 0) body.generationConfig = config;
  // `user` identifies the caller to Junction's own accounting; Gemini has no field for it.
  addUnknownFields(request, body);
  return body;
}

/** `models/{id}` unless the catalog names a full resource (`tunedModels/…`). */
const resourceName = (modelId: string) => (modelId.includes("/") ? modelId : `models/${modelId}`);

export function buildGeminiRequest(request: ChatRequest, target: UpstreamTarget): Request {
  const { provider, endpoint } = target.resolved;
  const vertex = provider.gemini_variant === "vertex";
  const base = target.baseUrl.replace(/\/+$/, "");
  const method = request.stream ? "streamGenerateContent?alt=sse" : "generateContent";
  const url = `${base}${vertex ? "" : "/v1beta"}/${resourceName(endpoint.provider_model_id)}:${method}`;
  const headers = new Headers({ "content-type": "application/json" });
  if (target.apiKey !== undefined) {
    if (vertex) headers.set("authorization", `Bearer ${target.apiKey}`);
    else headers.set("x-goog-api-key", target.apiKey);
  }
  if (request.stream) headers.set("accept", "text/event-stream");
  return new Request(url, {
    method: "POST",
    headers,
    body: JSON.stringify(buildGeminiBody(request, endpoint)),
  });
}
