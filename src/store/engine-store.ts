// The storage contract of the execution engine, in domain verbs: workflows and their versions,
// executions with their step rows, and the task queue with leases and fencing tokens. Decisions
// about what runs next are pure functions the engine passes in; the store applies them inside the
// transaction that holds the execution's rows, so every state change is committed before it is
// acted on (SPEC F4).
import type { SchedulerSnapshot } from "./scheduler-status.js";
import type { AuditEntry } from "./audit-types.js";

export type ExecutionStatus = "pending" | "running" | "paused" | "completed" | "failed" | "cancelled" | "timed_out";
export type StepStatus = "pending" | "running" | "retrying" | "waiting" | "completed" | "failed" | "skipped" | "cancelled" | "timed_out";
export type WorkflowStatus = "draft" | "active" | "paused" | "archived";

export interface WorkflowRow {
  tenantId: string;
  workflowId: string;
  name: string;
  status: WorkflowStatus;
  currentVersion: number;
  tags: string[];
  ownerId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface WorkflowVersionRow {
  tenantId: string;
  workflowId: string;
  version: number;
  /** The normalized definition as JSON. */
  definition: string;
  hash: string;
  createdAt: number;
}

export interface ExecutionRow {
  executionId: string;
  tenantId: string;
  workflowId: string;
  version: number;
  status: ExecutionStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  priority: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  deadlineAt: number | null;
  idempotencyKey: string | null;
  /** The rendered workflow concurrency key, if the workflow has one. */
  concurrencyKey?: string | null;
}

export interface StepRow {
  stepExecutionId: string;
  executionId: string;
  tenantId: string;
  stepId: string;
  status: StepStatus;
  /** Attempts started. */
  attempts: number;
  /** Attempts that failed (the `attempt` of the idempotency key: a lost lease keeps it). */
  failures: number;
  /** Attempts lost to crashes (lease expired while running). */
  lost: number;
  output: unknown;
  error: string | null;
  startedAt: number | null;
  finishedAt: number | null;
}

export interface NewTask {
  stepId: string;
  readyAt: number;
  priority: number;
  /** Reserved from the tenant's quota while the task is leased (the step's `resources`). */
  memoryMb: number;
  cpuPercent: number;
  /** The worker pool the step asks for (`runs_on`); null: any node. */
  pool: string | null;
  /** On an execution's first tasks: it starts only while fewer than `limit` executions with `key` run. */
  gate?: { key: string; limit: number };
}

/** The tasks a claim leased; `heldBack`: ready tasks were left because their tenants are at quota. */
export type ClaimResult = ClaimedTask[] & { heldBack?: boolean };

/** Which tasks a node may take: those of no pool, and those of a pool it serves. */
export interface ClaimScope {
  labels: readonly string[];
  /** A tenant's own tasks by priority then ready time (default), or by ready time only (round_robin). */
  order?: "priority" | "fifo";
  /** The node's free slots, shared with its commits: each picked task takes one (see LeaseOffer.slots). */
  slots?: SlotBudget;
  /** Only tasks ready by this time (default: the claim's now). A busy load_balanced node claims late. */
  readyBy?: number;
}

/** A task leased to a node: it may run the step until `leaseExpiresAt`, and commit only with `fence`. */
export interface ClaimedTask {
  taskId: string;
  tenantId: string;
  executionId: string;
  stepId: string;
  priority: number;
  readyAt: number;
  fence: number;
  leaseExpiresAt: number;
  /** The step row after this attempt started (attempts counted, `lost` raised when the previous attempt was lost). */
  step: StepRow;
  /**
   * The committed state of the execution when the task was leased by a commit that had it loaded
   * (claim-on-commit): the runner needs no read. Absent for tasks found by a claim.
   */
  context?: { execution: ExecutionRow; steps: StepRow[] };
}

/** What a commit left for later: ready tasks it could not lease, and the earliest timed task. */
export interface QueueHint {
  unleasedReady: number;
  nextReadyAt: number | undefined;
}

export interface LogInput {
  stepId: string | null;
  level: "debug" | "info" | "warn" | "error";
  message: string;
  data?: unknown;
  timestamp: number;
}

export interface LogRow extends LogInput {
  logId: string;
  executionId: string;
  tenantId: string;
}

/** What a decision changes: step rows, new tasks, the execution itself, logs. */
export interface Effects {
  steps: Array<Partial<Omit<StepRow, "stepExecutionId" | "executionId" | "tenantId">> & { stepId: string }>;
  newTasks: NewTask[];
  /** Tasks of this execution to delete (cancelled branches, a cancelled execution). */
  dropTasks?: "all" | string[];
  execution?: Partial<Pick<ExecutionRow, "status" | "output" | "error" | "startedAt" | "finishedAt" | "deadlineAt">>;
  logs: LogInput[];
  audit?: AuditEntry[];
}

/** Lease new tasks to this node at once (claim-on-commit), up to `max`. */
export interface LeaseOffer {
  nodeId: string;
  /** Only tasks ready by now are leased at once; timed ones wait in the queue. */
  now: number;
  leaseExpiresAt: number;
  max: number;
  /** The pools this node serves; a task of another pool is left in the queue. */
  labels?: readonly string[];
  /**
   * The node's free slots, shared by every commit it runs at once: each lease takes one first
   * (and gives it back when admission refuses it), so two commits never lease the same slot.
   */
  slots?: SlotBudget;
}

export interface SlotBudget {
  take(): boolean;
  giveBack(): void;
}

/** What a start committed: `created: false` with the earlier execution when its idempotency key was found. */
export interface CreatedExecution {
  created: boolean;
  executionId: string;
  claimed: ClaimedTask[];
  hint: QueueHint;
}

export interface NewExecution {
  execution: ExecutionRow;
  steps: StepRow[];
  tasks: NewTask[];
  logs: LogInput[];
  audit: AuditEntry[];
}

/** A finished attempt reported by a worker. */
export interface Completion {
  taskId: string;
  fence: number;
  executionId: string;
  stepId: string;
  /** The execution's tenant: with an offer, the store takes the tenant's admission lock before any row lock. */
  tenantId?: string;
}

export interface ExecutionSnapshot {
  execution: ExecutionRow;
  steps: Map<string, StepRow>;
  /** Steps with a task in the queue (pending, leased or timed). */
  queued: Set<string>;
}

export type Decide<C extends Completion> = (snapshot: ExecutionSnapshot, completion: C) => Effects;

export interface ExecutionFilter {
  tenantId: string;
  workflowId?: string;
  status?: ExecutionStatus;
  limit?: number;
  /** Cursor: executions created before this one (by created_at, execution_id). */
  before?: { createdAt: number; executionId: string };
}

export interface EngineStore {
  /** Saves a definition as the workflow's next version when its hash differs; creates the workflow when new. */
  saveWorkflow(input: { tenantId: string; workflowId: string; name: string; definition: string; hash: string; status?: WorkflowStatus; tags?: string[]; ownerId?: string | null; now: number; audit: AuditEntry[] }): Promise<{ workflow: WorkflowRow; version: number; created: boolean; changed: boolean }>;
  getWorkflow(tenantId: string, workflowId: string): Promise<WorkflowRow | undefined>;
  getWorkflowVersion(tenantId: string, workflowId: string, version: number): Promise<WorkflowVersionRow | undefined>;
  listWorkflowVersions(tenantId: string, workflowId: string): Promise<Array<Omit<WorkflowVersionRow, "definition">>>;
  listWorkflows(tenantId: string, filter?: { status?: WorkflowStatus; ownerId?: string; tag?: string }): Promise<WorkflowRow[]>;
  setWorkflowStatus(tenantId: string, workflowId: string, status: WorkflowStatus, now: number, audit: AuditEntry[]): Promise<WorkflowRow | undefined>;

