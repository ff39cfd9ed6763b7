// The pure decision logic of an execution: given a definition, the committed state of its steps
// and one step's outcome, what changes and what runs next. No I/O: the store applies the returned
// Effects in the same transaction that holds the state they were computed from.
import type { Effects, ExecutionSnapshot, NewTask, StepRow } from "../store/engine-store.js";
import type { StepDefinition, WorkflowDefinition } from "../workflow/model.js";
import { backoffDelay } from "../core/retry.js";
import { decisionOutcomes } from "../workflow/decision-config.js";
import { DEFAULT_STEP_RESOURCES } from "../workflow/normalize-definition.js";

/** A finished attempt as the runner reports it. */
export type StepOutcome =
  | { kind: "completed"; output: unknown; branches?: string[] }
  | { kind: "failed"; error: string; retryable: boolean; retryAfterMs?: number; timedOut?: boolean; crashed?: boolean }
  | { kind: "skipped"; reason: string }
  /** Not finished: run the step again at `readyAt` without counting a failure (wait, polling). */
  | { kind: "reschedule"; readyAt: number; status: "waiting" | "pending"; output?: unknown };

export const SKIP_CONDITION_FALSE = "skipped: condition is false";
export const SKIP_NOT_REACHED = "skipped: not reached";
const FINISHED = new Set(["completed", "failed", "skipped", "cancelled", "timed_out"]);
const ACTIVE = new Set(["running", "retrying", "waiting"]);

interface BranchEdge {
  source: string;
  on: "success" | "failure" | "choice";
}

export class WorkflowPlan {
  readonly definition: WorkflowDefinition;
  readonly steps: ReadonlyMap<string, StepDefinition>;
  /** Steps that name this one in depends_on. */
  readonly dependents: ReadonlyMap<string, string[]>;
  /** Branches that can start a step: on_success, on_failure, or a decision's `then`. */
  readonly branchSources: ReadonlyMap<string, BranchEdge[]>;
  readonly entrySteps: string[];
  /** Steps nothing follows: their outputs make the execution's output. */
  readonly terminalSteps: string[];
  readonly #stepIds: ReadonlySet<string>;

