// Validating a loaded definition (SPEC D "validates"): every problem at once, each with its path:
// ids, references, cycles, registered step types and their config, cron, templates, expressions.
import type { ZodType } from "zod";
import type { ValidationIssue } from "../core/errors.js";
import { closestName, didYouMean } from "./closest-name.js";
import { decisionOutcomes, isDecisionStep } from "./decision-config.js";
import { definitionError, toValidationIssue, type DefinitionIssue, type DefinitionIssueCode } from "./definition-issue.js";
import { formatPath, parsePath, stepFieldName, stepSegments, type PathSegment } from "./definition-paths.js";
import { isRecord } from "./definition-rules.js";
import { ID_PATTERN } from "./definition-schema.js";
import { StepGraph } from "./graph.js";
import type { Dialect, StepDefinition, WorkflowDefinition } from "./model.js";
import { cronProblem, timezoneProblem } from "./schedule-check.js";
import { definitionErrorMap, fromZodIssues } from "./zod-issues.js";

/** What validation needs to know of a registered step type. */
export interface StepTypeInfo {
  /** Checked against the step's `config` (templates unrendered, so schemas should accept template strings). */
  configSchema?: ZodType;
}

export interface ValidateDefinitionOptions {
  /** Every registered step type by name. A step whose type is not here is an error. */
  stepTypes: ReadonlyMap<string, StepTypeInfo>;
  /** Problems of one string that may hold templates (`{{variables.x}}`); empty when fine. */
  checkTemplate?: (text: string) => string[];
  /** The problem of one condition expression (`when`, decision `if`, condition `expression`), or undefined when fine. */
  checkExpression?: (source: string) => string | undefined;
}

