// The public face of workflow definitions: load (parse), validate, graph and the model types.
// Internals (zod issue mapping, source positions, normalization) stay behind this file.
export { parseDefinition, unwrapCreateBody } from "./parse-definition.js";
export type { ParseDefinitionOptions, CreateBody } from "./parse-definition.js";
export { validateDefinition, validateOrThrow } from "./validate-definition.js";
export { checkDefinition, requireValidDefinition } from "./check-definition.js";
export type { CheckDefinitionOptions, CheckDefinitionResult } from "./check-definition.js";
export type { ValidateDefinitionOptions, StepTypeInfo } from "./validate-definition.js";
export { definitionJsonSchema, definitionSchema, durationSchema, prioritySchema, WORKFLOW_STATUSES } from "./definition-schema.js";
export type { RawDefinition, RawStep, RawTask, RawTrigger, RawRetry, RawCreateBody } from "./definition-schema.js";
export type { DefinitionFormat } from "./definition-source.js";
export { MAX_ALIAS_COUNT } from "./definition-source.js";
export type { DefinitionIssueCode } from "./definition-issue.js";
export { DEFAULT_MAX_ATTEMPTS, DEFAULT_STEP_RESOURCES, DEFAULT_SCHEMA_VERSION } from "./normalize-definition.js";
export { StepGraph, buildStepGraph, BRANCH_EDGE_KINDS } from "./graph.js";
export type { StepEdge, StepEdgeKind } from "./graph.js";
export { decisionOutcomes, isDecisionStep, DECISION_STEP_TYPES } from "./decision-config.js";
export type { DecisionOutcome } from "./decision-config.js";
export { cronProblem, timezoneProblem } from "./schedule-check.js";
export { formatPath } from "./definition-paths.js";
export { PRIORITY_WORDS, DEFAULT_PRIORITY } from "./model.js";
export type { Dialect, StepDefinition, StepRetry, StepResources, TriggerDefinition, WorkflowDefinition } from "./model.js";
