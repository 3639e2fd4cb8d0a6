/**
 * OpenAI chat request → Cohere Chat v2 request (`POST {base}/v2/chat`, Bearer). Pure.
 *
 * Cohere v2 is close to OpenAI's shape (roles, `tool_calls`, `tool_call_id`, `image_url` parts);
 * what differs is names (`p`, `k`, `stop_sequences`), tool choice (no named tool), JSON output
 * (`json_object` with an optional `json_schema`) and reasoning (`thinking`). Reasoning is mapped
 * only on endpoints whose catalog entry lists `reasoning` in `supported_parameters`.
 */
import type { EndpointEntry } from "../../catalog/types";
import type { ChatRequest, ContentPart } from "../../schema/chat";
import {
  addUnknownFields,
  cannotExpress,
  EFFORT_BUDGET_RATIO,
  isObject,
  type Json,
  reasoningOf,
  refuseFields,
  textOf,
} from "../translate";
import type { UpstreamTarget } from "../types";

const FAMILY = "Cohere";
const UNEXPRESSIBLE = [
  "n",
  "top_logprobs",
  "logit_bias",
  "repetition_penalty",
  "min_p",
  "top_a",
  "modalities",
] as const;
/** The budget base for reasoning when neither the caller nor the catalog bounds the answer. */
const FALLBACK_MAX_TOKENS = 8192;

function userContent(content: string | ContentPart[], path: string): string | Json[] {
  if (typeof content === "string") return content;
  return content.map((part, i) => {
    if (part.type === "text") return { type: "text", text: part.text };
    if (part.type === "image_url") {
      const image: Json = { url: part.image_url.url };
      if (part.image_url.detail !== undefined) image.detail = part.image_url.detail;
      return { type: "image_url", image_url: image };
    }
    throw cannotExpress(FAMILY, `${path}[${i}].type`, `"${part.type}" content is not accepted`);
  });
}

function toolContent(content: string | ContentPart[], path: string): string | Json[] {
  if (typeof content === "string") return content;
  return content.map((part, i) => {
    if (part.type === "text") return { type: "text", text: part.text };
    throw cannotExpress(FAMILY, `${path}[${i}].type`, "tool results may only hold text");
  });
}

export function toCohereMessages(request: ChatRequest): Json[] {
  return request.messages.map((message, i): Json => {
    const path = `messages[${i}]`;
    switch (message.role) {
      case "system":
      case "developer":
        return { role: "system", content: textOf(message.content) };
      case "user":
        return { role: "user", content: userContent(message.content, `${path}.content`) };
      case "assistant": {
        const out: Json = { role: "assistant" };
        const text = textOf(message.content);
        if (text !== "") out.content = text;
        if (message.tool_calls && message.tool_calls.length > 0) {
          out.tool_calls = message.tool_calls.map((call) => ({
            id: call.id,
            type: "function",
            function: { name: call.function.name, arguments: call.function.arguments },
          }));
        }
        return out;
      }
      case "tool":
        return {
          role: "tool",
          tool_call_id: message.tool_call_id,
          content: toolContent(message.content, `${path}.content`),
        };
      default:
        throw cannotExpress(
          FAMILY,
          `${path}.role`,
          'the deprecated "function" role has no call id; use "tool"',
        );
    }
  });
}

function applyTools(request: ChatRequest, body: Json): void {
  let tools = request.tools ?? [];
  const choice = request.tool_choice;
  if (isObject(choice)) {
    // Cohere cannot name a tool, but forcing a call with only that tool offered is the same thing.
    const name = choice.function.name;
    tools = tools.filter((tool) => tool.function.name === name);
    if (tools.length === 0) throw cannotExpress(FAMILY, "tool_choice", `no tool named "${name}" was given`);
    body.tool_choice = "REQUIRED";
  } else if (choice === "required") body.tool_choice = "REQUIRED";
  else if (choice === "none") body.tool_choice = "NONE";
  if (tools.length === 0) {
    if (body.tool_choice === "REQUIRED")
      throw cannotExpress(FAMILY, "tool_choice", "a tool call was required but no tools were given");
    delete body.tool_choice;
    return;
  }
  if (request.parallel_tool_calls === false) {
    throw cannotExpress(FAMILY, "parallel_tool_calls", "Cohere cannot limit the model to one tool call");
  }
  body.tools = tools.map((tool) => {
    const fn: Json = {
      name: tool.function.name,
      parameters: tool.function.parameters ?? { type: "object", properties: {} },
    };
    if (tool.function.description !== undefined) fn.description = tool.function.description;
    return { type: "function", function: fn };
  });
  if (tools.some((tool) => tool.function.strict === true)) body.strict_tools = true;
}

