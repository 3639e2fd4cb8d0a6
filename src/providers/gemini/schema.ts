/**
 * JSON Schema → Gemini's `Schema` (a subset of OpenAPI 3.0), for `functionDeclarations[].parameters`
 * and `generationConfig.responseSchema`. Gemini refuses the whole request over any field it does
 * not know, so the output is built from the fields it accepts: references are inlined, `null` in
 * types and unions becomes `nullable`, `oneOf` becomes `anyOf`, `allOf` is merged, and pure
 * validation keywords (`additionalProperties`, `$schema`, `multipleOf`, ...) are left out.
 * Information the model should still see (formats and non-string enums Gemini cannot carry) moves
 * into the description. Pure.
 */
import { cannotExpress, isObject, type Json } from "../translate";

const FAMILY = "Gemini";

/** Fields of Gemini's Schema copied as they are. */
const COPIED = [
  "title",
  "description",
  "default",
  "example",
  "pattern",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
  "minProperties",
  "maxProperties",
  "minimum",
  "maximum",
  "propertyOrdering",
] as const;

const TYPES: Record<string, string> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
};

/** Formats Gemini accepts, per type; others are described instead. */
const FORMATS: Record<string, ReadonlySet<string>> = {
  STRING: new Set(["enum", "date-time"]),
  INTEGER: new Set(["int32", "int64"]),
  NUMBER: new Set(["float", "double"]),
};

/** Inlining stops here: deeper nesting is a reference cycle in all but name. */
const MAX_DEPTH = 32;

interface Context {
  root: Json;
  /** The `$ref`s being inlined on the current path, to refuse cycles. */
  refs: string[];
  depth: number;
}

function describe(out: Json, note: string): void {
  out.description =
    typeof out.description === "string" && out.description !== "" ? `${out.description} (${note})` : note;
}

function resolveRef(ref: string, ctx: Context, path: string): Json {
  if (ref === "#") return ctx.root;
  const match = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  const defs = match ? ctx.root[match[1] as string] : undefined;
  const name = match ? decodeURIComponent((match[2] as string).replace(/~1/g, "/").replace(/~0/g, "~")) : "";
  const target = isObject(defs) ? defs[name] : undefined;
  if (!isObject(target)) throw cannotExpress(FAMILY, path, `unresolvable $ref "${ref}" (only local $defs)`);
  return target;
}

/** Merges `allOf` members into one schema: properties and required lists unite, other fields first-wins. */
function mergeAll(members: Json[]): Json {
  const out: Json = {};
  for (const member of members) {
    for (const [key, value] of Object.entries(member)) {
      if (key === "properties" && isObject(value)) {
        out.properties = { ...(out.properties as Json | undefined), ...value };
      } else if (key === "required" && Array.isArray(value)) {
        out.required = [...new Set([...((out.required as unknown[]) ?? []), ...value])];
      } else if (!(key in out)) {
        out[key] = value;
      }
    }
  }
  return out;
}

