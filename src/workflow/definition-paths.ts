// Error paths in the user's own words: `steps[2].depends_on[0]`, `tasks[1].dependencies[0]`,
// `steps[0].config.headers["X-Api-Key"]`. Every issue the workflow module reports goes through here.
import type { Dialect } from "./model.js";

export type PathSegment = string | number;

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `["steps", 2, "depends_on", 0]` -> `steps[2].depends_on[0]`; the empty path is `(root)`. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === "" ? "(root)" : out;
}

/** Zod paths may hold symbols in theory; definitions never do, so they print as strings. */
export function toSegments(path: readonly PropertyKey[]): PathSegment[] {
  return path.map((segment) => (typeof segment === "number" || typeof segment === "string" ? segment : String(segment)));
}

/** Seed 002 writes `tasks[n].dependencies`; every other dialect `steps[n].depends_on`. */
export function stepSegments(dialect: Dialect, index: number): PathSegment[] {
  return [dialect === "tasks" ? "tasks" : "steps", index];
}

/** The user's name of a step field in the given dialect (only `depends_on` differs). */
export function stepFieldName(dialect: Dialect, field: string): string {
  return dialect === "tasks" && field === "depends_on" ? "dependencies" : field;
}

const PATH_PART = /(?:^|\.)([A-Za-z_$][A-Za-z0-9_$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** The inverse of formatPath, for paths it printed: `triggers[1].config` -> `["triggers", 1, "config"]`. */
export function parsePath(path: string): PathSegment[] {
  if (path === "(root)" || path === "") return [];
  const segments: PathSegment[] = [];
  PATH_PART.lastIndex = 0;
  while (PATH_PART.lastIndex < path.length) {
    const match = PATH_PART.exec(path);
    if (!match) return [path]; // not one of ours: keep it whole rather than guess
    if (match[1] !== undefined) segments.push(match[1]);
    else if (match[2] !== undefined) segments.push(Number(match[2]));
    else segments.push(JSON.parse(match[3] as string) as string);
  }
  return segments;
}
