import { z } from "zod";
import { app } from "./app";
import type { Env } from "./env";

// Workers forbid code generation; tell zod up front instead of letting it probe for eval.
z.config({ jitless: true });

export { KeyGuard } from "./limits/key-guard";
export { EndpointStats } from "./stats/endpoint-stats";

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
