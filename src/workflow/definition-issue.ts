// One problem found in a workflow definition, before its path is printed: the path as segments
// (so a YAML source can point at its line) and a stable code callers may switch on.
import { ValidationError, type ValidationIssue } from "../core/errors.js";
import { formatPath, type PathSegment } from "./definition-paths.js";

/** Stable codes on `ValidationIssue.code` for definition problems. Messages are for people. */
export type DefinitionIssueCode =
  | "syntax" // the YAML or JSON text does not parse
  | "invalid" // a field has the wrong type or value
  | "required" // a required field is missing
  | "unknown_key" // a key the format does not know (a typo such as `depend_on`)
  | "duplicate_id" // two steps share an id
  | "unknown_step" // a dependency, branch target or template names no step
  | "cycle" // steps wait on each other in a loop
  | "unknown_type" // no step type of this name is registered
  | "config" // a step's config does not fit its type's schema
  | "cron" // a schedule trigger's cron or timezone is wrong
  | "template" // a template in config or a mapping is wrong
  | "expression"; // a `when` or decision condition is wrong

export interface DefinitionIssue {
  segments: PathSegment[];
  message: string;
  code: DefinitionIssueCode;
  /** For locating in source text: point at the key rather than its value (unknown keys). */
  atKey?: boolean;
}

export function toValidationIssue(issue: DefinitionIssue, prefix: readonly PathSegment[] = []): ValidationIssue {
  return { path: formatPath([...prefix, ...issue.segments]), message: issue.message, code: issue.code };
}

/** One ValidationError whose message lists every issue (for people); `issues` has them for code. */
export function definitionError(issues: readonly ValidationIssue[], what: string): ValidationError {
  const heading = issues.length === 1 ? what : `${what} (${issues.length} problems)`;
  return new ValidationError([...issues], `${heading}:\n${issues.map((issue) => `  ${issue.path}: ${issue.message}`).join("\n")}`);
}
