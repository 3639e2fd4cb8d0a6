/**
 * The `bedrock` family: Amazon Bedrock's Converse API, signed with SigV4 (or a Bedrock API key),
 * streaming over AWS's binary event stream.
 */
import type { ProviderAdapter } from "../types";
import { EventStreamDecoder } from "./event-stream";
import { buildBedrockRequest } from "./request";
import { mapBedrockError, mapConverseResponse } from "./response";
import { BedrockStreamTranslator } from "./stream";

export const bedrockAdapter: ProviderAdapter = {
  buildRequest: (request, target) => buildBedrockRequest(request, target),
  mapResponse: mapConverseResponse,
  createStreamTranslator: () => new BedrockStreamTranslator(),
  createStreamDecoder: () => new EventStreamDecoder(),
  mapError: mapBedrockError,
};