function convert(node: unknown, ctx: Context, path: string): Json {
  if (node === true || (isObject(node) && Object.keys(node).length === 0)) return {};
  if (!isObject(node)) throw cannotExpress(FAMILY, path, "expected a JSON schema object");
  if (ctx.depth > MAX_DEPTH) throw cannotExpress(FAMILY, path, "the schema nests too deeply to inline");
  const inner = { ...ctx, depth: ctx.depth + 1 };

  if (typeof node.$ref === "string") {
    if (ctx.refs.includes(node.$ref)) {
      throw cannotExpress(FAMILY, path, `recursive schemas cannot be expressed ($ref "${node.$ref}")`);
    }
    const { $ref, ...siblings } = node;
    const target = resolveRef($ref, ctx, path);
    return convert({ ...target, ...siblings }, { ...inner, refs: [...ctx.refs, $ref] }, path);
  }
  if (Array.isArray(node.allOf)) {
    const { allOf, ...rest } = node;
    const members = allOf.map((m, i) => {
      const member =
        isObject(m) && typeof m.$ref === "string" ? resolveRef(m.$ref, ctx, `${path}.allOf[${i}]`) : m;
      return isObject(member) ? member : {};
    });
    return convert(mergeAll([rest, ...members]), inner, path);
  }

  const out: Json = {};
  for (const key of COPIED) if (node[key] !== undefined) out[key] = node[key];

  let nullable = node.nullable === true;
  const union = Array.isArray(node.anyOf) ? node.anyOf : Array.isArray(node.oneOf) ? node.oneOf : undefined;
  if (union) {
    const variants = union.filter((v) => !(isObject(v) && v.type === "null"));
    nullable ||= variants.length < union.length;
    const converted = variants.map((v, i) => convert(v, inner, `${path}.anyOf[${i}]`));
    if (converted.length === 1) {
      // `anyOf: [X, null]` is how generators spell an optional X; Gemini says `nullable`.
      const only = converted[0] as Json;
      for (const key in only) if (!(key in out)) out[key] = only[key];
    } else if (converted.length > 1) {
      out.anyOf = converted;
    }
  }

  let type: string | undefined;
  const types = Array.isArray(node.type) ? node.type : node.type === undefined ? [] : [node.type];
  const concrete = types.filter((t) => t !== "null");
  nullable ||= concrete.length < types.length;
  if (concrete.length === 1) type = TYPES[String(concrete[0])];
  else if (concrete.length > 1) {
    // `type: [A, B]` is a union of one schema per type; each variant keeps the type's keywords,
    // the annotations stay on the union.
    const { type: _type, title, description, nullable: _nullable, ...rest } = node;
    const union: Json = {};
    if (title !== undefined) union.title = title;
    if (description !== undefined) union.description = description;
    union.anyOf = concrete.map((t, i) => convert({ ...rest, type: t }, inner, `${path}.type[${i}]`));
    if (nullable) union.nullable = true;
    return union;
  }
  if (node.const !== undefined && node.enum === undefined) {
    type ??=
      typeof node.const === "number" ? "NUMBER" : typeof node.const === "boolean" ? "BOOLEAN" : "STRING";
  }
  if (type === undefined && out.anyOf === undefined && typeof out.type !== "string") {
    if (isObject(node.properties)) type = "OBJECT";
    else if (node.items !== undefined) type = "ARRAY";
  }
  if (type !== undefined) out.type = type;

  const values = Array.isArray(node.enum) ? node.enum : node.const !== undefined ? [node.const] : undefined;
  if (values) {
    const present = values.filter((v) => v !== null);
    nullable ||= present.length < values.length;
    if (out.type === undefined || out.type === "STRING") {
      out.type = "STRING";
      out.enum = present.map(String);
    } else {
      // Gemini enumerates strings only; the model still learns the allowed values.
      describe(out, `one of: ${present.map((v) => JSON.stringify(v)).join(", ")}`);
    }
  }
  if (typeof node.format === "string") {
    if (FORMATS[String(out.type)]?.has(node.format)) out.format = node.format;
    else describe(out, `format: ${node.format}`);
  }
  if (nullable) out.nullable = true;

  if (isObject(node.properties)) {
    const properties: Json = {};
    for (const [name, value] of Object.entries(node.properties)) {
      properties[name] = convert(value, inner, `${path}.properties.${name}`);
    }
    out.properties = properties;
  }
  if (Array.isArray(node.required) && node.required.length > 0) out.required = node.required;
  if (node.items !== undefined) {
    if (Array.isArray(node.items)) {
      // A tuple: Gemini has no positions, so each element may be any of the listed schemas.
      const items = node.items.map((item, i) => convert(item, inner, `${path}.items[${i}]`));
      out.items = items.length === 1 ? items[0] : { anyOf: items };
    } else {
      out.items = convert(node.items, inner, `${path}.items`);
    }
  }
  return out;
}

/** Converts a JSON schema; `path` names it in errors (`tools[0].function.parameters`). */
export function toGeminiSchema(schema: Json, path: string): Json {
  return convert(schema, { root: schema, refs: [], depth: 0 }, path);
}
