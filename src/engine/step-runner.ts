// Runs one claimed task: checks its lost attempts, evaluates `when`, renders config and
// input_mapping, calls the step type's executor under the step timeout with an AbortSignal and the
// idempotency key, and turns what happened into a StepOutcome. Never throws: every failure of the
// step, including bad templates, becomes an outcome the plan decides on.
import type { Clock } from "../core/clock.js";
import { NonRetryableError, RetryAfterError, errorMessage, isSynergyMeshError } from "../core/errors.js";
import type { ClaimedTask, ExecutionRow, StepRow } from "../store/engine-store.js";
import { buildExpressionContext, evaluateCondition } from "../workflow/expressions.js";
import { Redactor } from "../workflow/redactor.js";
import { renderWithSecrets } from "../workflow/templates.js";
import type { TemplateScope } from "../workflow/templates.js";
import type { StepDefinition } from "../workflow/model.js";
import type { StepContext, StepExecutorRegistry } from "./step-executor.js";
import { WaitRequest, isBranchResult } from "./step-executor.js";
import type { StepOutcome, WorkflowPlan } from "./workflow-plan.js";
import { SKIP_CONDITION_FALSE } from "./workflow-plan.js";

export interface RunInput {
  task: ClaimedTask;
  plan: WorkflowPlan;
  execution: ExecutionRow;
  steps: StepRow[];
  /** Aborted when the node shuts down or the execution is cancelled. */
  signal: AbortSignal;
  log: (stepId: string, level: "debug" | "info" | "warn" | "error", message: string, data?: unknown) => void;
}

export interface RunnerParts {
  clock: Clock;
  executors: StepExecutorRegistry;
  secrets: (tenantId: string, name: string) => Promise<string | undefined> | string | undefined;
  maxLostAttempts: number;
}

export class StepRunner {
  #p: RunnerParts;

  constructor(parts: RunnerParts) {
    this.#p = parts;
  }

