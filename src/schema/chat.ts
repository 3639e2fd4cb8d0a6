/**
 * The chat request: OpenAI's chat completion request plus OpenRouter's extras, validated with zod.
 * Objects are loose: unknown fields are kept, so they reach OpenAI-family upstreams unchanged
 * (DESIGN.md §1: no allow-list that silently drops parameters).
 */
import { z } from "zod";

const cacheControl = z.looseObject({ type: z.string() }).optional();

const textPart = z.looseObject({ type: z.literal("text"), text: z.string(), cache_control: cacheControl });
const imagePart = z.looseObject({
  type: z.literal("image_url"),
  image_url: z.looseObject({ url: z.string().min(1), detail: z.enum(["auto", "low", "high"]).optional() }),
});
const audioPart = z.looseObject({
  type: z.literal("input_audio"),
  input_audio: z.looseObject({ data: z.string(), format: z.string() }),
});
const filePart = z.looseObject({
  type: z.literal("file"),
  file: z.looseObject({
    filename: z.string().optional(),
    file_data: z.string().optional(),
    file_id: z.string().optional(),
  }),
});
const videoPart = z.looseObject({ type: z.enum(["input_video", "video_url"]) });
const refusalPart = z.looseObject({ type: z.literal("refusal"), refusal: z.string() });

export const contentPart = z.discriminatedUnion("type", [
  textPart,
  imagePart,
  audioPart,
  filePart,
  videoPart,
]);
export type ContentPart = z.infer<typeof contentPart>;

const textContent = z.union([z.string(), z.array(textPart)], {
  error: "expected a string or an array of text parts",
});
const userContent = z.union([z.string(), z.array(contentPart)], {
  error: "expected a string or an array of content parts (text, image_url, input_audio, file)",
});

export const toolCall = z.looseObject({
  id: z.string(),
  type: z.literal("function"),
  function: z.looseObject({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof toolCall>;

const systemMessage = z.looseObject({
  role: z.literal("system"),
  content: textContent,
  name: z.string().optional(),
});
const developerMessage = z.looseObject({
  role: z.literal("developer"),
  content: textContent,
  name: z.string().optional(),
});
const userMessage = z.looseObject({
  role: z.literal("user"),
  content: userContent,
  name: z.string().optional(),
});
const assistantMessage = z.looseObject({
  role: z.literal("assistant"),
  content: z.union([z.string(), z.array(z.discriminatedUnion("type", [textPart, refusalPart]))]).nullish(),
  name: z.string().optional(),
  refusal: z.string().nullish(),
  tool_calls: z.array(toolCall).optional(),
  reasoning: z.string().nullish(),
});
const toolMessage = z.looseObject({
  role: z.literal("tool"),
  content: userContent,
  tool_call_id: z.string(),
});
const functionMessage = z.looseObject({
  role: z.literal("function"),
  content: z.string().nullable(),
  name: z.string(),
});

export const message = z.discriminatedUnion("role", [
  systemMessage,
  developerMessage,
  userMessage,
  assistantMessage,
  toolMessage,
  functionMessage,
]);
export type Message = z.infer<typeof message>;

export const tool = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullish(),
  }),
});
export type Tool = z.infer<typeof tool>;

export const toolChoice = z.union(
  [
    z.enum(["none", "auto", "required"]),
    z.looseObject({ type: z.literal("function"), function: z.looseObject({ name: z.string() }) }),
  ],
  { error: 'expected "none", "auto", "required" or {"type": "function", "function": {"name": ...}}' },
);

export const responseFormat = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({
      name: z.string(),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
  z.looseObject({ type: z.literal("grammar"), grammar: z.string() }),
  z.looseObject({ type: z.literal("python") }),
]);

/** USD per million tokens, as a number or a decimal string (OpenRouter accepts both). */
const priceLimit = z.union([
  z.number().nonnegative(),
  z.string().regex(/^\d+(\.\d+)?$/, "expected a decimal string"),
]);

const percentileLimit = z.union([
  z.number().nonnegative(),
  z.looseObject({
    p50: z.number().optional(),
    p75: z.number().optional(),
    p90: z.number().optional(),
    p99: z.number().optional(),
  }),
]);

