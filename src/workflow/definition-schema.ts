// Zod schemas of workflow definitions as users write them (snake_case, all three seed dialects),
// before normalization. Unknown keys are errors; `definitionJsonSchema()` gives editors the same rules.
import { POOL_LABEL, POOL_LABEL_RULE } from "../scheduling/pool-label.js";
import * as z from "zod";
import { ValidationError } from "../core/errors.js";
import { parseDuration } from "../core/duration.js";

/** An object that rejects keys it does not know (a typo like `depend_on` must not pass silently). */
const strict = z.strictObject;

/** Step and workflow ids end up in templates (`steps.<id>.output`), expressions and URLs. */
export const ID_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

const idSchema = z
  .string()
  .max(128, "an id is at most 128 characters")
  .regex(ID_PATTERN, "an id uses letters, digits, `_` and `-`, and starts with a letter, digit or `_`");

/** A reference to a step id; whether the step exists is a validation question, not a shape one. */
const stepRefSchema = z.string().min(1, "a step id cannot be empty");
const stepRefsSchema = z.array(stepRefSchema);

const objectSchema = z.record(z.string(), z.unknown());
const mappingSchema = z.record(z.string(), z.string()).meta({ description: "name -> template, e.g. `{{variables.input_file}}`" });

function durationProblem(value: string | number): string | undefined {
  try {
    parseDuration(value);
    return undefined;
  } catch (error) {
    if (error instanceof ValidationError) return error.issues[0]?.message;
    throw error;
  }
}

/** `30s`, `5m`, `1h30m`, `250ms`, or a bare number of seconds (SPEC D). */
export const durationSchema = z
  .union([z.string(), z.number()], { error: "must be a duration: a string with a unit (500ms, 30s, 5m, 1h) or a number of seconds" })
  .superRefine((value, ctx) => {
    const problem = durationProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  })
  .meta({ description: "A duration: `500ms`, `30s`, `5m`, `1h30m`, `1d`, or a number of seconds." });

/** 1-10 (10 highest), or seed 002's words high / medium / low (8 / 5 / 2). */
export const prioritySchema = z
  .union(
    [
      z.int("a priority is a whole number from 1 to 10").min(1, "a priority is 1 to 10 (10 highest)").max(10, "a priority is 1 to 10 (10 highest)"),
      z.enum(["high", "medium", "low"]),
    ],
    { error: "must be a priority: a whole number from 1 to 10 (10 highest) or high, medium, low" },
  )
  .meta({ description: "1-10, 10 highest; or high (8), medium (5), low (2)." });

/** Seed 001's retry names. Exactly one of the attempt counts may be given. */
export const retrySchema = strict({
  max_attempts: z.int().min(1).optional().meta({ description: "All tries, the first included (seed 001)." }),
  retry_attempts: z.int().min(1).optional().meta({ description: "Same as max_attempts (seed 001 scheduler name)." }),
  max_retries: z.int().min(0).optional().meta({ description: "Retries after the first try (seed 000): max_attempts = max_retries + 1." }),
  initial_delay: durationSchema.optional(),
  max_delay: durationSchema.optional(),
  backoff_factor: z.number().min(1).optional().meta({ description: "Each delay is the previous one times this (default 2)." }),
  jitter: z.number().min(0).max(1).optional().meta({ description: "0..1: each delay is lowered by up to this fraction at random." }),
});

export const resourcesSchema = strict({
  memory_mb: z.number().positive().optional().meta({ description: "Memory reserved while the step runs (default 128)." }),
  cpu_percent: z.number().positive().max(100).optional().meta({ description: "CPU share reserved while the step runs (default 10)." }),
});

/** A worker pool name (`runs_on`), the same shape as a node's `labels`. */
export const poolLabelSchema = z.string().regex(POOL_LABEL, `must be ${POOL_LABEL_RULE}`);

