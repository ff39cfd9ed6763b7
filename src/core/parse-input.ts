// Parses untrusted input with a zod schema and turns every problem into one ValidationError, each
// issue with the path of its field (`statements[1].effect`), so callers see all mistakes at once.
import type * as z from "zod";
import { ValidationError } from "./errors.js";
import type { ValidationIssue } from "./errors.js";

export function formatPath(path: readonly PropertyKey[], base = ""): string {
  let out = base;
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out === "" ? String(segment) : `.${String(segment)}`;
  }
  return out === "" ? "(root)" : out;
}

export function zodIssues(error: z.ZodError, base = ""): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: formatPath(issue.path, base), message: issue.message, code: issue.code }));
}

/** The parsed value, or a ValidationError listing every issue under `base`. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, base = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(zodIssues(result.error, base));
  return result.data;
}
