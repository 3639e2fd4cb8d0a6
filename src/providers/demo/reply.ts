/**
 * The offline demo model: a deterministic reply to an OpenAI chat body, so the whole pipeline
 * (routing, streaming, tools, usage, cost) can be tried without a provider account.
 */
import { countTokens, splitTokens } from "../../tokens";

export type DemoReply =
  | { kind: "text"; pieces: string[]; finishReason: "stop" | "length"; promptTokens: number }
  | { kind: "tool_call"; id: string; name: string; arguments: string; promptTokens: number };

interface DemoBody {
  messages?: { role?: string; content?: unknown; tool_call_id?: string }[];
  tools?: { type?: string; function?: { name?: string; parameters?: JsonSchema } }[];
  tool_choice?: unknown;
  max_tokens?: number;
  max_completion_tokens?: number;
  stop?: string | string[];
}

interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  enum?: unknown[];
}

function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === "object" && typeof p.text === "string" ? p.text : ""))
      .join(" ");
  }
  return "";
}

/** A sample value for each required property, so demo tool calls carry valid arguments. */
function sampleArguments(schema: JsonSchema | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of schema?.required ?? []) {
    const prop = schema?.properties?.[name] ?? {};
    if (prop.enum && prop.enum.length > 0) out[name] = prop.enum[0];
    else if (prop.type === "number" || prop.type === "integer") out[name] = 1;
    else if (prop.type === "boolean") out[name] = true;
    else if (prop.type === "array") out[name] = [];
    else if (prop.type === "object") out[name] = sampleArguments(prop);
    else out[name] = "demo";
  }
  return out;
}

/** FNV-1a, for stable ids derived from the conversation. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

function chooseTool(
  body: DemoBody,
  lastUserText: string,
): { name: string; parameters?: JsonSchema } | undefined {
  const tools = (body.tools ?? []).flatMap((t) => (t.function?.name ? [t.function as { name: string }] : []));
  if (tools.length === 0 || body.tool_choice === "none") return undefined;
  const choice = body.tool_choice as { function?: { name?: string } } | string | undefined;
  if (typeof choice === "object" && choice?.function?.name)
    return tools.find((t) => t.name === choice.function?.name);
  if (choice === "required") return tools[0];
  const lower = lastUserText.toLowerCase();
  return tools.find((t) => lower.includes(t.name.toLowerCase()));
}

export function demoReply(body: DemoBody): DemoReply {
  const messages = body.messages ?? [];
  const promptText = messages.map((m) => textOf(m.content)).join("\n");
  const promptTokens =
    3 +
    messages.length * 4 +
    countTokens(promptText) +
    (body.tools ? countTokens(JSON.stringify(body.tools)) : 0);
  const last = messages[messages.length - 1];

  let text: string;
  if (last?.role === "tool") {
    text = `The tool returned: ${textOf(last.content).slice(0, 400)}`;
  } else {
    const lastUserText = textOf([...messages].reverse().find((m) => m.role === "user")?.content);
    const tool = chooseTool(body, lastUserText);
    if (tool) {
      return {
        kind: "tool_call",
        id: `call_${hash(promptText + tool.name)}`,
        name: tool.name,
        arguments: JSON.stringify(sampleArguments(tool.parameters)),
        promptTokens,
      };
    }
    const quoted = lastUserText.trim().replace(/\s+/g, " ").slice(0, 200);
    text =
      `Hello from Junction's offline demo model. You said: "${quoted}". ` +
      `Your conversation has ${messages.length} message${messages.length === 1 ? "" : "s"} and about ${countTokens(promptText)} tokens. ` +
      "This answer is generated inside the Worker, so streaming, usage and cost accounting can be tried without any provider account.";
  }

  for (const stop of typeof body.stop === "string" ? [body.stop] : (body.stop ?? [])) {
    const at = stop === "" ? -1 : text.indexOf(stop);
    if (at >= 0) text = text.slice(0, at);
  }
  let pieces = splitTokens(text);
  const limit = body.max_completion_tokens ?? body.max_tokens;
  let finishReason: "stop" | "length" = "stop";
  if (limit !== undefined && pieces.length > limit) {
    pieces = pieces.slice(0, limit);
    finishReason = "length";
  }
  return { kind: "text", pieces, finishReason, promptTokens };
}