  constructor(definition: WorkflowDefinition) {
    this.definition = definition;
    this.steps = new Map(definition.steps.map((s) => [s.id, s]));
    this.#stepIds = new Set(this.steps.keys());
    const dependents = new Map<string, string[]>();
    const branchSources = new Map<string, BranchEdge[]>();
    const addBranch = (target: string, edge: BranchEdge) => {
      if (!this.steps.has(target)) return;
      const list = branchSources.get(target) ?? [];
      list.push(edge);
      branchSources.set(target, list);
    };
    for (const step of definition.steps) {
      for (const dep of step.dependsOn) dependents.set(dep, [...(dependents.get(dep) ?? []), step.id]);
      for (const target of step.onSuccess) addBranch(target, { source: step.id, on: "success" });
      for (const target of step.onFailure) addBranch(target, { source: step.id, on: "failure" });
      for (const target of this.#decisionTargets(step)) addBranch(target, { source: step.id, on: "choice" });
    }
    this.dependents = dependents;
    this.branchSources = branchSources;
    this.entrySteps = definition.steps.filter((s) => s.dependsOn.length === 0 && !branchSources.has(s.id)).map((s) => s.id);
    const followed = new Set<string>();
    for (const s of definition.steps) {
      if (s.onSuccess.length || s.onFailure.length || dependents.has(s.id) || this.#decisionTargets(s).length) followed.add(s.id);
    }
    this.terminalSteps = definition.steps.filter((s) => !followed.has(s.id)).map((s) => s.id);
  }

  /** Steps a decision or condition can branch to (the same reading as validation: decision-config.ts). */
  #decisionTargets(step: StepDefinition): string[] {
    return decisionOutcomes(step, this.#stepIds).flatMap((o) => (o.kind === "branch" && o.step ? [o.step] : []));
  }

  /** The first tasks of a new execution. */
  initialTasks(now: number, priority: number): NewTask[] {
    return this.entrySteps.map((stepId) => this.taskOf(stepId, now, priority));
  }

  /** What one outcome of `stepId` changes in the execution. */
  onOutcome(snapshot: ExecutionSnapshot, stepId: string, outcome: StepOutcome, now: number, random: () => number = Math.random): Effects {
    const effects: Effects = { steps: [], newTasks: [], logs: [] };
    const step = this.steps.get(stepId);
    const row = snapshot.steps.get(stepId);
    if (!step || !row || FINISHED.has(row.status)) return effects;
    const set = (change: Partial<StepRow>) => {
      Object.assign(row, change);
      effects.steps.push({ stepId, ...change });
    };
    switch (outcome.kind) {
      case "reschedule":
        set({ status: outcome.status, ...(outcome.output !== undefined ? { output: outcome.output } : {}) });
        effects.newTasks.push(this.taskOf(stepId, outcome.readyAt, snapshot.execution.priority));
        snapshot.queued.add(stepId);
        return effects;
      case "completed":
        // No log row for a success: the step row holds its status, output and times.
        set({ status: "completed", output: outcome.output ?? null, error: null, finishedAt: now });
        break;
      case "skipped":
        set({ status: "skipped", error: outcome.reason, finishedAt: now });
        effects.logs.push({ stepId, level: "info", message: `step ${stepId} ${outcome.reason}`, timestamp: now });
        break;
      case "failed": {
        // `failures` names the attempt in the idempotency key and never goes back; the retry budget
        // is `attempts` (started since the step was last (re)opened, lost ones included).
        const failures = row.failures + 1;
        const maxAttempts = step.retry?.maxAttempts ?? 1;
        const retriesLeft = row.attempts < maxAttempts;
        if (outcome.retryable && retriesLeft && step.retry && snapshot.execution.status === "paused") {
          // Paused: the retry is owed but not queued; resume queues it.
          set({ status: "retrying", failures, error: outcome.error });
          return effects;
        }
        if (outcome.retryable && retriesLeft && step.retry) {
          const delay = outcome.retryAfterMs ?? backoffDelay({ maxRetries: maxAttempts - 1, initialDelay: step.retry.initialDelayMs, maxDelay: step.retry.maxDelayMs, exponentialBase: step.retry.backoffFactor, jitter: step.retry.jitter, timeout: 0 }, row.attempts - 1, random);
          set({ status: "retrying", failures, error: outcome.error });
          effects.newTasks.push(this.taskOf(stepId, now + delay, snapshot.execution.priority));
          snapshot.queued.add(stepId);
          effects.logs.push({ stepId, level: "warn", message: `step ${stepId} attempt ${failures} failed: ${outcome.error}; retrying in ${delay} ms`, timestamp: now });
          return effects;
        }
        set({ status: outcome.timedOut ? "timed_out" : "failed", failures, error: outcome.error, finishedAt: now });
        effects.logs.push({ stepId, level: "error", message: `step ${stepId} ${outcome.timedOut ? "timed out" : "failed"}: ${outcome.error}`, timestamp: now });
        break;
      }
    }
    // A paused execution records what finished but starts nothing and does not end.
    if (snapshot.execution.status === "paused") return effects;
    this.#scheduleReady(snapshot, effects, now);
    this.#finishIfDone(snapshot, effects, now);
    return effects;
  }

  /** Pause: nothing new starts; queued (not running) steps leave the queue and keep their state. */
  pause(snapshot: ExecutionSnapshot, now: number): Effects {
    const drop = [...snapshot.queued].filter((stepId) => snapshot.steps.get(stepId)?.status !== "running");
    snapshot.execution.status = "paused";
    return { steps: [], newTasks: [], dropTasks: drop, execution: { status: "paused" }, logs: [{ stepId: null, level: "info", message: "execution paused", timestamp: now }] };
  }

  /** Resume: waiting and retrying steps go back to the queue, ready steps start, and the execution may end. */
  resume(snapshot: ExecutionSnapshot, now: number): Effects {
    const effects: Effects = { steps: [], newTasks: [], logs: [{ stepId: null, level: "info", message: "execution resumed", timestamp: now }], execution: { status: "running" } };
    snapshot.execution.status = "running";
    this.#requeueOwed(snapshot, effects, now);
    this.#scheduleReady(snapshot, effects, now);
    this.#finishIfDone(snapshot, effects, now);
    return effects;
  }

  /**
   * Retry: failed, timed-out and cancelled steps run again from their first attempt, as do the
   * steps they kept from running; finished outputs are kept.
   */
  retry(snapshot: ExecutionSnapshot, now: number, only?: string): Effects {
    // A retried execution gets its workflow timeout anew.
    const deadlineAt = this.definition.timeoutMs !== undefined ? now + this.definition.timeoutMs : null;
    const effects: Effects = { steps: [], newTasks: [], logs: [], execution: { status: "running", error: null, finishedAt: null, deadlineAt } };
    // Reopened steps start a fresh retry budget (attempts 0) and forget what they waited on (an
    // approval's decision, a child execution); `failures` keeps counting so keys stay unique.
    const reopen = (row: StepRow) => {
      const change = { status: "pending" as const, attempts: 0, output: null, error: null, finishedAt: null };
      Object.assign(row, change);
      effects.steps.push({ stepId: row.stepId, ...change });
    };
    for (const row of snapshot.steps.values()) {
      const failed = row.status === "failed" || row.status === "timed_out" || row.status === "cancelled";
      const unreached = row.status === "skipped" && row.error === SKIP_NOT_REACHED;
      if (only !== undefined ? row.stepId === only || unreached : failed || unreached) reopen(row);
    }
    snapshot.execution.status = "running";
    Object.assign(snapshot.execution, { error: null, finishedAt: null, deadlineAt });
    effects.logs.push({ stepId: only ?? null, level: "info", message: only ? `step ${only} retried` : "execution retried from its failed steps", timestamp: now });
    this.#requeueOwed(snapshot, effects, now);
    this.#scheduleReady(snapshot, effects, now);
    this.#finishIfDone(snapshot, effects, now);
    return effects;
  }

  /** Steps that owe a run (a retry or a wait) but have no task: queue them now. */
  #requeueOwed(snapshot: ExecutionSnapshot, effects: Effects, now: number): void {
    for (const row of snapshot.steps.values()) {
      if ((row.status === "retrying" || row.status === "waiting") && !snapshot.queued.has(row.stepId)) {
        effects.newTasks.push(this.taskOf(row.stepId, now, snapshot.execution.priority));
        snapshot.queued.add(row.stepId);
      }
    }
  }

  /** Effects that end the execution now (cancel, timeout): queued work dropped, open steps closed. */
  endExecution(snapshot: ExecutionSnapshot, status: "cancelled" | "timed_out", now: number, error: string): Effects {
    const effects: Effects = { steps: [], newTasks: [], logs: [], dropTasks: "all" };
    for (const row of snapshot.steps.values()) {
      if (FINISHED.has(row.status)) continue;
      const stepStatus = ACTIVE.has(row.status) ? status : "skipped";
      effects.steps.push({ stepId: row.stepId, status: stepStatus, finishedAt: now, error: stepStatus === "skipped" ? SKIP_NOT_REACHED : error });
    }
    effects.execution = { status, error, finishedAt: now };
    effects.logs.push({ stepId: null, level: "warn", message: `execution ${status}: ${error}`, timestamp: now });
    return effects;
  }

  /** A task of the step: its priority (else the execution's), its reservation and its pool. */
  taskOf(stepId: string, readyAt: number, executionPriority: number): NewTask {
    const step = this.steps.get(stepId);
    const resources = step?.resources ?? DEFAULT_STEP_RESOURCES;
    return { stepId, readyAt, priority: step?.priority ?? executionPriority, memoryMb: resources.memoryMb, cpuPercent: resources.cpuPercent, pool: step?.runsOn ?? null };
  }

  /** Queues every pending step whose conditions to start now hold. */
  #scheduleReady(snapshot: ExecutionSnapshot, effects: Effects, now: number): void {
    const failed = this.#hasBlockingFailure(snapshot);
    for (const step of this.definition.steps) {
      const row = snapshot.steps.get(step.id);
      if (!row || row.status !== "pending" || snapshot.queued.has(step.id)) continue;
      const branches = this.branchSources.get(step.id);
      const fired = branches ? branches.some((edge) => this.#fired(snapshot, edge, step.id)) : undefined;
      if (branches && !fired) continue;
      // After a failure that fails the execution, only branches (on_failure handlers and what
      // they lead to) still start; steps that merely depended on others do not.
      if (failed && !fired) continue;
      if (!step.dependsOn.every((dep) => this.#satisfied(snapshot, dep))) continue;
      effects.newTasks.push(this.taskOf(step.id, now, snapshot.execution.priority));
      snapshot.queued.add(step.id);
    }
  }

  #satisfied(snapshot: ExecutionSnapshot, dep: string): boolean {
    const row = snapshot.steps.get(dep);
    if (!row) return false;
    if (row.status === "completed") return true;
    if (row.status === "skipped") return row.error === SKIP_CONDITION_FALSE;
    if (row.status === "failed" || row.status === "timed_out") return this.steps.get(dep)?.continueOnError === true;
    return false;
  }

  #fired(snapshot: ExecutionSnapshot, edge: BranchEdge, target: string): boolean {
    const row = snapshot.steps.get(edge.source);
    if (!row) return false;
    if (edge.on === "success") return row.status === "completed";
    if (edge.on === "failure") return row.status === "failed" || row.status === "timed_out";
    const output = row.output as { branch?: unknown; branches?: unknown } | null;
    return row.status === "completed" && (output?.branch === target || (Array.isArray(output?.branches) && output.branches.includes(target)));
  }

  #hasBlockingFailure(snapshot: ExecutionSnapshot): boolean {
    for (const row of snapshot.steps.values()) {
      if ((row.status === "failed" || row.status === "timed_out") && !this.steps.get(row.stepId)?.continueOnError) return true;
    }
    return false;
  }

