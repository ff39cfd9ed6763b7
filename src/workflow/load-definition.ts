// The loading pipeline shared by parseDefinition and checkDefinition: input -> source document ->
// shape issues (zod + cross-field) or the normalized model; issues located at their line in the text.
import type * as z from "zod";
import type { ValidationIssue } from "../core/errors.js";
import { definitionError, toValidationIssue, type DefinitionIssue } from "./definition-issue.js";
import type { PathSegment } from "./definition-paths.js";
import { crossFieldIssues, isRecord } from "./definition-rules.js";
import { createBodySchema, definitionSchema, type RawDefinition } from "./definition-schema.js";
import {
  describePosition,
  readDefinitionText,
  sourceFromData,
  type DefinitionFormat,
  type SourceDocument,
  type SourcePosition,
} from "./definition-source.js";
import type { WorkflowDefinition } from "./model.js";
import { normalizeDefinition } from "./normalize-definition.js";
import { definitionErrorMap, fromZodIssues } from "./zod-issues.js";

export interface ParseDefinitionOptions {
  /** Force a text format. Default: JSON when the text starts with `{`, else YAML (JSON is YAML too). */
  format?: DefinitionFormat;
  /** A file name or label, used in the error message (`flow.yaml`). */
  source?: string;
}

export interface LoadResult {
  /** The model, when the input has no shape problem. */
  definition: WorkflowDefinition | undefined;
  /** Shape problems, paths from the input's root (so under `definition.` for a wrapper). */
  issues: DefinitionIssue[];
  /** Where the definition sits in the input: `[]`, or `["definition"]` inside a create body. */
  prefix: PathSegment[];
  /** The definition object as written, when there is one (for checkDefinition's salvage). */
  data: Record<string, unknown> | undefined;
}

export type ReadResult = { document: SourceDocument; issues?: undefined } | { document?: undefined; issues: DefinitionIssue[] };

export function readInput(input: string | object, options: ParseDefinitionOptions): ReadResult {
  if (typeof input !== "string") return { document: sourceFromData(input) };
  const read = readDefinitionText(input, options.format);
  return read.ok ? { document: read.document } : { issues: read.issues };
}

function describeType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `a ${typeof value}`;
}

function definitionIssues(data: Record<string, unknown>, prefix: PathSegment[]): { raw: RawDefinition | undefined; issues: DefinitionIssue[] } {
  const parsed = definitionSchema.safeParse(data, { error: definitionErrorMap });
  const issues = [...(parsed.success ? [] : fromZodIssues(parsed.error.issues, definitionSchema)), ...crossFieldIssues(data)];
  return { raw: parsed.success ? parsed.data : undefined, issues: issues.map((issue) => ({ ...issue, segments: [...prefix, ...issue.segments] })) };
}

/** The wrapper names the workflow; its fields win over the definition's own. */
function mergeWrapper(definition: WorkflowDefinition, wrapper: z.output<typeof createBodySchema>): WorkflowDefinition {
  const extra = { ...definition.extra };
  if (wrapper.tags !== undefined) extra.tags = wrapper.tags;
  if (wrapper.owner_id !== undefined) extra.ownerId = wrapper.owner_id;
  if (wrapper.status !== undefined) extra.status = wrapper.status;
  if (wrapper.is_template !== undefined) extra.isTemplate = wrapper.is_template;
  if (wrapper.category !== undefined) extra.category = wrapper.category;
  if (wrapper.metadata !== undefined) extra.metadata = wrapper.metadata;
  return { ...definition, name: wrapper.name ?? definition.name, description: wrapper.description ?? definition.description, extra };
}

/** Shape-checks and normalizes a document's data: a bare definition or seed 001's create-body wrapper. */
export function loadDocument(document: SourceDocument): LoadResult {
  const data = document.data;
  if (!isRecord(data)) {
    const message =
      data === null || data === undefined
        ? "the definition is empty: write a mapping with steps (or tasks)"
        : `a workflow definition is a mapping (an object) with steps or tasks, not ${describeType(data)}`;
    return { definition: undefined, issues: [{ segments: [], message, code: "invalid" }], prefix: [], data: undefined };
  }
  if (!Object.hasOwn(data, "definition")) {
    const { raw, issues } = definitionIssues(data, []);
    const definition = raw && issues.length === 0 ? normalizeDefinition(raw) : undefined;
    return { definition, issues, prefix: [], data };
  }
  // A wrapper (SPEC D "Create body"): its own fields, then the definition under `definition.`.
  const wrapped = createBodySchema.safeParse(data, { error: definitionErrorMap });
  const issues = wrapped.success ? [] : fromZodIssues(wrapped.error.issues, createBodySchema);
  const inner = isRecord(data.definition) ? data.definition : undefined;
  let raw: RawDefinition | undefined;
  if (inner) {
    const checked = definitionIssues(inner, ["definition"]);
    issues.push(...checked.issues);
    raw = checked.raw;
  }
  const definition = raw && wrapped.success && issues.length === 0 ? mergeWrapper(normalizeDefinition(raw), wrapped.data) : undefined;
  return { definition, issues, prefix: ["definition"], data: inner };
}

export interface LocatedIssue {
  issue: ValidationIssue;
  position: SourcePosition | undefined;
}

/** Formats issues (paths already from the input's root), adding `(line L, column C)` when known. */
export function locateIssues(issues: readonly DefinitionIssue[], document: SourceDocument | undefined): LocatedIssue[] {
  return issues.map((issue) => {
    const base = toValidationIssue(issue);
    if (issue.code === "syntax" || !document) return { issue: base, position: undefined };
    const position = document.locate(issue.segments, issue.atKey);
    return { issue: position ? { ...base, message: `${base.message} (${describePosition(position)})` } : base, position };
  });
}

/** Written order reads best; issues without a position keep their relative order after the rest. */
export function sortLocated(located: readonly LocatedIssue[]): ValidationIssue[] {
  return located
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => {
      if (a.position && b.position) return a.position.line - b.position.line || a.position.column - b.position.column || a.index - b.index;
      if (a.position || b.position) return a.position ? -1 : 1;
      return a.index - b.index;
    })
    .map((entry) => entry.issue);
}

/** Loads or throws: the strict path behind parseDefinition. */
export function loadOrThrow(input: string | object, options: ParseDefinitionOptions): WorkflowDefinition {
  const what = `Invalid workflow definition${options.source ? ` in ${options.source}` : ""}`;
  const read = readInput(input, options);
  if (!read.document) throw definitionError(sortLocated(locateIssues(read.issues, undefined)), what);
  const loaded = loadDocument(read.document);
  if (!loaded.definition) throw definitionError(sortLocated(locateIssues(loaded.issues, read.document)), what);
  return loaded.definition;
}
