// Turns zod issues into definition issues: one issue per unknown key, at the key's own path, with
// the known keys listed (found by walking the schema), and "required" for missing fields.
import type * as z from "zod";
import { didYouMean } from "./closest-name.js";
import type { DefinitionIssue } from "./definition-issue.js";
import { toSegments, type PathSegment } from "./definition-paths.js";

/** Per-parse error map: a missing field says "required" instead of "expected string, received undefined". */
export const definitionErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.code === "invalid_type" && issue.input === undefined) return `required (expected ${issue.expected})`;
  return undefined;
};

/** The parts of zod's internal definition this walk reads (stable across zod 4 minors). */
interface SchemaDef {
  type: string;
  shape?: Record<string, unknown>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
  options?: unknown[];
  valueType?: unknown;
  getter?: () => unknown;
}

function defOf(schema: unknown): SchemaDef | undefined {
  const internals = (schema as { _zod?: { def?: SchemaDef } } | undefined)?._zod;
  return internals?.def;
}

/** Strips wrappers (optional, default, pipe, lazy, ...) down to the schema that does the work. */
function unwrap(schema: unknown): SchemaDef | undefined {
  let def = defOf(schema);
  for (let guard = 0; def && guard < 20; guard++) {
    if (def.innerType !== undefined) def = defOf(def.innerType);
    else if (def.type === "pipe" && def.in !== undefined) def = defOf(def.in);
    else if (def.type === "lazy" && def.getter) def = defOf(def.getter());
    else return def;
  }
  return def;
}

/** In a union, the one member that can hold `segment` (an object for a key, an array for an index). */
function pickMember(def: SchemaDef | undefined, segment: PathSegment | undefined): SchemaDef | undefined {
  if (def?.type !== "union") return def;
  const fits = (def.options ?? []).map(unwrap).filter((option) => {
    if (segment === undefined || typeof segment === "string") return option?.type === "object" || (segment !== undefined && option?.type === "record");
    return option?.type === "array";
  });
  return fits.length === 1 ? fits[0] : undefined;
}

/** The keys an object schema at `path` knows, or undefined when the walk cannot tell. */
export function knownKeysAt(schema: unknown, path: readonly PathSegment[]): string[] | undefined {
  let def = unwrap(schema);
  for (const segment of path) {
    def = pickMember(def, segment);
    if (def?.type === "object" && typeof segment === "string") def = unwrap(def.shape?.[segment]);
    else if (def?.type === "array" && typeof segment === "number") def = unwrap(def.element);
    else if (def?.type === "record") def = unwrap(def.valueType);
    else return undefined;
  }
  def = pickMember(def, undefined);
  return def?.type === "object" && def.shape ? Object.keys(def.shape) : undefined;
}

/** Maps zod issues under `base` (the segments where `schema` sits in the definition). */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[], schema: unknown, base: readonly PathSegment[] = []): DefinitionIssue[] {
  const out: DefinitionIssue[] = [];
  for (const issue of issues) {
    const segments = [...base, ...toSegments(issue.path)];
    if (issue.code === "unrecognized_keys") {
      const known = knownKeysAt(schema, toSegments(issue.path));
      for (const key of issue.keys) {
        const hint = known ? `${didYouMean(key, known)}; known keys: ${known.join(", ")}` : "";
        out.push({ segments: [...segments, key], message: `unknown key ${JSON.stringify(key)}${hint}`, code: "unknown_key", atKey: true });
      }
    } else if (issue.code === "invalid_type" && issue.message.startsWith("required")) {
      out.push({ segments, message: issue.message, code: "required" });
    } else {
      out.push({ segments, message: issue.message, code: "invalid" });
    }
  }
  return out;
}
