import type { z } from "zod";
import { badRequest, JunctionError } from "../errors";
import { describeIssues } from "../schema/chat";

/** Largest request body accepted (images travel inline as base64). */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** Reads a JSON body: checks the content type and size, and says where a syntax error is. */
export async function readJsonBody(request: Request): Promise<unknown> {
  const type = request.headers.get("content-type");
  if (type === null || !JSON_TYPE.test(type)) {
    throw new JunctionError(
      415,
      `Content-Type must be application/json (got ${type === null ? "none" : JSON.stringify(type)})`,
      "invalid_request",
    );
  }
  const length = request.headers.get("content-length");
  const declared = length === null ? Number.NaN : Number(length);
  if (declared > MAX_BODY_BYTES) throw tooLarge();
  // With a declared length the runtime enforces it, so the body can be read in one go.
  const text = Number.isFinite(declared) ? await request.text() : await readLimited(request);
  if (text.trim() === "") throw badRequest("Request body is empty; expected a JSON object");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`Request body is not valid JSON: ${(error as Error).message}`);
  }
}

function tooLarge(): JunctionError {
  return new JunctionError(413, `Request body exceeds ${MAX_BODY_BYTES} bytes`, "payload_too_large");
}

/** Reads the body as text, refusing bodies that grow past the limit without a Content-Length. */
async function readLimited(request: Request): Promise<string> {
  if (request.body === null) return "";
  const reader = request.body.getReader();
  const decoder = new TextDecoder();
  let size = 0;
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}

/** Validates with a zod schema; the 400 names the JSON path of the first problems. */
export function validate<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const first = issues[0];
  throw badRequest(first ? `Invalid request: ${first.path}: ${first.message}` : "Invalid request", {
    issues,
  });
}