  /** Inserts the execution, its step rows and first tasks; leases up to `offer.max` of them to the node. */
  createExecution(input: NewExecution, offer?: LeaseOffer): Promise<CreatedExecution>;
  getExecution(tenantId: string, executionId: string): Promise<ExecutionRow | undefined>;
  listExecutions(filter: ExecutionFilter): Promise<ExecutionRow[]>;
  getSteps(tenantId: string, executionId: string): Promise<StepRow[]>;
  findStepExecution(tenantId: string, stepExecutionId: string): Promise<StepRow | undefined>;
  getLogs(tenantId: string, executionId: string, options?: { stepId?: string; limit?: number }): Promise<LogRow[]>;

  /**
   * Leases up to `limit` ready tasks of the pools in `scope`: weighted fair share between tenants,
   * each tenant within its quota counted over every node's leases, by priority within a tenant.
   */
  claimTasks(nodeId: string, now: number, leaseExpiresAt: number, limit: number, scope?: ClaimScope): Promise<ClaimResult>;
  /**
   * Applies completions in one transaction. A completion whose task is gone or whose fence moved
   * on (another node took the lease) is returned as stale and changes nothing.
   */
  completeTasks<C extends Completion>(nodeId: string, completions: C[], decide: Decide<C>, offer?: LeaseOffer): Promise<{ applied: C[]; stale: C[]; claimed: ClaimedTask[]; hint: QueueHint }>;
  /** Applies a decision to an execution outside any task (control operations, approvals). */
  updateExecution(tenantId: string, executionId: string, decide: (snapshot: ExecutionSnapshot) => Effects | undefined, offer?: LeaseOffer): Promise<{ found: boolean; claimed: ClaimedTask[]; hint: QueueHint }>;
  /** Unended executions of the tenant with this concurrency key, oldest first. */
  listConcurrencyHolders(tenantId: string, key: string): Promise<Array<{ executionId: string; status: ExecutionRow["status"] }>>;
  /** Extends the leases this node still holds on running tasks (a fence that moved on is not extended). */
  /**
   * Renews this node's leases; returns the tasks it no longer holds (deleted by a cancel or a
   * workflow timeout on any node, or taken over after the lease ran out).
   */
  extendLeases(nodeId: string, tasks: Array<{ taskId: string; fence: number }>, leaseExpiresAt: number): Promise<Set<string>>;
  /** Executions not yet ended (pending, running, paused), over all tenants (for the metrics gauge). */
  countActiveExecutions(): Promise<number>;
  /** Queues per tenant, live leases per node and concurrency keys, across all nodes (one tenant's when given). */
  schedulerSnapshot(now: number, tenantId?: string): Promise<SchedulerSnapshot>;
  /** Unfinished executions whose workflow timeout has passed (oldest deadline first). */
  dueDeadlines(now: number, limit: number): Promise<Array<{ tenantId: string; executionId: string }>>;
  /** Makes this node's leases claimable at once (a restarted node reclaims its own work). */
  releaseLeases(nodeId: string): Promise<number>;
  /** The earliest `ready_at` of an unleased task after `now`, to sleep exactly until then. */
  nextReadyAt(now: number): Promise<number | undefined>;
}
