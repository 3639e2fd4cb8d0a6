/**
 * The catalog document (DESIGN.md §4). Prices are decimal strings in USD per token
 * (per request / per image for those keys). Extra fields are allowed and kept.
 */

export type ApiFamily =
  | "openai"
  | "anthropic"
  | "gemini"
  | "bedrock"
  | "azure"
  | "cohere"
  | "workers-ai"
  | "demo";

export interface ProviderRegion {
  id: string;
  lat: number;
  lon: number;
  /** ISO 3166-1 alpha-2 country code of the datacenter (listed as `datacenters` by `/providers`). */
  country?: string;
}

export interface DataPolicy {
  training: boolean;
  retains_prompts: boolean;
  zdr: boolean;
}

export interface ProviderEntry {
  slug: string;
  name: string;
  api: ApiFamily;
  base_url: string;
  /** False for providers that take no credential (local servers, the demo provider). */
  requires_key?: boolean;
  regions?: ProviderRegion[];
  data_policy?: DataPolicy;
  privacy_policy_url?: string;
  terms_of_service_url?: string;
  status_page_url?: string;
  headquarters?: string;
  [extra: string]: unknown;
}

export interface Pricing {
  prompt: string;
  completion: string;
  request?: string;
  image?: string;
  input_cache_read?: string;
  input_cache_write?: string;
  internal_reasoning?: string;
  web_search?: string;
  [extra: string]: string | undefined;
}

export interface EndpointEntry {
  provider: string;
  provider_model_id: string;
  context_length: number;
  max_completion_tokens: number | null;
  quantization: string | null;
  pricing: Pricing;
  supported_parameters: string[];
  [extra: string]: unknown;
}

export interface ModelEntry {
  id: string;
  name: string;
  created: number;
  description?: string;
  context_length: number;
  input_modalities: string[];
  output_modalities: string[];
  tokenizer: string;
  hugging_face_id?: string | null;
  endpoints: EndpointEntry[];
  [extra: string]: unknown;
}

export interface CatalogDocument {
  /** Where the prices came from and when, e.g. "LiteLLM model_prices_and_context_window.json, 2026-11-01". */
  source?: string;
  providers: ProviderEntry[];
  models: ModelEntry[];
  [extra: string]: unknown;
}

/** An endpoint joined with its provider: what routing and the adapters work with. */
export interface ResolvedEndpoint {
  model: ModelEntry;
  endpoint: EndpointEntry;
  provider: ProviderEntry;
}
