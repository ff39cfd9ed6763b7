// Load and validate in one pass, reporting every problem at once (syntax, shape and validation),
// for `synergymesh validate`, the API and the editor. Shape problems do not hide the others.
import type { ValidationIssue } from "../core/errors.js";
import { definitionError, type DefinitionIssue } from "./definition-issue.js";
import { formatPath } from "./definition-paths.js";
import { loadDocument, locateIssues, readInput, sortLocated, type ParseDefinitionOptions } from "./load-definition.js";
import type { WorkflowDefinition } from "./model.js";
import { salvageDefinition } from "./salvage-definition.js";
import { collectValidationIssues, type ValidateDefinitionOptions } from "./validate-definition.js";

export interface CheckDefinitionOptions extends ParseDefinitionOptions, ValidateDefinitionOptions {}

export interface CheckDefinitionResult {
  /** The model when the input loads (even if validation found problems); undefined when it does not. */
  definition: WorkflowDefinition | undefined;
  /** Every problem, in written order when the input was text; empty means the definition is valid. */
  issues: ValidationIssue[];
}

/** True when `path` is `parent` or lies under it: a problem there was already reported. */
function covers(parent: string, path: string): boolean {
  return path === parent || path.startsWith(`${parent}.`) || path.startsWith(`${parent}[`);
}

/**
 * Loads and validates `input`. When the shape is wrong, a patched-over copy is still validated so
 * that cycles, unknown ids and types show with the typos; problems under a bad field are not repeated.
 */
export function checkDefinition(input: string | object, options: CheckDefinitionOptions): CheckDefinitionResult {
  const read = readInput(input, options);
  if (!read.document) return { definition: undefined, issues: sortLocated(locateIssues(read.issues, undefined)) };
  const loaded = loadDocument(read.document);
  const salvaged = loaded.definition || !loaded.data ? undefined : salvageDefinition(loaded.data);
  const model = loaded.definition ?? salvaged?.definition;
  const issues: DefinitionIssue[] = [...loaded.issues];
  if (model) {
    const reported = loaded.issues.map((issue) => formatPath(issue.segments));
    for (const issue of collectValidationIssues(model, options, salvaged?.placeholderIds)) {
      const segments = [...loaded.prefix, ...issue.segments];
      const path = formatPath(segments);
      if (!reported.some((parent) => covers(parent, path))) issues.push({ ...issue, segments });
    }
  }
  return { definition: loaded.definition, issues: sortLocated(locateIssues(issues, read.document)) };
}

/** `checkDefinition`, throwing one ValidationError with every problem; returns the valid model. */
export function requireValidDefinition(input: string | object, options: CheckDefinitionOptions): WorkflowDefinition {
  const { definition, issues } = checkDefinition(input, options);
  if (issues.length > 0 || !definition) throw definitionError(issues, `Invalid workflow definition${options.source ? ` in ${options.source}` : ""}`);
  return definition;
}
