// The durable engine of one node: claims ready tasks with leases, runs them, and commits their
// outcomes in groups. A commit that makes new steps ready leases them to this node in the same
// transaction (claim-on-commit), so a step's successor starts without a poll; other work is found
// by claims on a timer (the next ready time, a retry's backoff) and a poll for other nodes' work.
// Every state change is committed before it is acted on: a node killed at any moment loses only
// leases, which expire (or which it reclaims at once when it restarts with the same node id).
import type { Clock, TimerHandle } from "../core/clock.js";
import { errorMessage } from "../core/errors.js";
import type { ClaimResult, ClaimedTask, Completion, EngineStore, ExecutionRow, LeaseOffer, QueueHint, SlotBudget, StepRow } from "../store/engine-store.js";
import type { Logger } from "../telemetry/logger.js";
import type { WorkflowDefinition } from "../workflow/model.js";
import type { EnginePlugin } from "./engine-events.js";
import { EngineEvents } from "./engine-events.js";
import type { RunnerParts } from "./step-runner.js";
import { StepRunner } from "./step-runner.js";
import type { StepOutcome } from "./workflow-plan.js";
import { WorkflowPlan } from "./workflow-plan.js";

export interface EngineOptions {
  /** This node's persistent id: its leases are reclaimed at once when it restarts. */
  nodeId: string;
  /** Tasks this node runs at once (default 10). */
  concurrency: number;
  /** Worker pools this node serves besides steps without `runs_on` (default none). */
  labels?: readonly string[];
  /** How this node picks work (docs/scheduling.md#strategies); default priority_based. */
  strategy?: "priority_based" | "round_robin" | "load_balanced";
  /** load_balanced: above this share of `concurrency` in use, nothing is leased on commit (default 0.8). */
  loadThreshold?: number;
  /** How long a claim is good for before another node may take the task (default 30 s). */
  leaseMs: number;
  /** How often to look for work that other nodes made ready (default 1 s). */
  pollMs: number;
  /** Attempts lost to crashes before a step fails as `crashed` (default 3). */
  maxLostAttempts: number;
  /**
   * Called at named points of the checkpoint path (`claimed`, `before-commit`, `after-commit`);
   * crash tests kill the process there. Not for production use.
   */
  faultPoint?: (point: "claimed" | "before-commit" | "after-commit") => void;
  /**
   * Group commits of completions that may run at once (default 1). A server database gains from
   * two: one batch's statements overlap the other's round trips and commit.
   */
  commitsInFlight?: number;
}

interface PendingCompletion extends Completion {
  outcome: StepOutcome;
  plan: WorkflowPlan;
  tenantId: string;
  /** Filled by the decision inside the commit: what the execution became. */
  finished?: { status: ExecutionRow["status"]; error: string | null; workflowId: string; durationMs: number };
  stepStatus?: StepRow["status"];
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Timers wake at most a day ahead (setTimeout overflows past 2^31 ms); waking early just re-arms. */
function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 86_400_000);
}

export class Engine {
  readonly events = new EngineEvents();
  #store: EngineStore;
  #clock: Clock;
  #logger: Logger;
  #options: EngineOptions;
  #runner: StepRunner;
  #random: () => number;
  #plans = new Map<string, Promise<WorkflowPlan>>();
  #plugins: EnginePlugin[] = [];
  #inFlight = new Map<string, { task: ClaimedTask; controller: AbortController }>();
  #running = false;
  /** Ready work may be waiting that no commit leased to this node: claim when capacity frees. */
  #backlog = true;
  #looping = false;
  #wakeAgain = false;
  #timer: TimerHandle | undefined;
  #timerAt = Infinity;
  #pollTimer: NodeJS.Timeout | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #pending: PendingCompletion[] = [];
  /** Group commits running now, and how many of the running steps' completions they hold. */
  #flushes = 0;
  #committing = 0;
  /** Slots that running commits and claims have taken and whose tasks are not dispatched yet. */
  #leasing = 0;
  #flushScheduled = false;
  #idle: Array<() => void> = [];
  #labels: readonly string[];

