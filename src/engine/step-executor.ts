// The extension point for step types (seed 001 `RegisterStepExecutor`): a name, an optional config
// schema checked at validation, and `execute`. Built-in types register exactly like user ones.
import type { ZodType } from "zod";
import { ConflictError, ValidationError } from "../core/errors.js";
import type { StepDefinition } from "../workflow/model.js";

export interface StepContext {
  readonly tenantId: string;
  readonly workflowId: string;
  readonly executionId: string;
  readonly stepId: string;
  readonly stepExecutionId: string;
  /** Failed attempts before this one (0 on the first try); a re-run after a lost lease keeps it. */
  readonly attempt: number;
  /** `{execution}:{step}:{attempt}`: the same for a re-run of an attempt lost to a crash (SPEC D). */
  readonly idempotencyKey: string;
  /** Aborted on the step's timeout, on cancellation, and when the node shuts down. */
  readonly signal: AbortSignal;
  /** The step's config with templates rendered. */
  readonly config: Record<string, unknown>;
  /** The step's `input_mapping`, rendered. */
  readonly input: Record<string, unknown>;
  readonly step: StepDefinition;
  /** The execution's input and the workflow's variables. */
  readonly execution: { readonly input: unknown; readonly variables: Record<string, unknown> };
  /** Status and output of every step of the execution (for decisions over earlier results). */
  readonly steps: Readonly<Record<string, { status: string; output: unknown }>>;
  /** The ids of the workflow's steps (a decision's `then` that names one is a branch). */
  readonly stepIds: ReadonlySet<string>;
  /** What this step reported last time it asked to wait (`waitUntil`), if it did. */
  readonly previousOutput: unknown;
  now(): number;
  log(level: "debug" | "info" | "warn" | "error", message: string, data?: unknown): void;
  /**
   * The tenant's secret `name` (undefined when it has none), for keys an executor reads from
   * operator config (`apiKeySecret`). The value is added to this step's redactor, so it is kept out
   * of its logs, output and error like a `{{secrets.x}}` template.
   */
  secret(name: string): Promise<string | undefined>;
  /** Returns the step to the queue until `readyAt` without counting a failure (the `wait` type). */
  waitUntil(readyAt: number, state?: unknown): WaitRequest;
  /**
   * Runs another step type inside this step (loop bodies, parallel branches): its config is
   * rendered now with `loop` in scope, and its idempotency key is this step's plus `keySuffix`.
   */
  runInline(body: { type: string; config?: Record<string, unknown> }, options: { loop?: { item: unknown; index: number }; keySuffix: string }): Promise<unknown>;
}

/** Returned by `execute` to be run again later (see StepContext.waitUntil). */
export class WaitRequest {
  constructor(
    readonly readyAt: number,
    readonly state: unknown,
  ) {}
}

/** Returned by decision-like executors: the output, and the steps it chooses to start. */
export interface BranchResult {
  output: unknown;
  branches: string[];
}

export function branchResult(output: unknown, branches: string[]): BranchResult & { readonly __branch: true } {
  return { output, branches, __branch: true };
}

export function isBranchResult(value: unknown): value is BranchResult {
  return typeof value === "object" && value !== null && (value as { __branch?: unknown }).__branch === true;
}

export interface StepExecutor {
  readonly type: string;
  /** Checks `config` when a definition is validated (paths under `steps[i].config`). */
  readonly configSchema?: ZodType;
  /** Config keys the runner leaves unrendered (a loop body renders them per iteration). */
  readonly rawConfigKeys?: readonly string[];
  execute(context: StepContext): Promise<unknown> | unknown;
}

const TYPE_NAME = /^[a-z][a-z0-9_]*$/;

export class StepExecutorRegistry {
  #executors = new Map<string, StepExecutor>();

  register(executor: StepExecutor, options: { replace?: boolean } = {}): void {
    if (!executor || typeof executor.execute !== "function" || typeof executor.type !== "string" || !TYPE_NAME.test(executor.type)) {
      throw new ValidationError([{ path: "executor.type", message: "must be a lower_snake_case name, with an execute function" }]);
    }
    if (this.#executors.has(executor.type) && !options.replace) throw new ConflictError(`Step type ${executor.type} is already registered; pass { replace: true } to replace it`, { type: executor.type });
    this.#executors.set(executor.type, executor);
  }

  get(type: string): StepExecutor | undefined {
    return this.#executors.get(type);
  }

  /** The registered types with their config schemas, as validation wants them. */
  types(): ReadonlyMap<string, { configSchema?: ZodType }> {
    return this.#executors;
  }
}
