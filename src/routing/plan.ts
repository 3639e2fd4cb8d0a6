/**
 * Planning: which endpoints to try for a request, in order. Pure: everything it needs is passed in.
 * This first version resolves `model` and the `models` fallback list and keeps endpoints that have
 * an adapter and credentials; the routing issue adds preferences, health and price ordering.
 */
import type { Catalog } from "../catalog/store";
import type { ResolvedEndpoint } from "../catalog/types";
import { JunctionError } from "../errors";
import type { ChatRequest } from "../schema/chat";

export interface PlanInput {
  request: ChatRequest;
  catalog: Catalog;
  /** Whether the Worker can authenticate to a provider (a key is configured, or none is needed). */
  hasCredentials(provider: ResolvedEndpoint["provider"]): boolean;
  /** Whether an adapter exists for the provider's API family. */
  hasAdapter(provider: ResolvedEndpoint["provider"]): boolean;
}

export interface Plan {
  attempts: ResolvedEndpoint[];
  /** Why endpoints were left out, for error metadata: `provider/model: reason`. */
  excluded: { provider: string; model: string; reason: string }[];
}

export function requestedModels(request: ChatRequest): string[] {
  const ids = [...(request.model ? [request.model] : []), ...(request.models ?? [])];
  return [...new Set(ids)];
}

export function plan(input: PlanInput): Plan {
  const { request, catalog } = input;
  const ids = requestedModels(request);
  const unknown = ids.filter((id) => catalog.model(id) === undefined);
  if (unknown.length === ids.length) {
    throw new JunctionError(
      404,
      `Model ${ids.map((id) => JSON.stringify(id)).join(", ")} not found`,
      "not_found",
      {
        models: ids,
      },
    );
  }
  const attempts: ResolvedEndpoint[] = [];
  const excluded: Plan["excluded"] = [];
  for (const id of ids) {
    const model = catalog.model(id);
    if (!model) {
      excluded.push({ provider: "-", model: id, reason: "unknown model" });
      continue;
    }
    for (const resolved of catalog.endpoints(model)) {
      const reason = !input.hasAdapter(resolved.provider)
        ? `no adapter for API family "${resolved.provider.api}"`
        : !input.hasCredentials(resolved.provider)
          ? "no credentials configured"
          : undefined;
      if (reason) excluded.push({ provider: resolved.provider.slug, model: id, reason });
      else attempts.push(resolved);
    }
  }
  return { attempts, excluded };
}