  constructor(parts: { store: EngineStore; clock: Clock; logger: Logger; random: () => number } & Omit<RunnerParts, "clock" | "maxLostAttempts">, options: EngineOptions) {
    this.#store = parts.store;
    this.#clock = parts.clock;
    this.#logger = parts.logger.child({ component: "engine", nodeId: options.nodeId });
    this.#options = options;
    this.#labels = options.labels ?? [];
    this.#random = parts.random;
    this.#runner = new StepRunner({ clock: parts.clock, executors: parts.executors, secrets: parts.secrets, maxLostAttempts: options.maxLostAttempts });
  }

  get nodeId(): string {
    return this.#options.nodeId;
  }

  /** How often this node looks for work made ready elsewhere (and waiters for ends committed elsewhere). */
  get pollMs(): number {
    return this.#options.pollMs;
  }

  /** This node's workers now (scheduler status): whether it claims, and steps running of its capacity. */
  get workers(): { nodeId: string; claiming: boolean; running: number; concurrency: number } {
    return { nodeId: this.#options.nodeId, claiming: this.#running, running: this.#inFlight.size, concurrency: this.#options.concurrency };
  }

  use(plugin: EnginePlugin): void {
    this.#plugins.push(plugin);
  }

  /** Reclaims this node's own leases (a restart), then starts claiming. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const released = await this.#store.releaseLeases(this.#options.nodeId);
    if (released) this.#logger.info({ released }, "reclaiming this node's leases from before a restart");
    // Real timers, not the injected clock: these only look for work; when work is due is decided
    // by the clock (ready_at), and a fake clock in tests wakes the engine through #schedule.
    this.#pollTimer = setInterval(() => this.wake(), this.#options.pollMs);
    this.#pollTimer.unref();
    this.#renewTimer = setInterval(() => void this.#renewLeases(), Math.max(50, Math.floor(this.#options.leaseMs / 3)));
    this.#renewTimer.unref();
    this.wake();
  }

  /** Stops claiming, cancels running steps (their leases are released), and commits what finished. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearInterval(this.#pollTimer);
    clearInterval(this.#renewTimer);
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const { controller } of this.#inFlight.values()) controller.abort(new Error("the node is shutting down"));
    // A claim already under way finishes before the store closes (its tasks are released below).
    await this.#loopDone;
    await this.whenIdle();
    await this.#store.releaseLeases(this.#options.nodeId);
  }

  /** Resolves when no step runs on this node and no completion waits to commit. */
  whenIdle(): Promise<void> {
    if (this.#inFlight.size === 0 && this.#pending.length === 0 && this.#flushes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The lease offer for a commit: new ready tasks go to this node while it has room. */
  leaseOffer(): LeaseOffer | undefined {
    if (!this.#running) return undefined;
    const now = this.#clock.now();
    const max = this.#commitCapacity() - this.#inFlight.size - this.#leasing;
    return max > 0 ? { nodeId: this.#options.nodeId, now, leaseExpiresAt: now + this.#options.leaseMs, max, labels: this.#labels, slots: this.#slotBudget() } : undefined;
  }

  /**
   * Free slots out of `capacity` for one commit or claim, shared with every other one running at
   * once: a slot is free while running steps, plus leases not dispatched yet, leave it, counting
   * the slots of steps whose completions are being committed (they end with that commit, and
   * their next steps may take them). dispatch settles the budget.
   */
  #slotBudget(capacity = this.#commitCapacity()): SlotBudget & { taken: number } {
    const budget = {
      taken: 0,
      take: () => {
        if (capacity - this.#inFlight.size + this.#committing - this.#leasing <= 0) return false;
        budget.taken += 1;
        this.#leasing += 1;
        return true;
      },
      giveBack: () => {
        budget.taken -= 1;
        this.#leasing -= 1;
      },
    };
    return budget;
  }

  /** Ends an offer's hold on free slots: call it once its leased tasks are dispatched, or its commit failed. */
  settle(offer: LeaseOffer | undefined): void {
    this.#settleSlots(offer?.slots);
  }

  #settleSlots(slots: SlotBudget | undefined): void {
    const budget = slots as (SlotBudget & { taken: number }) | undefined;
    if (!budget) return;
    this.#leasing -= budget.taken;
    budget.taken = 0;
  }

  get #maxFlushes(): number {
    return Math.max(1, this.#options.commitsInFlight ?? 1);
  }

  /**
   * Slots that commits may lease into. Under load_balanced a node above its load threshold leaves
   * new ready steps to claims, where every node competes and the least busy takes most.
   */
  #commitCapacity(): number {
    if (this.#options.strategy !== "load_balanced") return this.#options.concurrency;
    return Math.max(1, Math.floor(this.#options.concurrency * (this.#options.loadThreshold ?? 0.8)));
  }

  /**
   * How much one claim takes, and of what. Under load_balanced a node below its load threshold
   * claims fresh work only up to the threshold, and a node at or above it claims only tasks that
   * have been ready for one poll interval. Every less busy node (polling at the same interval) has
   * looked by then and taken what it has room for: new work goes to the nodes with free capacity,
   * and a busy node still fills its own slots with what is left.
   */
  #claimWindow(free: number, now: number): { limit: number; readyBy: number } {
    if (this.#options.strategy !== "load_balanced") return { limit: free, readyBy: now };
    const belowThreshold = this.#commitCapacity() - this.#inFlight.size - this.#leasing;
    return belowThreshold > 0 ? { limit: Math.min(free, belowThreshold), readyBy: now } : { limit: free, readyBy: now - this.#options.pollMs };
  }

  /** This node as the scheduler sees it, for status pages. */
  status(): { nodeId: string; labels: readonly string[]; concurrency: number; running: number; strategy: string; workersStarted: boolean } {
    return { nodeId: this.#options.nodeId, labels: this.#labels, concurrency: this.#options.concurrency, running: this.#inFlight.size, strategy: this.#options.strategy ?? "priority_based", workersStarted: this.#running };
  }

  /** Hands tasks leased to this node by a commit (start, control, completion) to the runner. */
  dispatch(tasks: ClaimedTask[]): void {
    if (tasks.length) this.#options.faultPoint?.("claimed");
    for (const task of tasks) void this.#run(task);
  }

  /** The plan of a workflow version, parsed once per process. */
  plan(tenantId: string, workflowId: string, version: number): Promise<WorkflowPlan> {
    const key = `${tenantId}\u0000${workflowId}\u0000${version}`;
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = this.#store.getWorkflowVersion(tenantId, workflowId, version).then((row) => {
        if (!row) throw new Error(`workflow ${workflowId} version ${version} is missing`);
        return new WorkflowPlan(JSON.parse(row.definition) as WorkflowDefinition);
      });
      plan.catch(() => this.#plans.delete(key));
      this.#plans.set(key, plan);
    }
    return plan;
  }

  /** Aborts running attempts of an execution on this node (cancel). */
  abortExecution(executionId: string, reason: unknown): void {
    for (const { task, controller } of this.#inFlight.values()) if (task.executionId === executionId) controller.abort(reason);
  }

  emitStarted(execution: ExecutionRow): void {
    const event = { tenantId: execution.tenantId, executionId: execution.executionId, workflowId: execution.workflowId, version: execution.version };
    this.events.emit("execution.started", event);
    for (const p of this.#plugins) this.#callPlugin(() => p.onWorkflowStart?.(event));
  }

  emitFinished(event: { tenantId: string; executionId: string; workflowId: string; status: ExecutionRow["status"]; error: string | null; durationMs?: number }): void {
    this.events.emit("execution.finished", event);
    for (const p of this.#plugins) this.#callPlugin(() => p.onWorkflowComplete?.(event));
  }

  /**
   * An execution that held a concurrency key ended on this node: executions waiting for the key
   * are in the queue (claims pass over them while it is full), so claim now.
   */
  keyReleased(): void {
    this.#backlog = true;
    this.wake();
  }

  /** Looks for claimable work now (called on poll, on timers, and when capacity frees up). */
  wake(): void {
    if (!this.#running) return;
    if (this.#looping) {
      this.#wakeAgain = true;
      return;
    }
    this.#loopDone = this.#claimLoop();
  }

  #loopDone: Promise<void> = Promise.resolve();

  async #claimLoop(): Promise<void> {
    this.#looping = true;
    // The time of the last claim: the next timer must cover every task not ready at that time.
    // (Asking "after now" with a later now would skip a task that became due in between, and
    // nothing would wake for it.)
    let claimedAt = this.#clock.now();
    try {
      do {
        this.#wakeAgain = false;
        const free = this.#options.concurrency - this.#inFlight.size - this.#leasing;
        if (free <= 0 || !this.#running) break;
        claimedAt = this.#clock.now();
        const { limit, readyBy } = this.#claimWindow(free, claimedAt);
        // The claim takes its slots from the budget the node's commits share, when it picks.
        // (Claims may fill every slot: under load_balanced only commits stop at the threshold.)
        const slots = this.#slotBudget(this.#options.concurrency);
        let claimed: ClaimResult;
        try {
          claimed = await this.#store.claimTasks(this.#options.nodeId, claimedAt, claimedAt + this.#options.leaseMs, limit, { labels: this.#labels, order: this.#options.strategy === "round_robin" ? "fifo" : "priority", slots, readyBy });
          this.dispatch(claimed);
        } finally {
          this.#settleSlots(slots);
        }
        // Tasks held back by their tenants' quotas become claimable when a lease ends: claim
        // again after the next commit. Only a full batch means more may be ready right now.
        this.#backlog = claimed.length === limit || claimed.heldBack === true;
        if (claimed.length === limit) this.#wakeAgain = true;
        // A busy load_balanced node left the newest ready tasks to others: look again once they
        // have waited one poll interval (on the injected clock, like every timed wake-up).
        if (readyBy < claimedAt) this.noteQueue({ unleasedReady: 0, nextReadyAt: claimedAt + this.#options.pollMs });
      } while (this.#wakeAgain && this.#running);
      await this.#expireDeadlines();
      await this.#scheduleNextTimer(claimedAt);
    } catch (error) {
      this.#logger.error({ err: errorMessage(error) }, "claiming tasks failed; retrying on the next poll");
    } finally {
      this.#looping = false;
    }
  }

  /** Ends executions whose workflow timeout has passed (any node may; the first commit wins). */
  async #expireDeadlines(): Promise<void> {
    if (!this.#onDeadline) return;
    for (const due of await this.#store.dueDeadlines(this.#clock.now(), 100)) await this.#onDeadline(due.tenantId, due.executionId);
  }

  #onDeadline: ((tenantId: string, executionId: string) => Promise<void>) | undefined;

  /** The execution service ends timed-out executions; the engine only finds them. */
  onDeadline(handler: (tenantId: string, executionId: string) => Promise<void>): void {
    this.#onDeadline = handler;
  }

  /** Sleeps on the injected clock until the earliest timed task (a backoff, a wait) is due. */
  async #scheduleNextTimer(after: number): Promise<void> {
    const next = await this.#store.nextReadyAt(after);
    if (next === undefined || next >= this.#timerAt) return;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timerAt = next;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.wake();
    }, timerDelay(next - this.#clock.now()));
  }

  /** After a commit: claim what it could not lease to this node, and wake when its timed tasks are due. */
  noteQueue(hint: QueueHint): void {
    if (hint.unleasedReady > 0) {
      this.#backlog = true;
      this.wake();
    }
    if (hint.nextReadyAt !== undefined && hint.nextReadyAt < this.#timerAt && this.#running) {
      if (this.#timer) this.#clock.clearTimeout(this.#timer);
      this.#timerAt = hint.nextReadyAt;
      this.#timer = this.#clock.setTimeout(() => {
        this.#timer = undefined;
        this.#timerAt = Infinity;
        this.wake();
      }, timerDelay(hint.nextReadyAt - this.#clock.now()));
    }
  }

  async #run(task: ClaimedTask): Promise<void> {
    const controller = new AbortController();
    this.#inFlight.set(task.taskId, { task, controller });
    let outcome: StepOutcome;
    let plan: WorkflowPlan | undefined;
    try {
      // A task leased by a commit carries the state that commit saw; a claimed one reads it.
      const execution = task.context?.execution ?? (await this.#store.getExecution(task.tenantId, task.executionId));
      if (!execution) throw new Error(`execution ${task.executionId} is missing`);
      plan = await this.plan(execution.tenantId, execution.workflowId, execution.version);
      const steps = task.context?.steps ?? (await this.#store.getSteps(task.tenantId, task.executionId));
      const startEvent = { tenantId: task.tenantId, executionId: task.executionId, stepId: task.stepId, attempt: task.step.failures };
      this.events.emit("step.started", startEvent);
      for (const p of this.#plugins) this.#callPlugin(() => p.onStepStart?.(startEvent));
      outcome = await this.#runner.run({ task, plan, execution, steps, signal: controller.signal, log: (stepId, level, message, data) => this.#stepLog(task, stepId, level, message, data) });
    } catch (error) {
      outcome = { kind: "failed", error: errorMessage(error), retryable: true };
    }
    if (!this.#running) {
      // Stopped while the attempt ran: commit nothing. stop() releases the lease, so the step runs
      // again (counted as a lost attempt, with the same idempotency key) wherever work resumes.
      this.#inFlight.delete(task.taskId);
      this.#checkIdle();
      return;
    }
    if (!plan) {
      // Without a plan no decision can be made; the lease runs out and the task is tried again.
      this.#logger.error({ executionId: task.executionId, stepId: task.stepId }, "could not load the workflow plan for a task");
      this.#inFlight.delete(task.taskId);
      this.#checkIdle();
      return;
    }
    try {
      await this.#complete({ taskId: task.taskId, fence: task.fence, executionId: task.executionId, stepId: task.stepId, tenantId: task.tenantId, outcome, plan });
    } catch (error) {
      this.#logger.error({ err: errorMessage(error), executionId: task.executionId, stepId: task.stepId }, "committing a step outcome failed; the lease will expire and the step runs again");
    } finally {
      // The completion went out with a group commit, which has ended either way.
      this.#committing -= 1;
      this.#inFlight.delete(task.taskId);
      if (this.#backlog) this.wake();
      this.#checkIdle();
    }
  }

  #stepLog(task: ClaimedTask, stepId: string, level: "debug" | "info" | "warn" | "error", message: string, data: unknown): void {
    // Step logs ride with the step's completion commit; until then they are kept in memory.
    const buffered = this.#logs.get(task.taskId) ?? [];
    buffered.push({ stepId, level, message, ...(data !== undefined ? { data } : {}), timestamp: this.#clock.now() });
    this.#logs.set(task.taskId, buffered);
  }

  #logs = new Map<string, Array<{ stepId: string; level: "debug" | "info" | "warn" | "error"; message: string; data?: unknown; timestamp: number }>>();

  #complete(fields: Omit<PendingCompletion, "resolve" | "reject">): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ ...fields, resolve, reject });
      if (!this.#flushScheduled && this.#flushes < this.#maxFlushes) {
        this.#flushScheduled = true;
        setImmediate(() => {
          this.#flushScheduled = false;
          if (this.#flushes < this.#maxFlushes) this.#flush();
        });
      }
    });
  }

  /** One transaction for every completion that is waiting (group commit). */
  #flush(): void {
    const batch = this.#pending.splice(0);
    if (batch.length === 0) return;
    const now = this.#clock.now();
    // Capacity frees as these tasks finish: offer their slots to the steps they make ready.
    // (Another group commit may be running: the shared slot budget keeps both within capacity.)
    const offer = this.#running ? { nodeId: this.#options.nodeId, now, leaseExpiresAt: now + this.#options.leaseMs, max: this.#commitCapacity(), labels: this.#labels, slots: this.#slotBudget() } : undefined;
    this.#flushes += 1;
    this.#committing += batch.length;
    this.#options.faultPoint?.("before-commit");
    void this.#store
      .completeTasks(this.#options.nodeId, batch, (snapshot, c) => {
        const effects = c.plan.onOutcome(snapshot, c.stepId, c.outcome, now, this.#random);
        const logs = this.#logs.get(c.taskId);
        if (logs) effects.logs.unshift(...logs);
        c.stepStatus = snapshot.steps.get(c.stepId)?.status;
        const status = effects.execution?.status;
        if (status && status !== "running" && status !== "pending" && status !== "paused") {
          c.finished = { status, error: effects.execution?.error ?? null, workflowId: snapshot.execution.workflowId, durationMs: now - (snapshot.execution.startedAt ?? snapshot.execution.createdAt) };
        }
        return effects;
      }, offer)
      .then(
        ({ claimed, stale, hint }) => {
          this.#options.faultPoint?.("after-commit");
          for (const c of batch) this.#logs.delete(c.taskId);
          for (const c of stale) this.#logger.warn({ executionId: c.executionId, stepId: c.stepId }, "a step finished after its lease was taken over; its outcome was discarded");
          this.dispatch(claimed);
          this.settle(offer);
          const staleIds = new Set(stale.map((c) => c.taskId));
          for (const c of batch) {
            if (!staleIds.has(c.taskId)) this.#afterCommit(c);
            c.resolve();
          }
          this.noteQueue(hint);
        },
        (error: unknown) => {
          this.settle(offer);
          for (const c of batch) c.reject(error);
        },
      )
      .finally(() => {
        this.#flushes -= 1;
        if (this.#pending.length && this.#flushes < this.#maxFlushes) this.#flush();
        else this.#checkIdle();
      });
  }

  #afterCommit(c: PendingCompletion): void {
    if (c.stepStatus && c.stepStatus !== "running") {
      const event = { tenantId: c.tenantId, executionId: c.executionId, stepId: c.stepId, status: c.stepStatus, error: c.outcome.kind === "failed" ? c.outcome.error : null };
      this.events.emit("step.finished", event);
      for (const p of this.#plugins) this.#callPlugin(() => p.onStepComplete?.(event));
    }
    if (c.finished) {
      this.emitFinished({ tenantId: c.tenantId, executionId: c.executionId, ...c.finished });
      if (c.plan.definition.concurrency) this.keyReleased();
    }
  }

  async #renewLeases(): Promise<void> {
    if (this.#inFlight.size === 0) return;
    const tasks = [...this.#inFlight.values()].map(({ task }) => task);
    try {
      const lost = await this.#store.extendLeases(this.#options.nodeId, tasks, this.#clock.now() + this.#options.leaseMs);
      // A cancel or timeout committed by another node deleted the task: stop the step here too
      // (its outcome will not commit). The same holds for a lease another node took over.
      for (const taskId of lost) this.#inFlight.get(taskId)?.controller.abort(new Error("the step's task was cancelled or taken over by another node"));
    } catch (error) {
      this.#logger.warn({ err: errorMessage(error) }, "renewing leases failed");
    }
  }

  #callPlugin(call: () => void | Promise<void> | undefined): void {
    try {
      void Promise.resolve(call()).catch((error: unknown) => this.#logger.warn({ err: errorMessage(error) }, "a plugin hook failed"));
    } catch (error) {
      this.#logger.warn({ err: errorMessage(error) }, "a plugin hook failed");
    }
  }

  #checkIdle(): void {
    if (this.#inFlight.size === 0 && this.#pending.length === 0 && this.#flushes === 0) for (const resolve of this.#idle.splice(0)) resolve();
  }
}