  async run(input: RunInput): Promise<StepOutcome> {
    const { task, plan, execution } = input;
    const step = plan.steps.get(task.stepId);
    if (!step) return { kind: "failed", error: `step ${task.stepId} is not in workflow version ${execution.version}`, retryable: false };
    // A step whose attempts keep dying with their worker is poison: fail it rather than loop (SPEC D).
    if (task.step.lost >= this.#p.maxLostAttempts) {
      return { kind: "failed", error: `crashed: ${task.step.lost} attempts were lost with their worker`, retryable: false, crashed: true };
    }
    const redactor = new Redactor();
    try {
      const stepStates = Object.fromEntries(input.steps.map((s) => [s.stepId, { status: s.status, output: s.output }]));
      const scope: TemplateScope & { input: Record<string, unknown>; variables: Record<string, unknown>; execution: Record<string, unknown>; steps: Record<string, { status: string; output: unknown }> } = {
        variables: plan.definition.variables,
        input: (execution.input ?? {}) as Record<string, unknown>,
        steps: stepStates,
        execution: { id: execution.executionId, workflow_id: execution.workflowId, tenant_id: execution.tenantId, priority: execution.priority },
        secrets: await this.#secretsFor(execution.tenantId, step),
      };
      if (step.when !== undefined) {
        const context = buildExpressionContext({ input: scope.input, variables: scope.variables, steps: stepStates, stepOrder: [...plan.steps.keys()], execution: scope.execution });
        if (!evaluateCondition(step.when, context)) return { kind: "skipped", reason: SKIP_CONDITION_FALSE };
      }
      const raw = this.#p.executors.get(step.type)?.rawConfigKeys ?? [];
      const renderable = raw.length ? Object.fromEntries(Object.entries(step.config).filter(([k]) => !raw.includes(k))) : step.config;
      const rendered = renderWithSecrets({ config: renderable, input: step.inputMapping }, scope);
      for (const secret of rendered.secretsUsed) redactor.add(secret);
      const { config: renderedConfig, input: stepInput } = rendered.value as { config: Record<string, unknown>; input: Record<string, unknown> };
      const config = raw.length ? { ...renderedConfig, ...Object.fromEntries(raw.filter((k) => k in step.config).map((k) => [k, step.config[k]])) } : renderedConfig;
      const result = await this.#execute(input, step, config, stepInput, redactor, stepStates, scope);
      if (result instanceof WaitRequest) return { kind: "reschedule", readyAt: result.readyAt, status: "waiting", output: result.state };
      // Redact after mapping: output_mapping may render secrets of its own.
      if (isBranchResult(result)) return { kind: "completed", output: redactor.redactValue(this.#mapOutput(step, result.output, scope, redactor)), branches: result.branches };
      return { kind: "completed", output: redactor.redactValue(this.#mapOutput(step, result, scope, redactor)) };
    } catch (error) {
      return failure(error, redactor);
    }
  }

  async #execute(input: RunInput, step: StepDefinition, config: Record<string, unknown>, stepInput: Record<string, unknown>, redactor: Redactor, steps: Record<string, { status: string; output: unknown }>, scope: TemplateScope): Promise<unknown> {
    const { task, execution } = input;
    const executor = this.#p.executors.get(step.type);
    if (!executor) throw new NonRetryableError(`step type ${step.type} is not registered on this node`);
    const controller = new AbortController();
    const onAbort = () => controller.abort(input.signal.reason);
    input.signal.addEventListener("abort", onAbort, { once: true });
    let timer: ReturnType<Clock["setTimeout"]> | undefined;
    const timeoutMs = step.timeoutMs;
    try {
      const context: StepContext = {
        tenantId: execution.tenantId,
        workflowId: execution.workflowId,
        executionId: execution.executionId,
        stepId: step.id,
        stepExecutionId: task.step.stepExecutionId,
        attempt: task.step.failures,
        idempotencyKey: `${execution.executionId}:${step.id}:${task.step.failures}`,
        signal: controller.signal,
        config,
        input: stepInput,
        step,
        execution: { input: execution.input, variables: input.plan.definition.variables },
        steps,
        stepIds: new Set(input.plan.steps.keys()),
        previousOutput: task.step.output,
        now: () => this.#p.clock.now(),
        log: (level, message, data) => input.log(step.id, level, redactor.redact(message), data === undefined ? undefined : redactor.redactValue(data)),
        secret: async (name) => {
          const value = await this.#p.secrets(execution.tenantId, name);
          if (value !== undefined) redactor.add(value);
          return value;
        },
        waitUntil: (readyAt, state) => new WaitRequest(readyAt, state ?? { wait_until: readyAt }),
        runInline: async (body, options) => {
          const inner = this.#p.executors.get(body.type);
          if (!inner) throw new NonRetryableError(`step type ${body.type} is not registered on this node`);
          const renderedBody = renderWithSecrets(body.config ?? {}, { ...scope, ...(options.loop ? { loop: options.loop } : {}) });
          for (const secret of renderedBody.secretsUsed) redactor.add(secret);
          const innerContext: StepContext = {
            ...context,
            config: renderedBody.value as Record<string, unknown>,
            idempotencyKey: `${context.idempotencyKey}:${options.keySuffix}`,
            previousOutput: null,
          };
          const result = await inner.execute(innerContext);
          if (result instanceof WaitRequest) throw new NonRetryableError(`step type ${body.type} waits, which it cannot do inside ${step.type}`);
          return isBranchResult(result) ? result.output : result;
        },
      };
      const run = Promise.resolve().then(() => executor.execute(context));
      if (timeoutMs === undefined) return await run;
      run.catch(() => {});
      const timedOut = new Promise<never>((_, reject) => {
        timer = this.#p.clock.setTimeout(() => {
          const error = new StepTimeout(step.id, timeoutMs);
          controller.abort(error);
          reject(error);
        }, timeoutMs);
      });
      return await Promise.race([run, timedOut]);
    } finally {
      if (timer !== undefined) this.#p.clock.clearTimeout(timer);
      input.signal.removeEventListener("abort", onAbort);
    }
  }

  /** `output_mapping` reshapes what a step exposes; its templates read the step's own result as `steps.<id>.output`. */
  #mapOutput(step: StepDefinition, output: unknown, scope: TemplateScope, redactor: Redactor): unknown {
    if (Object.keys(step.outputMapping).length === 0) return output ?? null;
    const mapped = renderWithSecrets(step.outputMapping, { ...scope, steps: { ...scope.steps, [step.id]: { status: "completed", output } } });
    for (const secret of mapped.secretsUsed) redactor.add(secret);
    return mapped.value;
  }

  async #secretsFor(tenantId: string, step: StepDefinition): Promise<Record<string, string>> {
    const text = JSON.stringify([step.config, step.inputMapping, step.outputMapping]);
    const names = new Set([...text.matchAll(/secrets\.([A-Za-z0-9_-]+)/g)].map((m) => m[1] as string));
    const secrets: Record<string, string> = {};
    for (const name of names) {
      const value = await this.#p.secrets(tenantId, name);
      if (value !== undefined) secrets[name] = value;
    }
    return secrets;
  }
}

class StepTimeout extends Error {
  constructor(stepId: string, readonly timeoutMs: number) {
    super(`step ${stepId} timed out after ${timeoutMs} ms`);
  }
}

function failure(error: unknown, redactor: Redactor): StepOutcome {
  const message = redactor.redact(errorMessage(error));
  if (error instanceof StepTimeout) return { kind: "failed", error: message, retryable: true, timedOut: true };
  // An executor's own deadline (an approval nobody gave in time) also ends the step timed_out.
  if ((error as { timedOut?: unknown }).timedOut === true) return { kind: "failed", error: message, retryable: false, timedOut: true };
  if (error instanceof NonRetryableError) return { kind: "failed", error: message, retryable: false };
  if (error instanceof RetryAfterError) return { kind: "failed", error: message, retryable: true, retryAfterMs: error.retryAfterMs };
  // Template and expression errors are the definition's fault: retrying cannot fix them.
  if (isSynergyMeshError(error)) return { kind: "failed", error: message, retryable: error.retryable && error.code !== "TEMPLATE_ERROR" && error.code !== "EXPRESSION_ERROR" };
  return { kind: "failed", error: message, retryable: true };
}