  #finishIfDone(snapshot: ExecutionSnapshot, effects: Effects, now: number): void {
    if (snapshot.queued.size > 0) return;
    for (const row of snapshot.steps.values()) if (ACTIVE.has(row.status)) return;
    for (const row of snapshot.steps.values()) {
      if (row.status === "pending") {
        row.status = "skipped";
        effects.steps.push({ stepId: row.stepId, status: "skipped", error: SKIP_NOT_REACHED, finishedAt: now });
      }
    }
    const failedStep = [...snapshot.steps.values()].find((r) => (r.status === "failed" || r.status === "timed_out") && !this.steps.get(r.stepId)?.continueOnError);
    const output: Record<string, unknown> = {};
    for (const id of this.terminalSteps) {
      const row = snapshot.steps.get(id);
      if (row?.status === "completed") output[id] = row.output;
    }
    effects.execution = failedStep
      ? { status: "failed", error: `step ${failedStep.stepId} ${failedStep.status === "timed_out" ? "timed out" : "failed"}: ${failedStep.error ?? ""}`, output, finishedAt: now }
      : { status: "completed", output, finishedAt: now };
    effects.logs.push({ stepId: null, level: failedStep ? "error" : "info", message: `execution ${effects.execution.status}`, timestamp: now });
  }
}
