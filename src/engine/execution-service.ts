// Executions of a tenant: start (one transaction: execution, step rows, first tasks leased to this
// node), read with steps and logs, cancel, and wait for the end. Another tenant's execution answers
// exactly like a missing one.
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError, SynergyMeshError, ValidationError } from "../core/errors.js";
import { newSortableId } from "../core/ids.js";
import type { CreatedExecution, Effects, EngineStore, ExecutionRow, ExecutionSnapshot, ExecutionStatus, LeaseOffer, LogInput, LogRow, NewExecution, StepRow, WorkflowRow } from "../store/engine-store.js";
import { renderConcurrencyKey } from "./concurrency-key.js";
import type { WorkflowPlan } from "./workflow-plan.js";
import { SKIP_NOT_REACHED } from "./workflow-plan.js";
import type { Engine } from "./engine.js";
import type { WorkflowService } from "./workflow-service.js";

export interface StartExecutionOptions {
  /** 1-10, 10 highest (default: the workflow's priority). */
  priority?: number;
  /** Run this version instead of the current one. */
  version?: number;
  /** The same key for the same tenant gives the same execution (no second start). */
  idempotencyKey?: string;
  userId?: string;
}

/** A start checked and built, not yet committed (ExecutionService.prepare). */
export interface PreparedStart {
  rows: NewExecution;
  /** Set when the start ends cancelled at once (a full concurrency key under cancel_new). */
  refusedBy: string | undefined;
}

export interface ExecutionDetails extends ExecutionRow {
  steps: StepRow[];
}

const FINAL: ReadonlySet<ExecutionStatus> = new Set(["completed", "failed", "cancelled", "timed_out"]);

export class ExecutionService {
  #store: EngineStore;
  #clock: Clock;
  #engine: Engine;
  #workflows: WorkflowService;
  #awaitsApproval: (stepType: string) => boolean;

