/**
 * Pieces shared by the families that translate the OpenAI chat request into another API
 * (Anthropic, Gemini, ...). Pure: no I/O, no clocks.
 */
import { badRequest, type JunctionError } from "../errors";
import { type ChatRequest, chatRequest } from "../schema/chat";
import { MalformedUpstreamError } from "./types";

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** `data:<media type>;base64,<data>` → its parts; undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  const match = /^data:([^;,]+)((?:;[^;,]+)*);base64,/i.exec(url);
  if (!match) return undefined;
  return { mediaType: (match[1] as string).toLowerCase(), data: url.slice(match[0].length) };
}

export const isHttpUrl = (url: string): boolean => /^https?:\/\//i.test(url);

/** The 400 for a request field that an API family cannot express; the gateway tries the next endpoint. */
export function cannotExpress(family: string, path: string, why: string): JunctionError {
  return badRequest(`${family} cannot express ${path}: ${why}`, { path });
}

/** The text of a system/developer/tool message: a string, or its text parts joined. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  let text = "";
  for (const part of content) if (isObject(part) && typeof part.text === "string") text += part.text;
  return text;
}

/**
 * Request fields with a neutral value that carry no instruction (`n: 1`, `frequency_penalty: 0`,
 * `logprobs: false`), so a family without the parameter may ignore them; anything else is an
 * instruction it must map or refuse.
 */
const NEUTRAL: Record<string, (value: unknown) => boolean> = {
  n: (v) => v === 1,
  frequency_penalty: (v) => v === 0,
  presence_penalty: (v) => v === 0,
  repetition_penalty: (v) => v === 1,
  min_p: (v) => v === 0,
  top_a: (v) => v === 0,
  logprobs: (v) => v === false,
  top_logprobs: (v) => v === 0,
  logit_bias: (v) => isObject(v) && Object.keys(v).length === 0,
  parallel_tool_calls: (v) => v === true,
  modalities: (v) => Array.isArray(v) && v.every((m) => m === "text"),
};

/** Throws the 400 for the first of `fields` the request sets to something other than a neutral value. */
export function refuseFields(family: string, request: ChatRequest, fields: readonly string[]): void {
  const values = request as Json;
  for (const field of fields) {
    const value = values[field];
    if (value === undefined || value === null) continue;
    if (NEUTRAL[field]?.(value)) continue;
    throw cannotExpress(family, field, "the API has no such parameter");
  }
}

const KNOWN_FIELDS = new Set(Object.keys(chatRequest.shape));
/** OpenAI and OpenRouter spellings of reasoning that the schema does not list; read by `reasoningOf`. */
const REASONING_ALIASES = new Set(["reasoning_effort", "include_reasoning"]);

/**
 * Fields the caller sent that Junction's schema does not know: native fields of the target API
 * (`safetySettings`, `output_config`, `service_tier`, ...) reach it unchanged, and fields it does not
 * know are refused by the upstream itself, with its own message, rather than silently dropped.
 * A native field that the translation also produced is merged into it, the translation winning.
 */
export function addUnknownFields(request: ChatRequest, body: Json): void {
  const values = request as Json;
  for (const key in values) {
    if (KNOWN_FIELDS.has(key) || REASONING_ALIASES.has(key)) continue;
    const value = values[key];
    const mapped = body[key];
    if (mapped === undefined) body[key] = value;
    else if (isObject(mapped) && isObject(value)) body[key] = { ...value, ...mapped };
  }
}

export type Effort = "xhigh" | "high" | "medium" | "low" | "minimal" | "none";

export interface ReasoningRequest {
  /** Undefined when the caller said nothing about reasoning (the model's default applies). */
  enabled: boolean | undefined;
  effort: Exclude<Effort, "none"> | undefined;
  maxTokens: number | undefined;
  /** Reason, but leave the reasoning out of the answer. */
  exclude: boolean;
}

const EFFORTS = new Set<string>(["xhigh", "high", "medium", "low", "minimal", "none"]);

/** OpenRouter's `reasoning`, OpenAI's `reasoning_effort` and the legacy `include_reasoning`, as one. */
export function reasoningOf(request: ChatRequest): ReasoningRequest {
  const values = request as Json;
  const reasoning = request.reasoning ?? undefined;
  const flatEffort = values.reasoning_effort;
  const effort =
    reasoning?.effort ??
    (typeof flatEffort === "string" && EFFORTS.has(flatEffort) ? (flatEffort as Effort) : undefined);
  const maxTokens = reasoning?.max_tokens;
  const include = values.include_reasoning;
  let enabled: boolean | undefined;
  if (reasoning?.enabled === false || effort === "none") enabled = false;
  else if (reasoning !== undefined || effort !== undefined || include === true) enabled = true;
  return {
    enabled,
    effort: effort === "none" || effort === undefined ? undefined : effort,
    maxTokens,
    exclude: reasoning?.exclude === true || include === false,
  };
}

/**
 * Share of the output budget spent on thinking for each effort, for APIs that take a token budget
 * (OpenRouter's published mapping).
 */
export const EFFORT_BUDGET_RATIO: Record<Exclude<Effort, "none">, number> = {
  xhigh: 0.95,
  high: 0.8,
  medium: 0.5,
  low: 0.2,
  minimal: 0.1,
};

/** The tool calls of earlier assistant messages by id: tool results name the call they answer. */
export function toolCallNames(request: ChatRequest): Map<string, string> {
  const names = new Map<string, string>();
  for (const message of request.messages) {
    if (message.role !== "assistant") continue;
    for (const call of message.tool_calls ?? []) names.set(call.id, call.function.name);
  }
  return names;
}

/** Tool-call arguments as the object APIs other than OpenAI's want; throws the 400 when they are not one. */
export function parseToolArguments(family: string, path: string, text: string): Json {
  if (text.trim() === "") return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (isObject(parsed)) return parsed;
  } catch {
    // reported below
  }
  throw cannotExpress(family, path, "tool call arguments must be a JSON object");
}

/** A token count from an upstream's usage object: a positive finite number, else 0. */
export const tokenCount = (value: unknown): number =>
  typeof value === "number" && Number.isFinite(value) && value > 0 ? value : 0;

/** A stream event's data as a JSON object; throws `MalformedUpstreamError` when it is not one. */
export function parseEventObject(data: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    throw new MalformedUpstreamError(`upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`);
  }
  if (!isObject(parsed))
    throw new MalformedUpstreamError("upstream sent a stream event that is not an object");
  return parsed;
}

/** One turn of an API that wants strictly alternating user/assistant turns (Anthropic, Bedrock). */
export interface Turn {
  role: "user" | "assistant";
  content: Json[];
}

/**
 * Appends blocks as a turn, merging into the previous turn of the same role, since these APIs
 * refuse consecutive same-role turns; in a user turn the tool results go first, as they require.
 */
export function appendTurn(
  turns: Turn[],
  role: Turn["role"],
  blocks: Json[],
  isToolResult: (block: Json) => boolean,
): void {
  if (blocks.length === 0) return;
  const last = turns.at(-1);
  if (last?.role !== role) {
    turns.push({ role, content: blocks });
    return;
  }
  if (role === "assistant") {
    last.content.push(...blocks);
    return;
  }
  const all = [...last.content, ...blocks];
  last.content = [...all.filter(isToolResult), ...all.filter((b) => !isToolResult(b))];
}
