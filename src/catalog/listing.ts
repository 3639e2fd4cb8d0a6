/** OpenRouter's `/models` shape, as `@openrouter/sdk` validates it (every required key present). */
import type { Catalog } from "./store";
import type { ModelEntry } from "./types";

export function renderModel(model: ModelEntry) {
  const top = model.endpoints[0];
  const supported = new Set(model.endpoints.flatMap((e) => e.supported_parameters));
  return {
    id: model.id,
    canonical_slug: model.id,
    hugging_face_id: (model.hugging_face_id as string | undefined) ?? null,
    name: model.name,
    created: model.created,
    description: model.description ?? "",
    context_length: model.context_length,
    architecture: {
      modality: `${model.input_modalities.join("+")}->${model.output_modalities.join("+")}`,
      input_modalities: model.input_modalities,
      output_modalities: model.output_modalities,
      tokenizer: model.tokenizer,
      instruct_type: null,
    },
    pricing: top ? { ...top.pricing } : { prompt: "0", completion: "0" },
    top_provider: {
      context_length: top?.context_length ?? model.context_length,
      max_completion_tokens: top?.max_completion_tokens ?? null,
      is_moderated: false,
    },
    per_request_limits: null,
    supported_parameters: [...supported],
    default_parameters: null,
    supported_voices: null,
    knowledge_cutoff: null,
    expiration_date: null,
    links: { details: `/api/v1/models/${model.id}/endpoints` },
  };
}

export function renderModelList(catalog: Catalog) {
  const data = catalog.document.models.map(renderModel);
  return { data, total_count: data.length, links: { next: null } };
}