  /** `awaitsApproval` says which step types `decideApproval` may decide (default: `approval` only). */
  constructor(store: EngineStore, clock: Clock, engine: Engine, workflows: WorkflowService, awaitsApproval: (stepType: string) => boolean = (type) => type === "approval") {
    this.#store = store;
    this.#awaitsApproval = awaitsApproval;
    this.#clock = clock;
    this.#engine = engine;
    this.#workflows = workflows;
    engine.onDeadline((tenantId, executionId) => this.#timeOut(tenantId, executionId));
  }

  /** Ends an execution past its workflow timeout: queued steps dropped, running ones aborted. */
  async #timeOut(tenantId: string, executionId: string): Promise<void> {
    const current = await this.#store.getExecution(tenantId, executionId);
    if (!current) return;
    const plan = await this.#engine.plan(tenantId, current.workflowId, current.version);
    const now = this.#clock.now();
    let ended = false;
    await this.#store.updateExecution(tenantId, executionId, (snapshot) => {
      const deadline = snapshot.execution.deadlineAt;
      if (FINAL.has(snapshot.execution.status) || deadline === null || deadline > now) return undefined;
      ended = true;
      return plan.endExecution(snapshot, "timed_out", now, `workflow timeout of ${plan.definition.timeoutMs} ms passed`);
    });
    if (ended) {
      this.#engine.abortExecution(executionId, new Error("the workflow timed out"));
      this.#engine.emitFinished({ tenantId, executionId, workflowId: current.workflowId, status: "timed_out", error: `workflow timeout of ${plan.definition.timeoutMs} ms passed`, durationMs: now - (current.startedAt ?? current.createdAt) });
      if (current.concurrencyKey !== null) this.#engine.keyReleased();
    }
  }

  async start(tenantId: string, workflowId: string, input: unknown = {}, options: StartExecutionOptions = {}): Promise<{ executionId: string; created: boolean }> {
    const prepared = await this.prepare(tenantId, workflowId, input, options);
    const offer = this.#engine.leaseOffer();
    try {
      const result = await this.#store.createExecution(prepared.rows, offer);
      this.announce(prepared, result);
      return { executionId: result.executionId, created: result.created };
    } finally {
      this.#engine.settle(offer);
    }
  }

  /**
   * The first half of `start`: checks the start and builds the rows it writes, writing nothing (a
   * cancel_running start has cancelled its key's holders by then). `workflow` is the workflow row
   * when the caller has just read it. The rows are committed by createExecution, or by a store
   * verb that commits them with rows of its own (a trigger batch's fires), then `announce`d.
   */
  async prepare(tenantId: string, workflowId: string, input: unknown = {}, options: StartExecutionOptions = {}, workflow?: WorkflowRow): Promise<PreparedStart> {
    if (input === null || typeof input !== "object" || Array.isArray(input)) throw new ValidationError([{ path: "input", message: "must be an object" }]);
    if (options.priority !== undefined && !(Number.isInteger(options.priority) && options.priority >= 1 && options.priority <= 10)) {
      throw new ValidationError([{ path: "priority", message: "must be an integer from 1 to 10" }]);
    }
    workflow ??= await this.#workflows.get(tenantId, workflowId);
    if (workflow.status !== "draft" && workflow.status !== "active") throw new ConflictError(`Workflow ${workflowId} is ${workflow.status}; only draft and active workflows can be started`, { workflowId, status: workflow.status });
    const version = options.version ?? workflow.currentVersion;
    const plan = await this.#engine.plan(tenantId, workflowId, version).catch(() => {
      throw new NotFoundError("workflow version", `${workflowId}@${version}`);
    });
    const concurrency = plan.definition.concurrency;
    const concurrencyKey = renderConcurrencyKey(plan.definition, input);
    // cancel_running makes room before the start; cancel_new ends the start at once when the key is full.
    let refusedBy: string | undefined;
    if (concurrency && concurrencyKey !== null && concurrency.strategy !== "queue") {
      const holders = await this.#store.listConcurrencyHolders(tenantId, concurrencyKey);
      if (holders.length >= concurrency.limit && concurrency.strategy === "cancel_new") {
        refusedBy = `concurrency key "${concurrencyKey}" is held by ${holders.length} execution(s) (limit ${concurrency.limit}); cancel_new cancels the new one`;
      } else if (concurrency.strategy === "cancel_running") {
        for (const h of holders.slice(0, Math.max(0, holders.length - concurrency.limit + 1))) {
          await this.cancel(tenantId, h.executionId, options.userId ?? "system", `cancelled by a newer execution with concurrency key "${concurrencyKey}" (cancel_running)`).catch((error: unknown) => {
            // Ended meanwhile: it no longer holds the key.
            if (!(error instanceof ConflictError)) throw error;
          });
        }
      }
    }
    const now = this.#clock.now();
    const executionId = newSortableId(now);
    const priority = options.priority ?? plan.definition.priority;
    const execution: ExecutionRow = {
      executionId,
      tenantId,
      workflowId,
      version,
      status: "pending",
      input,
      output: null,
      error: null,
      priority,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      deadlineAt: plan.definition.timeoutMs !== undefined ? now + plan.definition.timeoutMs : null,
      idempotencyKey: options.idempotencyKey ?? null,
      concurrencyKey,
      ...(refusedBy !== undefined ? { status: "cancelled" as const, error: refusedBy, finishedAt: now } : {}),
    };
    const steps: StepRow[] = plan.definition.steps.map((s) => ({
      stepExecutionId: newSortableId(now),
      executionId,
      tenantId,
      stepId: s.id,
      status: refusedBy !== undefined ? ("skipped" as const) : ("pending" as const),
      attempts: 0,
      failures: 0,
      lost: 0,
      output: null,
      error: refusedBy !== undefined ? SKIP_NOT_REACHED : null,
      startedAt: null,
      finishedAt: refusedBy !== undefined ? now : null,
    }));
    const gate = concurrency && concurrencyKey !== null ? { key: concurrencyKey, limit: concurrency.limit } : undefined;
    const tasks = refusedBy !== undefined ? [] : plan.initialTasks(now, priority).map((t) => (gate ? { ...t, gate } : t));
    const logs: LogInput[] = [{ stepId: null, level: "info", message: `execution started (workflow ${workflowId} version ${version})`, timestamp: now }];
    if (refusedBy !== undefined) logs.push({ stepId: null, level: "warn", message: `execution cancelled: ${refusedBy}`, timestamp: now });
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "start_execution", status: "success", componentId: workflowId, userId: options.userId ?? "system", metadata: { execution_id: executionId, version, priority } })];
    return { rows: { execution, steps, tasks, logs, audit }, refusedBy };
  }

  /**
   * After a prepared start's commit: its events, its leased first steps run, the queue noted.
   * The caller settles the offer it committed with once every start of that commit is announced.
   */
  announce(prepared: PreparedStart, result: CreatedExecution): void {
    this.#engine.dispatch(result.claimed);
    if (!result.created) return;
    const { execution } = prepared.rows;
    this.#engine.emitStarted(execution);
    if (prepared.refusedBy !== undefined) this.#engine.emitFinished({ tenantId: execution.tenantId, executionId: execution.executionId, workflowId: execution.workflowId, status: "cancelled", error: prepared.refusedBy, durationMs: 0 });
    // Wake for the workflow timeout as for any timed task.
    const wakeAt = Math.min(result.hint.nextReadyAt ?? Infinity, execution.deadlineAt ?? Infinity);
    this.#engine.noteQueue({ ...result.hint, nextReadyAt: Number.isFinite(wakeAt) ? wakeAt : undefined });
  }

  /** What this node can lease to the first steps of the starts committed now (settle it after announcing them). */
  leaseOffer(): LeaseOffer | undefined {
    return this.#engine.leaseOffer();
  }

  /** Ends an offer's hold on the node's free slots: after its starts are announced, or when their commit failed. */
  settle(offer: LeaseOffer | undefined): void {
    this.#engine.settle(offer);
  }

  async get(tenantId: string, executionId: string): Promise<ExecutionDetails> {
    const execution = await this.#store.getExecution(tenantId, executionId);
    if (!execution) throw new NotFoundError("execution", executionId);
    return { ...execution, steps: await this.#store.getSteps(tenantId, executionId) };
  }

  list(tenantId: string, filter: { workflowId?: string; status?: ExecutionStatus; limit?: number; before?: { createdAt: number; executionId: string } } = {}) {
    return this.#store.listExecutions({ tenantId, ...filter });
  }

  async logs(tenantId: string, executionId: string, options: { stepId?: string } = {}): Promise<LogRow[]> {
    await this.get(tenantId, executionId);
    return this.#store.getLogs(tenantId, executionId, options);
  }

  /** Ends the execution as cancelled: queued steps are dropped and running ones aborted. */
  async cancel(tenantId: string, executionId: string, userId = "system", reason = "cancelled by user"): Promise<ExecutionRow> {
    const current = await this.get(tenantId, executionId);
    if (FINAL.has(current.status)) throw new ConflictError(`Execution ${executionId} is already ${current.status}`, { executionId, status: current.status });
    const plan = await this.#engine.plan(tenantId, current.workflowId, current.version);
    const now = this.#clock.now();
    let ended = false;
    await this.#store.updateExecution(tenantId, executionId, (snapshot) => {
      if (FINAL.has(snapshot.execution.status)) return undefined;
      ended = true;
      const effects = plan.endExecution(snapshot, "cancelled", now, reason);
      effects.audit = [makeAuditEntry(this.#clock, { tenantId, action: "cancel_execution", status: "success", componentId: current.workflowId, userId, metadata: { execution_id: executionId } })];
      return effects;
    });
    if (ended) {
      this.#engine.abortExecution(executionId, new Error("the execution was cancelled"));
      this.#engine.emitFinished({ tenantId, executionId, workflowId: current.workflowId, status: "cancelled", error: reason, durationMs: now - (current.startedAt ?? current.createdAt) });
      if (current.concurrencyKey !== null) this.#engine.keyReleased();
    }
    return (await this.get(tenantId, executionId)) as ExecutionRow;
  }

  /** Pause: no new step starts (running ones finish); resume continues. */
  pause(tenantId: string, executionId: string, userId = "system"): Promise<ExecutionRow> {
    return this.#control(tenantId, executionId, "pause_execution", userId, (plan, snapshot, now) => {
      if (snapshot.execution.status !== "running" && snapshot.execution.status !== "pending") return `is ${snapshot.execution.status}; only pending or running executions can be paused`;
      return plan.pause(snapshot, now);
    });
  }

  resume(tenantId: string, executionId: string, userId = "system"): Promise<ExecutionRow> {
    return this.#control(tenantId, executionId, "resume_execution", userId, (plan, snapshot, now) => {
      if (snapshot.execution.status !== "paused") return `is ${snapshot.execution.status}; only paused executions can be resumed`;
      return plan.resume(snapshot, now);
    });
  }

  /** Runs the failed steps (and what they blocked) again; completed steps keep their outputs. */
  retry(tenantId: string, executionId: string, userId = "system"): Promise<ExecutionRow> {
    return this.#control(tenantId, executionId, "retry_execution", userId, (plan, snapshot, now) => {
      const status = snapshot.execution.status;
      if (status !== "failed" && status !== "timed_out" && status !== "cancelled") return `is ${status}; only failed, timed-out or cancelled executions can be retried`;
      return plan.retry(snapshot, now);
    });
  }

  /** Runs one failed step execution again (seed 001 `POST /step-executions/{id}/retry`). */
  async retryStep(tenantId: string, stepExecutionId: string, userId = "system"): Promise<ExecutionRow> {
    const found = await this.#store.findStepExecution(tenantId, stepExecutionId);
    if (!found) throw new NotFoundError("step execution", stepExecutionId);
    return this.#control(tenantId, found.executionId, "retry_step", userId, (plan, snapshot, now) => {
      const row = snapshot.steps.get(found.stepId);
      if (!row || (row.status !== "failed" && row.status !== "timed_out" && row.status !== "cancelled")) return `step ${found.stepId} is ${row?.status}; only failed, timed-out or cancelled steps can be retried`;
      if (snapshot.execution.status === "paused") return "is paused; resume it first";
      return plan.retry(snapshot, now, found.stepId);
    });
  }

  /** Records a decision on a waiting approval step and queues the step so it finishes now. */
  decideApproval(tenantId: string, executionId: string, stepId: string, decision: { approved: boolean; comment?: string; userId?: string; groups?: string[] }): Promise<ExecutionRow> {
    if (typeof decision?.approved !== "boolean") throw new ValidationError([{ path: "approved", message: "must be true or false" }]);
    const userId = decision.userId ?? "system";
    return this.#control(tenantId, executionId, decision.approved ? "approve_step" : "reject_step", userId, (plan, snapshot, now) => {
      const row = snapshot.steps.get(stepId);
      const state = row?.output as { status?: string; approvers?: string[] } | null | undefined;
      const type = plan.steps.get(stepId)?.type;
      if (!row || type === undefined || !this.#awaitsApproval(type)) return `has no approval step ${stepId}`;
      if (row.status !== "waiting" || state?.status !== "pending") return `step ${stepId} is not waiting for approval (it is ${row.status})`;
      if (state.approvers?.length && ![userId, ...(decision.groups ?? [])].some((who) => state.approvers?.includes(who))) {
        return new SynergyMeshError("FORBIDDEN", `${userId} is not among the approvers of step ${stepId} (${state.approvers.join(", ")}), nor in a group that is`, { executionId, stepId, approvers: state.approvers });
      }
      const output = { ...(row.output as object), status: decision.approved ? "approved" : "rejected", decided_by: userId, decided_at: now, ...(decision.comment ? { comment: decision.comment } : {}) };
      row.output = output;
      snapshot.queued.delete(stepId);
      return {
        steps: [{ stepId, output }],
        dropTasks: [stepId],
        newTasks: snapshot.execution.status === "paused" ? [] : [plan.taskOf(stepId, now, snapshot.execution.priority)],
        logs: [{ stepId, level: "info", message: `${decision.approved ? "approved" : "rejected"} by ${userId}`, timestamp: now }],
      };
    });
  }

  /**
   * Hands a result to a step of type `stepType` that is waiting for it (an agent's callback): `update`
   * gets the step's waiting state and returns the new one, or a reason to refuse (CONFLICT). The
   * step is queued at once and its executor sees the new state as `previousOutput`.
   */
  resumeWaitingStep(tenantId: string, executionId: string, stepId: string, stepType: string, action: string, userId: string, update: (state: unknown) => unknown): Promise<ExecutionRow> {
    return this.#control(tenantId, executionId, action, userId, (plan, snapshot, now) => {
      const row = snapshot.steps.get(stepId);
      if (!row || plan.steps.get(stepId)?.type !== stepType) return `has no ${stepType} step ${stepId}`;
      if (row.status !== "waiting") return `step ${stepId} is not waiting (it is ${row.status})`;
      const output = update(row.output);
      if (typeof output === "string") return output;
      row.output = output;
      snapshot.queued.delete(stepId);
      return {
        steps: [{ stepId, output }],
        dropTasks: [stepId],
        newTasks: snapshot.execution.status === "paused" ? [] : [plan.taskOf(stepId, now, snapshot.execution.priority)],
        logs: [{ stepId, level: "info", message: `${action} by ${userId}`, timestamp: now }],
      };
    });
  }

  /** Applies a control decision; `decide` refuses with a reason (409) or a coded error of its own. */
  async #control(tenantId: string, executionId: string, action: string, userId: string, decide: (plan: WorkflowPlan, snapshot: ExecutionSnapshot, now: number) => Effects | string | SynergyMeshError): Promise<ExecutionRow> {
    const current = await this.get(tenantId, executionId);
    const plan = await this.#engine.plan(tenantId, current.workflowId, current.version);
    const now = this.#clock.now();
    let refusal: string | SynergyMeshError | undefined;
    let finished: { status: ExecutionStatus; error: string | null } | undefined;
    const offer = this.#engine.leaseOffer();
    let result: Awaited<ReturnType<EngineStore["updateExecution"]>>;
    try {
      result = await this.#store.updateExecution(
        tenantId,
        executionId,
        (snapshot) => {
          const effects = decide(plan, snapshot, now);
          if (typeof effects === "string" || effects instanceof SynergyMeshError) {
            refusal = effects;
            return undefined;
          }
          const status = effects.execution?.status;
          if (status && FINAL.has(status)) finished = { status, error: effects.execution?.error ?? null };
          effects.audit = [makeAuditEntry(this.#clock, { tenantId, action, status: "success", componentId: current.workflowId, userId, metadata: { execution_id: executionId } })];
          return effects;
        },
        offer,
      );
      this.#engine.dispatch(result.claimed);
    } finally {
      this.#engine.settle(offer);
    }
    if (!result.found) throw new NotFoundError("execution", executionId);
    if (refusal instanceof SynergyMeshError) throw refusal;
    if (refusal) throw new ConflictError(`Execution ${executionId} ${refusal}`, { executionId });
    this.#engine.noteQueue(result.hint);
    if (finished) {
      this.#engine.emitFinished({ tenantId, executionId, workflowId: current.workflowId, ...finished });
      if (current.concurrencyKey !== null) this.#engine.keyReleased();
    }
    return (await this.get(tenantId, executionId)) as ExecutionRow;
  }

  /**
   * Resolves with the execution once it has ended (completed, failed, cancelled or timed out).
   * Ends on this node arrive as events; ends committed by another node sharing the database are
   * found by a read every poll interval.
   */
  async wait(tenantId: string, executionId: string, options: { signal?: AbortSignal } = {}): Promise<ExecutionDetails> {
    let poll: NodeJS.Timeout | undefined;
    let onFinish: ((event: { executionId: string }) => void) | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        onFinish = (event) => {
          if (event.executionId === executionId) resolve();
        };
        this.#engine.events.on("execution.finished", onFinish);
        options.signal?.addEventListener("abort", () => reject(options.signal?.reason), { once: true });
        // Subscribed first, then read: an execution that ended in between is seen by the read.
        // The checks read the execution row only; its steps are read once, when it has ended.
        const check = () =>
          this.#store.getExecution(tenantId, executionId).then((e) => {
            if (!e) reject(new NotFoundError("execution", executionId));
            else if (FINAL.has(e.status)) resolve();
          }, reject);
        void check();
        poll = setInterval(() => void check(), this.#engine.pollMs);
      });
    } finally {
      clearInterval(poll);
      if (onFinish) this.#engine.events.off("execution.finished", onFinish);
    }
    return this.get(tenantId, executionId);
  }
}
