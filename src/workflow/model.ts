// The normalized workflow definition: what every dialect (seed 001 canonical, seed 003's
// on_success / on_failure / decisions, seed 002's tasks) parses into. Pure data, camelCase;
// durations are milliseconds, priorities 1-10 (10 highest). The engine only ever sees this shape.

export type Dialect = "canonical" | "branching" | "tasks";

export interface StepRetry {
  /** All tries, the first included (seed 001 `max_attempts` / `retry_attempts`). */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  backoffFactor: number;
  /** 0..1: each delay is lowered by up to this fraction at random. */
  jitter: number;
}

export interface StepResources {
  memoryMb: number;
  cpuPercent: number;
}

export interface StepDefinition {
  id: string;
  name: string;
  type: string;
  /** The step type's own settings, as written (templates unrendered). */
  config: Record<string, unknown>;
  /** All must succeed before the step is ready (seed 001 `depends_on`, seed 002 `dependencies`). */
  dependsOn: string[];
  /** Steps started when this one succeeds / fails (seed 003). */
  onSuccess: string[];
  onFailure: string[];
  /** name -> template: rendered into the step's input (seed 001). */
  inputMapping: Record<string, string>;
  /** name -> template over `output`: reshapes what the step exposes to later steps. */
  outputMapping: Record<string, string>;
  retry: StepRetry | undefined;
  timeoutMs: number | undefined;
  /** CEL expression; false means the step ends `skipped`. */
  when: string | undefined;
  continueOnError: boolean;
  /** 1-10 within its execution; undefined inherits the execution's. */
  priority: number | undefined;
  resources: StepResources | undefined;
  /** The worker pool (node label) that runs this step; undefined: any node. */
  runsOn: string | undefined;
}

export interface TriggerDefinition {
  type: string;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
  /**
   * Where the trigger's config was written, for error paths: `triggers[1].config`, or seed 003's
   * `trigger_config`. Set by the parser; absent on triggers built in code.
   */
  configPath?: string;
}

export interface WorkflowConcurrency {
  key: string;
  limit: number;
  strategy: "queue" | "cancel_running" | "cancel_new";
}

export interface WorkflowDefinition {
  /** The definition's own `version` ("1.0"): its schema version, not the stored version counter. */
  schemaVersion: string;
  /** The definition's `id` when given (seed 003), else undefined (the store generates one). */
  id: string | undefined;
  name: string;
  description: string;
  dialect: Dialect;
  variables: Record<string, unknown>;
  /** Default priority of executions, 1-10. */
  priority: number;
  timeoutMs: number | undefined;
  /** At most `limit` running executions per rendered `key` (a template over input and variables). */
  concurrency?: WorkflowConcurrency;
  steps: StepDefinition[];
  triggers: TriggerDefinition[];
  /** Top-level fields the parser kept but does not interpret (seed 003 `status`, `tags`, ...). */
  extra: Record<string, unknown>;
}

/** Seed 002's priority words (SPEC D). */
export const PRIORITY_WORDS: Readonly<Record<string, number>> = Object.freeze({ high: 8, medium: 5, low: 2 });
export const DEFAULT_PRIORITY = 5;
