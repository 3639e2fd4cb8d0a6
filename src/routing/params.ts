/**
 * The parameters a request uses, named as catalog endpoints list them in `supported_parameters`
 * (OpenRouter's names), for `provider.require_parameters` and the tools/response_format preference.
 */
import type { ChatRequest } from "../schema/chat";

/** Request fields that are sampling or output parameters, by their catalog name. */
const PARAMETER_FIELDS: Record<string, string> = {
  temperature: "temperature",
  top_p: "top_p",
  top_k: "top_k",
  min_p: "min_p",
  top_a: "top_a",
  frequency_penalty: "frequency_penalty",
  presence_penalty: "presence_penalty",
  repetition_penalty: "repetition_penalty",
  seed: "seed",
  stop: "stop",
  logit_bias: "logit_bias",
  logprobs: "logprobs",
  top_logprobs: "top_logprobs",
  max_tokens: "max_tokens",
  max_completion_tokens: "max_tokens",
  tools: "tools",
  tool_choice: "tool_choice",
  parallel_tool_calls: "parallel_tool_calls",
  response_format: "response_format",
  reasoning: "reasoning",
  include_reasoning: "include_reasoning",
  web_search_options: "web_search_options",
  verbosity: "verbosity",
};

export function requestedParameters(request: ChatRequest): Set<string> {
  const used = new Set<string>();
  const fields = request as Record<string, unknown>;
  for (const field in PARAMETER_FIELDS) {
    const value = fields[field];
    if (value === undefined || value === null) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    used.add(PARAMETER_FIELDS[field] as string);
  }
  if (request.response_format?.type === "json_schema") used.add("structured_outputs");
  return used;
}

/** Input modalities a request needs beyond text. */
export function requestedModalities(request: ChatRequest): Set<string> {
  const needed = new Set<string>();
  for (const message of request.messages) {
    const content = (message as { content?: unknown }).content;
    if (!Array.isArray(content)) continue;
    for (const part of content as { type: string }[]) {
      if (part.type === "image_url") needed.add("image");
      else if (part.type === "file") needed.add("file");
      else if (part.type === "input_audio") needed.add("audio");
      else if (part.type === "input_video" || part.type === "video_url") needed.add("video");
    }
  }
  return needed;
}