/** Long id lists in messages are cut here. */
const MAX_LISTED = 20;
/** `{{ steps.<id>` at the start of a template: the step must exist. */
const STEP_REFERENCE = /\{\{\s*steps\.([A-Za-z0-9_-]+)/g;

function listNames(names: readonly string[]): string {
  if (names.length === 0) return "(none)";
  const shown = names.slice(0, MAX_LISTED).join(", ");
  return names.length > MAX_LISTED ? `${shown}, ... (${names.length - MAX_LISTED} more)` : shown;
}

class IssueList {
  readonly issues: DefinitionIssue[] = [];
  add(segments: readonly PathSegment[], message: string, code: DefinitionIssueCode): void {
    this.issues.push({ segments: [...segments], message, code });
  }
}

/** Calls `visit` for every string inside `value` with its segments; a cyclic object is not re-entered. */
function forEachString(value: unknown, at: PathSegment[], visit: (text: string, at: PathSegment[]) => void, ancestors = new Set<object>()): void {
  if (typeof value === "string") {
    visit(value, at);
    return;
  }
  if (typeof value !== "object" || value === null || ancestors.has(value)) return;
  ancestors.add(value);
  if (Array.isArray(value)) value.forEach((item: unknown, index) => forEachString(item, [...at, index], visit, ancestors));
  else for (const [key, item] of Object.entries(value)) forEachString(item, [...at, key], visit, ancestors);
  ancestors.delete(value);
}

interface StepContext {
  step: StepDefinition;
  base: PathSegment[];
  dialect: Dialect;
  ids: ReadonlySet<string>;
  idList: readonly string[];
}

function field(context: StepContext, name: string, ...rest: PathSegment[]): PathSegment[] {
  return [...context.base, stepFieldName(context.dialect, name), ...rest];
}

function unknownStepMessage(id: string, context: StepContext, what: string): string {
  return `${what} ${JSON.stringify(id)}, which is not a step of this workflow${didYouMean(id, context.idList)}; known steps: ${listNames(context.idList)}`;
}

function checkReferences(context: StepContext, out: IssueList): void {
  const lists = [
    ["depends_on", context.step.dependsOn, "depends on"],
    ["on_success", context.step.onSuccess, "on success starts"],
    ["on_failure", context.step.onFailure, "on failure starts"],
  ] as const;
  for (const [name, ids, what] of lists) {
    ids.forEach((id, index) => {
      if (!context.ids.has(id)) out.add(field(context, name, index), unknownStepMessage(id, context, what), "unknown_step");
    });
  }
}

function checkType(context: StepContext, options: ValidateDefinitionOptions, out: IssueList): void {
  const { step } = context;
  const info = options.stepTypes.get(step.type);
  if (!info) {
    const known = [...options.stepTypes.keys()].sort();
    const listed = known.length === 0 ? "no step types are registered" : `known types: ${known.join(", ")}`;
    out.add(field(context, "type"), `unknown step type ${JSON.stringify(step.type)}${didYouMean(step.type, known)}; ${listed}`, "unknown_type");
    return;
  }
  if (!info.configSchema) return;
  const result = info.configSchema.safeParse(step.config, { error: definitionErrorMap });
  if (result.success) return;
  for (const issue of fromZodIssues(result.error.issues, info.configSchema, field(context, "config"))) {
    out.issues.push({ ...issue, code: issue.code === "unknown_key" ? "unknown_key" : "config" });
  }
}

function checkTemplates(context: StepContext, options: ValidateDefinitionOptions, out: IssueList): void {
  const { step } = context;
  const sources: Array<[string, unknown]> = [
    ["config", step.config],
    ["input_mapping", step.inputMapping],
    ["output_mapping", step.outputMapping],
  ];
  for (const [name, value] of sources) {
    forEachString(value, field(context, name), (text, at) => {
      for (const message of options.checkTemplate?.(text) ?? []) out.add(at, message, "template");
      for (const match of text.matchAll(STEP_REFERENCE)) {
        const id = match[1] as string;
        if (!context.ids.has(id)) out.add(at, unknownStepMessage(id, context, "the template names step"), "unknown_step");
      }
    });
  }
}

function checkExpression(source: string, at: PathSegment[], options: ValidateDefinitionOptions, out: IssueList): void {
  const problem = options.checkExpression?.(source);
  if (problem !== undefined) out.add(at, problem, "expression");
}

const CONDITION_KEYS = ["if", "then"];

/** The shape of `conditions`, when no registered config schema already checks it. */
function checkConditionShapes(conditions: unknown, conditionsAt: PathSegment[], out: IssueList): void {
  if (conditions === undefined) return;
  if (!Array.isArray(conditions)) {
    out.add(conditionsAt, "must be a list of { if: <expression>, then: <step id or value> }", "invalid");
    return;
  }
  conditions.forEach((condition: unknown, index) => {
    const at = [...conditionsAt, index];
    if (!isRecord(condition)) {
      out.add(at, "must be { if: <expression>, then: <step id or value> }", "invalid");
      return;
    }
    for (const key of Object.keys(condition)) {
      if (!CONDITION_KEYS.includes(key)) out.add([...at, key], `unknown key ${JSON.stringify(key)}${didYouMean(key, CONDITION_KEYS)}; known keys: if, then`, "unknown_key");
    }
    if (condition.if === undefined) out.add([...at, "if"], "required: the condition to test", "required");
    else if (typeof condition.if !== "string" || condition.if.trim() === "") out.add([...at, "if"], "must be a non-empty expression string", "invalid");
    if (!Object.hasOwn(condition, "then")) out.add([...at, "then"], "required: a step id to branch to, or the value to output", "required");
  });
}

function checkDecision(context: StepContext, options: ValidateDefinitionOptions, out: IssueList): void {
  const { step } = context;
  if (!isDecisionStep(step)) return;
  const conditions = step.config.conditions;
  const conditionsAt = field(context, "config", "conditions");
  if (options.stepTypes.get(step.type)?.configSchema === undefined) checkConditionShapes(conditions, conditionsAt, out);
  if (Array.isArray(conditions)) {
    conditions.forEach((condition: unknown, index) => {
      if (isRecord(condition) && typeof condition.if === "string" && condition.if.trim() !== "") {
        checkExpression(condition.if, [...conditionsAt, index, "if"], options, out);
      }
    });
  }
  if (step.type === "condition" && typeof step.config.expression === "string") {
    checkExpression(step.config.expression, field(context, "config", "expression"), options, out);
  }
  for (const outcome of decisionOutcomes(step, context.ids)) {
    if (outcome.kind !== "value" || typeof outcome.value !== "string") continue;
    const at = [...context.base, ...outcome.at];
    if (outcome.stepOnly) {
      out.add(at, unknownStepMessage(outcome.value, context, "names"), "unknown_step");
      continue;
    }
    // A value one typo away from a step id is almost surely a branch that silently is not one.
    const near = ID_PATTERN.test(outcome.value) ? closestName(outcome.value, context.idList) : undefined;
    if (near !== undefined) {
      out.add(
        at,
        `${JSON.stringify(outcome.value)} names no step, so it would be output as a value, but it is close to step ${JSON.stringify(near)}; write the step id exactly to branch there, or a value that does not look like a step id`,
        "unknown_step",
      );
    }
  }
}

function checkSchedules(definition: WorkflowDefinition, out: IssueList): void {
  definition.triggers.forEach((trigger, index) => {
    if (trigger.type !== "schedule") return;
    const base = trigger.configPath !== undefined ? parsePath(trigger.configPath) : ["triggers", index, "config"];
    const { cron, timezone } = trigger.config;
    if (typeof cron !== "string") {
      out.add([...base, "cron"], cron === undefined ? "required: a schedule trigger needs a cron pattern such as \"0 2 * * *\"" : "must be a cron pattern string", cron === undefined ? "required" : "cron");
    } else {
      const problem = cronProblem(cron);
      if (problem !== undefined) out.add([...base, "cron"], problem, "cron");
    }
    if (timezone !== undefined) {
      const problem = typeof timezone === "string" ? timezoneProblem(timezone) : "must be an IANA time zone name such as Asia/Shanghai";
      if (problem !== undefined) out.add([...base, "timezone"], problem, "cron");
    }
  });
}

function checkCycles(definition: WorkflowDefinition, graph: StepGraph, out: IssueList): void {
  for (const cycle of graph.findCycles()) {
    const from = cycle[cycle.length - 2] as string;
    const to = cycle[cycle.length - 1] as string;
    const closing = graph.edges.find((edge) => edge.from === from && edge.to === to);
    const segments = closing
      ? [...stepSegments(definition.dialect, closing.stepIndex), stepFieldName(definition.dialect, String(closing.at[0])), ...closing.at.slice(1)]
      : stepSegments(definition.dialect, definition.steps.findIndex((step) => step.id === to));
    const message =
      cycle.length === 2 ? `step ${JSON.stringify(to)} waits for itself: ${cycle.join(" -> ")}` : `steps wait for each other in a cycle: ${cycle.join(" -> ")}`;
    out.add(segments, message, "cycle");
  }
}

/** The validation problems as definition issues (segments, so a source text can locate them). */
export function collectValidationIssues(
  definition: WorkflowDefinition,
  options: ValidateDefinitionOptions,
  /** Ids not to list as known steps (checkDefinition's placeholders for broken steps). */
  hiddenIds: ReadonlySet<string> = new Set(),
): DefinitionIssue[] {
  const out = new IssueList();
  const listName = definition.dialect === "tasks" ? "tasks" : "steps";
  if (definition.steps.length === 0) out.add([listName], "a workflow needs at least one step", "invalid");

  const graph = new StepGraph(definition.steps);
  const ids = new Set(graph.ids);
  const idList = graph.ids.filter((id) => !hiddenIds.has(id));
  const firstIndex = new Map<string, number>();
  definition.steps.forEach((step, index) => {
    const base = stepSegments(definition.dialect, index);
    const context: StepContext = { step, base, dialect: definition.dialect, ids, idList };
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, index);
    else out.add([...base, "id"], `duplicate step id ${JSON.stringify(step.id)}: ${formatPath(stepSegments(definition.dialect, first))} has it already`, "duplicate_id");
    checkType(context, options, out);
    checkReferences(context, out);
    if (step.when !== undefined) checkExpression(step.when, field(context, "when"), options, out);
    checkDecision(context, options, out);
    checkTemplates(context, options, out);
  });
  checkCycles(definition, graph, out);
  checkSchedules(definition, out);
  return out.issues;
}

/**
 * Every problem of a loaded definition, each with its path (`steps[2].depends_on[0]`). Unlike
 * loading, this requires every step type to be registered (SPEC D). An empty list means valid.
 */
export function validateDefinition(definition: WorkflowDefinition, options: ValidateDefinitionOptions): ValidationIssue[] {
  return collectValidationIssues(definition, options).map((issue) => toValidationIssue(issue));
}

/** `validateDefinition`, throwing one ValidationError with every issue; returns the definition when valid. */
export function validateOrThrow(definition: WorkflowDefinition, options: ValidateDefinitionOptions): WorkflowDefinition {
  const issues = validateDefinition(definition, options);
  if (issues.length > 0) throw definitionError(issues, `Invalid workflow ${JSON.stringify(definition.name || definition.id || "(unnamed)")}`);
  return definition;
}
