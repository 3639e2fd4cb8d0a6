/** The `cohere` family: Cohere's Chat API v2, JSON and server-sent events. */
import type { ProviderAdapter } from "../types";
import { buildCohereRequest } from "./request";
import { mapCohereError, mapCohereResponse } from "./response";
import { CohereStreamTranslator } from "./stream";

export const cohereAdapter: ProviderAdapter = {
  buildRequest: buildCohereRequest,
  mapResponse: mapCohereResponse,
  createStreamTranslator: () => new CohereStreamTranslator(),
  mapError: mapCohereError,
};