export const providerPreferences = z.looseObject({
  order: z.array(z.string()).optional(),
  allow_fallbacks: z.boolean().optional(),
  require_parameters: z.boolean().optional(),
  data_collection: z.enum(["allow", "deny"]).optional(),
  zdr: z.boolean().optional(),
  only: z.array(z.string()).optional(),
  ignore: z.array(z.string()).optional(),
  quantizations: z.array(z.string()).optional(),
  sort: z
    .union([
      z.enum(["price", "throughput", "latency"]),
      z.looseObject({
        by: z.enum(["price", "throughput", "latency"]),
        partition: z.enum(["model", "none"]).optional(),
      }),
    ])
    .optional(),
  max_price: z
    .looseObject({
      prompt: priceLimit.optional(),
      completion: priceLimit.optional(),
      request: priceLimit.optional(),
      image: priceLimit.optional(),
    })
    .optional(),
  preferred_min_throughput: percentileLimit.optional(),
  preferred_max_latency: percentileLimit.optional(),
});
export type ProviderPreferences = z.infer<typeof providerPreferences>;

export const reasoning = z.looseObject({
  effort: z.enum(["xhigh", "high", "medium", "low", "minimal", "none"]).optional(),
  max_tokens: z.int().positive().optional(),
  exclude: z.boolean().optional(),
  enabled: z.boolean().optional(),
});

const positiveInt = z.int().positive();

export const chatRequest = z
  .looseObject({
    model: z.string().min(1).optional(),
    models: z.array(z.string().min(1)).optional(),
    messages: z.array(message).min(1, "messages must contain at least one message"),
    stream: z.boolean().nullish(),
    stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
    max_tokens: positiveInt.nullish(),
    max_completion_tokens: positiveInt.nullish(),
    temperature: z.number().min(0).max(2).nullish(),
    top_p: z.number().min(0).max(1).nullish(),
    top_k: z.int().nonnegative().nullish(),
    min_p: z.number().min(0).max(1).nullish(),
    top_a: z.number().min(0).max(1).nullish(),
    frequency_penalty: z.number().min(-2).max(2).nullish(),
    presence_penalty: z.number().min(-2).max(2).nullish(),
    repetition_penalty: z.number().min(0).max(2).nullish(),
    n: positiveInt.nullish(),
    seed: z.int().nullish(),
    stop: z
      .union([z.string(), z.array(z.string())], { error: "expected a string or an array of strings" })
      .nullish(),
    logprobs: z.boolean().nullish(),
    top_logprobs: z.int().min(0).max(20).nullish(),
    logit_bias: z.record(z.string(), z.number()).nullish(),
    tools: z.array(tool).nullish(),
    tool_choice: toolChoice.nullish(),
    parallel_tool_calls: z.boolean().nullish(),
    response_format: responseFormat.nullish(),
    user: z.string().nullish(),
    session_id: z.string().max(256).nullish(),
    provider: providerPreferences.nullish(),
    reasoning: reasoning.nullish(),
    usage: z.looseObject({ include: z.boolean().optional() }).nullish(),
    transforms: z.array(z.string()).nullish(),
    plugins: z.array(z.looseObject({ id: z.string() })).nullish(),
    route: z.enum(["fallback"]).nullish(),
    modalities: z.array(z.string()).nullish(),
  })
  .refine((r) => r.model !== undefined || (r.models !== undefined && r.models.length > 0), {
    message: "model is required (or a non-empty models list)",
    path: ["model"],
  });

export type ChatRequest = z.infer<typeof chatRequest>;

/** Renders a zod path as a JSON path: `messages[0].content[1].type`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(body)" : out;
}

export interface RequestIssue {
  path: string;
  message: string;
}

type Issue = z.core.$ZodIssue;

/**
 * A union's own message ("Invalid input") hides what is wrong. When the value had the right type
 * for one branch and failed deeper inside it, that branch's issues are the useful ones.
 */
function explain(issue: Issue, base: readonly PropertyKey[]): RequestIssue[] {
  const path = [...base, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    let best: Issue[] | undefined;
    let depth = 0;
    for (const branch of issue.errors) {
      const branchDepth = Math.max(0, ...branch.map((i) => i.path.length));
      if (branchDepth > depth) {
        best = branch;
        depth = branchDepth;
      }
    }
    if (best) return best.flatMap((inner) => explain(inner, path));
  }
  return [{ path: formatPath(path), message: issue.message }];
}

/** The first problems of a failed parse, each with its JSON path. */
export function describeIssues(error: z.ZodError): RequestIssue[] {
  return error.issues.flatMap((issue) => explain(issue, [])).slice(0, 10);
}

/** Validates a parsed JSON body; returns the request or the issues, each with its JSON path. */
export function parseChatRequest(
  body: unknown,
): { ok: true; request: ChatRequest } | { ok: false; issues: RequestIssue[] } {
  const result = chatRequest.safeParse(body);
  if (result.success) return { ok: true, request: result.data };
  return { ok: false, issues: describeIssues(result.error) };
}