function responseFormat(request: ChatRequest): Json | undefined {
  const format = request.response_format;
  if (format == null || format.type === "text") return undefined;
  if (format.type === "json_object") return { type: "json_object" };
  if (format.type === "json_schema") {
    const out: Json = { type: "json_object" };
    if (format.json_schema.schema !== undefined) out.json_schema = format.json_schema.schema;
    return out;
  }
  throw cannotExpress(FAMILY, "response_format.type", `"${format.type}" output is not available`);
}

function thinking(
  request: ChatRequest,
  endpoint: EndpointEntry,
  maxTokens: number | undefined,
): Json | undefined {
  const reasoning = reasoningOf(request);
  if (reasoning.enabled === undefined) return undefined;
  if (!endpoint.supported_parameters.includes("reasoning")) {
    if (reasoning.enabled === false) return undefined;
    throw cannotExpress(FAMILY, "reasoning", "the catalog declares no reasoning support for this model");
  }
  if (reasoning.enabled === false) return { type: "disabled" };
  const out: Json = { type: "enabled" };
  const base = maxTokens ?? endpoint.max_completion_tokens ?? FALLBACK_MAX_TOKENS;
  const budget =
    reasoning.maxTokens ??
    (reasoning.effort ? Math.floor(base * EFFORT_BUDGET_RATIO[reasoning.effort]) : undefined);
  if (budget !== undefined) out.token_budget = Math.max(1, budget);
  return out;
}

export function buildCohereBody(request: ChatRequest, endpoint: EndpointEntry): Json {
  refuseFields(FAMILY, request, UNEXPRESSIBLE);
  const body: Json = { model: endpoint.provider_model_id, messages: toCohereMessages(request) };
  if (request.stream) body.stream = true;
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? undefined;
  if (maxTokens != null) body.max_tokens = maxTokens;
  if (request.temperature != null) body.temperature = request.temperature;
  if (request.top_p != null) body.p = request.top_p;
  if (request.top_k != null) body.k = request.top_k;
  if (request.stop != null)
    body.stop_sequences = typeof request.stop === "string" ? [request.stop] : request.stop;
  if (request.seed != null) body.seed = request.seed;
  if (request.frequency_penalty != null) body.frequency_penalty = request.frequency_penalty;
  if (request.presence_penalty != null) body.presence_penalty = request.presence_penalty;
  if (request.logprobs != null) body.logprobs = request.logprobs;
  // `user` (an end-user id for abuse monitoring) has no Cohere field and changes no output.
  applyTools(request, body);
  const format = responseFormat(request);
  if (format) body.response_format = format;
  const think = thinking(request, endpoint, maxTokens);
  if (think) body.thinking = think;
  addUnknownFields(request, body);
  return body;
}

export function buildCohereRequest(request: ChatRequest, target: UpstreamTarget): Request {
  const headers = new Headers({
    "content-type": "application/json",
    accept: request.stream ? "text/event-stream" : "application/json",
  });
  if (target.apiKey !== undefined) headers.set("authorization", `Bearer ${target.apiKey}`);
  return new Request(`${target.baseUrl.replace(/\/+$/, "")}/v2/chat`, {
    method: "POST",
    headers,
    body: JSON.stringify(buildCohereBody(request, target.resolved.endpoint)),
  });
}