/** A step: seed 001's canonical fields plus seed 003's on_success / on_failure branches. */
export const stepSchema = strict({
  id: idSchema,
  name: z.string().optional(),
  type: z.string().min(1, "a step type cannot be empty"),
  config: objectSchema.optional(),
  depends_on: stepRefsSchema.optional().meta({ description: "Steps that must all succeed before this one starts." }),
  on_success: stepRefsSchema.optional().meta({ description: "Steps started when this one succeeds (seed 003)." }),
  on_failure: stepRefsSchema.optional().meta({ description: "Steps started when this one fails (seed 003)." }),
  input_mapping: mappingSchema.optional(),
  output_mapping: mappingSchema.optional(),
  retry: retrySchema.optional(),
  timeout: durationSchema.optional(),
  when: z.string().min(1, "an empty condition; remove `when` or write an expression").optional(),
  continue_on_error: z.boolean().optional(),
  priority: prioritySchema.optional(),
  resources: resourcesSchema.optional(),
  runs_on: poolLabelSchema.optional().meta({ description: "The worker pool that runs this step: only nodes started with this label claim it." }),
});

/** Seed 002's task: becomes a step; `dependencies` become `depends_on`. */
export const taskSchema = strict({
  id: idSchema,
  name: z.string().optional(),
  type: z.string().min(1, "a task type cannot be empty"),
  config: objectSchema.optional(),
  dependencies: stepRefsSchema.optional(),
  priority: prioritySchema.optional(),
  timeout: durationSchema.optional(),
  retry: retrySchema.optional(),
});

export const triggerSchema = strict({
  type: z.string().min(1, "a trigger type cannot be empty").meta({ description: "manual, schedule, webhook, event, condition, or a registered custom type." }),
  name: z.string().optional(),
  config: objectSchema.optional(),
  is_enabled: z.boolean().optional(),
});

export const WORKFLOW_STATUSES = ["draft", "active", "paused", "archived"] as const;

/** The whole definition. `steps` or `tasks` (not both) is required; that rule is checked in code. */
export const CONCURRENCY_STRATEGIES = ["queue", "cancel_running", "cancel_new"] as const;

/** A workflow's concurrency key (seed 002 resource locks): at most `limit` running executions per rendered key. */
export const concurrencySchema = strict({
  key: z.string().min(1, "a concurrency key cannot be empty").meta({ description: "A template over input and variables, e.g. deploy-{{input.service}}." }),
  limit: z.int().min(1).optional().meta({ description: "Executions with the same key running at once (default 1)." }),
  strategy: z.enum(CONCURRENCY_STRATEGIES).optional().meta({ description: "queue (default): wait; cancel_running: cancel the oldest holders; cancel_new: the new execution ends cancelled." }),
});

export const definitionSchema = strict({
  version: z.union([z.string(), z.number()], { error: "must be a version such as \"1.0\"" }).optional().meta({ description: "The definition's schema version, e.g. \"1.0\"." }),
  id: idSchema.optional(),
  name: z.string().optional(),
  description: z.string().optional(),
  variables: objectSchema.optional(),
  steps: z.array(stepSchema).optional(),
  tasks: z.array(taskSchema).optional().meta({ description: "Seed 002's task list, an alternative to steps." }),
  triggers: z.array(triggerSchema).optional(),
  trigger_type: z.string().min(1).optional().meta({ description: "Seed 003: one trigger's type (with trigger_config)." }),
  trigger_config: objectSchema.optional(),
  priority: prioritySchema.optional(),
  timeout: durationSchema.optional(),
  concurrency: concurrencySchema.optional(),
  status: z.enum(WORKFLOW_STATUSES).optional(),
  tags: z.array(z.string()).optional(),
  owner_id: z.string().optional(),
  is_template: z.boolean().optional(),
  category: z.string().optional(),
  metadata: objectSchema.optional(),
});

/** `POST /api/v1/workflows` (seed 001): a body with `definition` is a wrapper (SPEC D). */
export const createBodySchema = strict({
  name: z.string().optional(),
  description: z.string().optional(),
  definition: objectSchema,
  tags: z.array(z.string()).optional(),
  owner_id: z.string().optional(),
  status: z.enum(WORKFLOW_STATUSES).optional(),
  is_template: z.boolean().optional(),
  category: z.string().optional(),
  metadata: objectSchema.optional(),
});

export type RawDefinition = z.input<typeof definitionSchema>;
export type RawStep = z.input<typeof stepSchema>;
export type RawTask = z.input<typeof taskSchema>;
export type RawTrigger = z.input<typeof triggerSchema>;
export type RawRetry = z.input<typeof retrySchema>;
export type RawCreateBody = z.input<typeof createBodySchema>;

/** JSON Schema (draft 2020-12) of a definition file, for editors and the dashboard. */
export function definitionJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(definitionSchema) as Record<string, unknown>;
}
