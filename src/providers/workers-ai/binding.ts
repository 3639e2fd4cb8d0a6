/**
 * Workers AI through the `AI` binding. The adapter builds the REST request (OpenAI's chat format);
 * when the Worker has the binding, the transport turns that request into `env.AI.run(model,
 * inputs)` and the binding's answer back into a Response, so the rest of the gateway is unchanged.
 *
 * The binding answers in its own shape (`{response, tool_calls, usage}`; streams of SSE events of
 * that shape), or in OpenAI's for the models that speak it; `response.ts` and `stream.ts` read both.
 */
import { isObject, type Json } from "../translate";
import type { TransportContext } from "../types";

/** OpenAI body → the binding's inputs. Pure: renames where the binding differs, the rest as sent. */
export function bindingInputs(body: Json): { model: string; inputs: Json } {
  const { model, stream_options: _usageIsAlwaysReported, max_completion_tokens, ...inputs } = body;
  // The binding has one output limit, under its older name.
  if (max_completion_tokens != null && inputs.max_tokens == null) inputs.max_tokens = max_completion_tokens;
  return { model: String(model), inputs };
}

/** Workers AI error codes (https://developers.cloudflare.com/workers-ai/platform/errors/) → HTTP status. */
const ERROR_STATUS: Record<number, number> = {
  3003: 400,
  3006: 413,
  3007: 408,
  3008: 408,
  3023: 403,
  3036: 429,
  3039: 400,
  3040: 429,
  3041: 403,
  3042: 404,
  5004: 400,
  5005: 405,
  5006: 400,
  5007: 400,
  5016: 403,
  5018: 403,
  5019: 405,
};

/**
 * A binding error ("3040: Capacity temporarily exceeded, please try again.") as the HTTP answer
 * the REST API gives for it: status from the code, Cloudflare's `{errors: [{code, message}]}` body.
 */
export function bindingErrorResponse(error: unknown): Response {
  const message = error instanceof Error ? error.message : String(error);
  const match = /\b([35]\d{3})\b/.exec(message);
  const code = match ? Number(match[1]) : undefined;
  const status = (code !== undefined ? ERROR_STATUS[code] : undefined) ?? 500;
  return Response.json(
    { success: false, result: null, errors: [{ code: code ?? 0, message }], messages: [] },
    { status },
  );
}

/** The transport: the binding when the Worker has one, else the REST API over `fetch`. */
export async function workersAITransport(request: Request, context: TransportContext): Promise<Response> {
  const ai = context.env.AI;
  if (!ai) return fetch(request, { signal: context.signal });
  const body: unknown = await request.json();
  if (!isObject(body)) return bindingErrorResponse(new Error("5006: the request body is not an object"));
  const { model, inputs } = bindingInputs(body);
  let output: unknown;
  try {
    // The model id comes from the catalog; the binding's overloads are keyed by its own model list.
    output = await (
      ai as unknown as { run(model: string, inputs: Json, options: AiOptions): Promise<unknown> }
    ).run(model, inputs, { signal: context.signal });
  } catch (error) {
    if (context.signal.aborted) throw error;
    return bindingErrorResponse(error);
  }
  if (output instanceof ReadableStream) {
    return new Response(output, { headers: { "content-type": "text/event-stream" } });
  }
  // Some text models answer with a bare string.
  return Response.json(typeof output === "string" ? { response: output } : output);
}
