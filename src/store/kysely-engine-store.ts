// The EngineStore contract on Kysely for both dialects. Every verb is one transaction; decisions
// come in as pure functions and are applied to the rows they were made from. PostgreSQL locks the
// execution row (FOR UPDATE) so completions of parallel steps on several nodes apply one at a time;
// SQLite's single writer gives the same order.
import type { Kysely } from "kysely";
import { newSortableId } from "../core/ids.js";
import { appendAudit } from "./audit-append.js";
import { executionToRow, toExecution, toStep } from "./engine-row-mapping.js";
import type { EngineRows } from "./engine-rows.js";
import { PendingRows } from "./engine-rows.js";
import type { DialectAdapter } from "./dialect-adapter.js";
import { LeaseAdmission } from "./lease-admission.js";
import { TenantLimitsCache } from "./tenant-limits.js";
import type { SchedulerSnapshot } from "./scheduler-status.js";
import { readSchedulerSnapshot } from "./scheduler-status.js";
import { TaskClaims, claimedTask } from "./task-claims.js";
import { VirtualTime } from "../scheduling/virtual-time.js";
import type {
  ClaimedTask,
  ClaimResult,
  ClaimScope,
  Completion,
  CreatedExecution,
  Decide,
  Effects,
  EngineStore,
  ExecutionFilter,
  ExecutionRow,
  ExecutionSnapshot,
  LeaseOffer,
  QueueHint,
  LogInput,
  LogRow,
  NewExecution,
  StepRow,
  WorkflowRow,
  WorkflowStatus,
  WorkflowVersionRow,
} from "./engine-store.js";
import type { Database, TasksTable, WorkflowsTable } from "./schema.js";
import type { AuditEntry, AuditSealer } from "./audit-types.js";

/** Starts executions inside a write transaction that its caller holds (KyselyEngineStore.writeWithStarts). */
export type CreateWithin = (inputs: NewExecution[], offer: LeaseOffer | undefined) => Promise<CreatedExecution[]>;

export class KyselyEngineStore implements EngineStore {
  #adapter: DialectAdapter;
  #db: Kysely<Database>;
  #sealer: AuditSealer;
  #rows: EngineRows;
  #seq = 0;
  #limits = new TenantLimitsCache();
  #time = new VirtualTime();
  #claims: TaskClaims;
  #creates: Array<{ input: NewExecution; offer: LeaseOffer | undefined; resolve: (result: CreatedExecution) => void; reject: (error: unknown) => void }> = [];

  constructor(adapter: DialectAdapter, sealer: AuditSealer) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.#sealer = sealer;
    this.#rows = adapter.engineRows;
    this.#claims = new TaskClaims({ dialect: adapter.dialect, rows: this.#rows, limits: this.#limits, time: this.#time });
  }

  // --- workflows ---------------------------------------------------------------------------

  async saveWorkflow(input: { tenantId: string; workflowId: string; name: string; definition: string; hash: string; status?: WorkflowStatus; tags?: string[]; ownerId?: string | null; now: number; audit: AuditEntry[] }) {
    return this.#write(async (trx) => {
      let q = trx.selectFrom("workflows").selectAll().where("tenant_id", "=", input.tenantId).where("workflow_id", "=", input.workflowId);
      if (this.#adapter.lockRows) q = q.forUpdate();
      const existing = await q.executeTakeFirst();
      if (existing) {
        const current = await trx
          .selectFrom("workflow_versions")
          .select("hash")
          .where("tenant_id", "=", input.tenantId)
          .where("workflow_id", "=", input.workflowId)
          .where("version", "=", existing.current_version)
          .executeTakeFirstOrThrow();
        const changed = current.hash !== input.hash;
        const version = changed ? Number(existing.current_version) + 1 : Number(existing.current_version);
        if (changed) {
          await trx.insertInto("workflow_versions").values({ tenant_id: input.tenantId, workflow_id: input.workflowId, version, definition: input.definition, hash: input.hash, created_at: input.now }).execute();
        }
        const patch: Partial<WorkflowsTable> = { name: input.name, current_version: version, updated_at: input.now };
        if (input.status) patch.status = input.status;
        if (input.tags) patch.tags = JSON.stringify(input.tags);
        if (input.ownerId !== undefined) patch.owner_id = input.ownerId;
        await trx.updateTable("workflows").set(patch).where("tenant_id", "=", input.tenantId).where("workflow_id", "=", input.workflowId).execute();
        if (changed) await appendAudit(trx, this.#adapter, this.#sealer, input.audit);
        const row = await trx.selectFrom("workflows").selectAll().where("tenant_id", "=", input.tenantId).where("workflow_id", "=", input.workflowId).executeTakeFirstOrThrow();
        return { workflow: toWorkflow(row), version, created: false, changed };
      }
      const row: WorkflowsTable = {
        tenant_id: input.tenantId,
        workflow_id: input.workflowId,
        name: input.name,
        status: input.status ?? "draft",
        current_version: 1,
        tags: JSON.stringify(input.tags ?? []),
        owner_id: input.ownerId ?? null,
        created_at: input.now,
        updated_at: input.now,
      };
      await trx.insertInto("workflows").values(row).execute();
      await trx.insertInto("workflow_versions").values({ tenant_id: input.tenantId, workflow_id: input.workflowId, version: 1, definition: input.definition, hash: input.hash, created_at: input.now }).execute();
      await appendAudit(trx, this.#adapter, this.#sealer, input.audit);
      return { workflow: toWorkflow(row), version: 1, created: true, changed: true };
    });
  }

  async getWorkflow(tenantId: string, workflowId: string): Promise<WorkflowRow | undefined> {
    const row = await this.#db.selectFrom("workflows").selectAll().where("tenant_id", "=", tenantId).where("workflow_id", "=", workflowId).executeTakeFirst();
    return row ? toWorkflow(row) : undefined;
  }

  async getWorkflowVersion(tenantId: string, workflowId: string, version: number): Promise<WorkflowVersionRow | undefined> {
    const row = await this.#db.selectFrom("workflow_versions").selectAll().where("tenant_id", "=", tenantId).where("workflow_id", "=", workflowId).where("version", "=", version).executeTakeFirst();
    return row ? { tenantId: row.tenant_id, workflowId: row.workflow_id, version: Number(row.version), definition: row.definition, hash: row.hash, createdAt: Number(row.created_at) } : undefined;
  }

  async listWorkflowVersions(tenantId: string, workflowId: string) {
    const rows = await this.#db
      .selectFrom("workflow_versions")
      .select(["tenant_id", "workflow_id", "version", "hash", "created_at"])
      .where("tenant_id", "=", tenantId)
      .where("workflow_id", "=", workflowId)
      .orderBy("version")
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, workflowId: r.workflow_id, version: Number(r.version), hash: r.hash, createdAt: Number(r.created_at) }));
  }

  async listWorkflows(tenantId: string, filter: { status?: WorkflowStatus; ownerId?: string; tag?: string } = {}): Promise<WorkflowRow[]> {
    let q = this.#db.selectFrom("workflows").selectAll().where("tenant_id", "=", tenantId).orderBy("created_at").orderBy("workflow_id");
    if (filter.status) q = q.where("status", "=", filter.status);
    if (filter.ownerId) q = q.where("owner_id", "=", filter.ownerId);
    const rows = (await q.execute()).map(toWorkflow);
    return filter.tag === undefined ? rows : rows.filter((w) => w.tags.includes(filter.tag as string));
  }

  async setWorkflowStatus(tenantId: string, workflowId: string, status: WorkflowStatus, now: number, audit: AuditEntry[]): Promise<WorkflowRow | undefined> {
    return this.#write(async (trx) => {
      const result = await trx.updateTable("workflows").set({ status, updated_at: now }).where("tenant_id", "=", tenantId).where("workflow_id", "=", workflowId).executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return undefined;
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return toWorkflow(await trx.selectFrom("workflows").selectAll().where("tenant_id", "=", tenantId).where("workflow_id", "=", workflowId).executeTakeFirstOrThrow());
    });
  }

  // --- executions --------------------------------------------------------------------------

  /**
   * Starts that arrive in the same turn of the event loop commit in one transaction (group
   * commit, as completions do); each resolves once that transaction has committed.
   */
  createExecution(input: NewExecution, offer?: LeaseOffer): Promise<CreatedExecution> {
    return new Promise((resolve, reject) => {
      this.#creates.push({ input, offer, resolve, reject });
      if (this.#creates.length === 1) setImmediate(() => void this.#flushCreates());
    });
  }

  async #flushCreates(): Promise<void> {
    const batch = this.#creates.splice(0);
    // The newest offer knows this node's capacity best; the batch shares it.
    const offer = batch.findLast((c) => c.offer)?.offer;
    try {
      const results = await this.#write((trx) => this.#createAll(trx, batch.map((c) => c.input), offer));
      batch.forEach((c, i) => c.resolve(results[i] as CreatedExecution));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(error);
        return;
      }
      // One start's failure must not fail the others: each runs alone.
      for (const c of batch) {
        await this.#write((trx) => this.#createAll(trx, [c.input], c.offer)).then(([result]) => c.resolve(result as CreatedExecution), c.reject);
      }
    }
  }

  /**
   * One write transaction in which `create` starts executions as createExecution does, for a verb
   * of another store of this package that commits its own rows with the executions they start (a
   * trigger batch records its fires in the same commit). The transaction never leaves the store.
   */
  writeWithStarts<T>(fn: (trx: Kysely<Database>, create: CreateWithin) => Promise<T>): Promise<T> {
    return this.#write((trx) => fn(trx, (inputs, offer) => this.#createAll(trx, inputs, offer)));
  }

  /**
   * Inserts several executions with each kind of row written once for all of them (one look-up of
   * their idempotency keys, one insert of each kind, one audit append), so a batch costs a few round
   * trips, not a few per execution. A key found (or given twice in the batch) answers the first
   * execution with `created: false`.
   *
   * The rows go in first; then the tenants' admission locks are taken (in one order; no claim or
   * commit holding one ever waits on these rows, which are new), and the first steps are leased
   * and written with the audit entries. The locks are held only for the lease decisions, the
   * writes and the commit, so starts of one tenant wait on each other no longer than that.
   */
  async #createAll(trx: Kysely<Database>, inputs: NewExecution[], offer: LeaseOffer | undefined): Promise<CreatedExecution[]> {
    if (inputs.length === 0) return [];
    const keyOf = (e: ExecutionRow) => (e.idempotencyKey === null ? undefined : `${e.tenantId}\u0000${e.idempotencyKey}`);
    const existing = await this.#findKeys(trx, inputs.map((i) => i.execution));
    const fresh: NewExecution[] = [];
    for (const input of inputs) {
      const key = keyOf(input.execution);
      if (key === undefined) fresh.push(input);
      else if (!existing.has(key)) {
        existing.set(key, input.execution.executionId);
        fresh.push(input);
      }
    }
    // Two starts with the same key at once on two nodes: the second insert does nothing.
    const inserted = fresh.length === 0 ? new Set<string>() : new Set((await trx.insertInto("executions").values(fresh.map((i) => executionToRow(i.execution))).onConflict((oc) => oc.columns(["tenant_id", "idempotency_key"]).doNothing()).returning("execution_id").execute()).map((r) => r.execution_id));
    const lost = fresh.filter((i) => !inserted.has(i.execution.executionId));
    if (lost.length > 0) for (const [key, id] of await this.#findKeys(trx, lost.map((i) => i.execution))) existing.set(key, id);
    const created = fresh.filter((i) => inserted.has(i.execution.executionId));
    await this.#rows.insertSteps(trx, created.flatMap((i) => i.steps));
    const admission = offer && created.length > 0 ? await this.#admission(trx, offer, created.map((i) => i.execution.tenantId)) : undefined;
    const pending = new PendingRows();
    const snapshots = new Map<string, ExecutionSnapshot>();
    const results = new Map<string, CreatedExecution>();
    let leased = 0;
    for (const input of created) {
      const e = input.execution;
      const snapshot: ExecutionSnapshot = { execution: { ...e }, steps: new Map(input.steps.map((st) => [st.stepId, { ...st }])), queued: new Set() };
      const claimed: ClaimedTask[] = [];
      const hint = emptyHint();
      await this.#apply(trx, snapshot, { steps: [], newTasks: input.tasks, logs: input.logs }, offer && { ...offer, max: offer.max - leased }, admission, claimed, hint, pending);
      leased += claimed.length;
      snapshots.set(e.executionId, snapshot);
      results.set(e.executionId, { created: true, executionId: e.executionId, claimed, hint });
    }
    pending.audit.push(...created.flatMap((i) => i.audit));
    await this.#flushPending(trx, pending);
    this.#rows.remember(snapshots.values());
    for (const r of results.values()) attachContext(r.claimed, snapshots);
    return inputs.map((i) => results.get(i.execution.executionId) ?? { created: false, executionId: existing.get(keyOf(i.execution) as string) as string, claimed: [], hint: emptyHint() });
  }

  /** The executions already holding these executions' idempotency keys, by `tenant\0key`. */
  async #findKeys(trx: Kysely<Database>, executions: ExecutionRow[]): Promise<Map<string, string>> {
    const keyed = executions.filter((e) => e.idempotencyKey !== null);
    if (keyed.length === 0) return new Map();
    const rows = await trx
      .selectFrom("executions")
      .select(["tenant_id", "idempotency_key", "execution_id"])
      .where((eb) => eb.or([...new Set(keyed.map((e) => e.tenantId))].map((t) => eb.and([eb("tenant_id", "=", t), eb("idempotency_key", "in", keyed.filter((e) => e.tenantId === t).map((e) => e.idempotencyKey as string))]))))
      .execute();
    return new Map(rows.map((r) => [`${r.tenant_id}\u0000${r.idempotency_key}`, r.execution_id]));
  }

  async getExecution(tenantId: string, executionId: string): Promise<ExecutionRow | undefined> {
    const row = await this.#db.selectFrom("executions").selectAll().where("tenant_id", "=", tenantId).where("execution_id", "=", executionId).executeTakeFirst();
    return row ? toExecution(row) : undefined;
  }

  async listExecutions(filter: ExecutionFilter): Promise<ExecutionRow[]> {
    let q = this.#db.selectFrom("executions").selectAll().where("tenant_id", "=", filter.tenantId);
    if (filter.workflowId) q = q.where("workflow_id", "=", filter.workflowId);
    if (filter.status) q = q.where("status", "=", filter.status);
    if (filter.before) {
      const { createdAt, executionId } = filter.before;
      q = q.where((eb) => eb.or([eb("created_at", "<", createdAt), eb.and([eb("created_at", "=", createdAt), eb("execution_id", "<", executionId)])]));
    }
    const rows = await q.orderBy("created_at", "desc").orderBy("execution_id", "desc").limit(filter.limit ?? 100).execute();
    return rows.map(toExecution);
  }

  async getSteps(tenantId: string, executionId: string): Promise<StepRow[]> {
    const rows = await this.#db.selectFrom("step_executions").selectAll().where("tenant_id", "=", tenantId).where("execution_id", "=", executionId).orderBy("step_execution_id").execute();
    return rows.map(toStep);
  }

  async findStepExecution(tenantId: string, stepExecutionId: string): Promise<StepRow | undefined> {
    const row = await this.#db.selectFrom("step_executions").selectAll().where("tenant_id", "=", tenantId).where("step_execution_id", "=", stepExecutionId).executeTakeFirst();
    return row ? toStep(row) : undefined;
  }

  async getLogs(tenantId: string, executionId: string, options: { stepId?: string; limit?: number } = {}): Promise<LogRow[]> {
    let q = this.#db.selectFrom("execution_logs").selectAll().where("tenant_id", "=", tenantId).where("execution_id", "=", executionId);
    if (options.stepId !== undefined) q = q.where("step_id", "=", options.stepId);
    const rows = await q.orderBy("timestamp").orderBy("log_id").limit(options.limit ?? 10_000).execute();
    return rows.map((r) => ({
      logId: r.log_id,
      executionId: r.execution_id,
      tenantId: r.tenant_id,
      stepId: r.step_id,
      level: r.level as LogInput["level"],
      message: r.message,
      ...(r.data !== null ? { data: JSON.parse(r.data) as unknown } : {}),
      timestamp: Number(r.timestamp),
    }));
  }

  // --- tasks -------------------------------------------------------------------------------

  claimTasks(nodeId: string, now: number, leaseExpiresAt: number, limit: number, scope?: ClaimScope): Promise<ClaimResult> {
    if (limit <= 0) return Promise.resolve([]);
    return this.#write(async (trx) => {
      const claimed = await this.#claims.claim(trx, nodeId, now, leaseExpiresAt, limit, scope?.labels ?? [], scope?.order ?? "priority", scope?.slots, Math.min(now, scope?.readyBy ?? now));
      this.#rows.forget(claimed.map((t) => t.executionId));
      return claimed;
    });
  }

  listConcurrencyHolders(tenantId: string, key: string): Promise<Array<{ executionId: string; status: ExecutionRow["status"] }>> {
    return this.#claims.listConcurrencyHolders(this.#db, tenantId, key);
  }

  async completeTasks<C extends Completion>(nodeId: string, completions: C[], decide: Decide<C>, offer?: LeaseOffer): Promise<{ applied: C[]; stale: C[]; claimed: ClaimedTask[]; hint: QueueHint }> {
    // Lock executions in one order on every node, so two nodes' batches never deadlock.
    const ordered = [...completions].sort((a, b) => (a.executionId < b.executionId ? -1 : a.executionId > b.executionId ? 1 : 0));
    return this.#write(async (trx) => {
      const applied: C[] = [];
      const stale: C[] = [];
      const claimed: ClaimedTask[] = [];
      const hint = emptyHint();
      // Only tasks this node still holds at the fence it ran them with may commit.
      const { deleted, snapshots } = await this.#rows.takeLeased(trx, nodeId, ordered);
      // No admission lock up front: a completed step hands its slot to the next step of its
      // tenant, and any other lease tries the lock without waiting (see LeaseAdmission).
      const admission = offer && new LeaseAdmission(this.#rows, this.#limits, this.#time, trx, offer.now, { locked: [], released: deleted.values(), tryLock: true });
      const live = ordered.filter((c) => deleted.has(c.taskId));
      // Every completing step leaves the queue before any decision: their steps are still
      // running, so no decision treats them as finished before their own completion is applied.
      for (const c of live) snapshots.get(c.executionId)?.queued.delete(c.stepId);
      const pending = new PendingRows();
      for (const completion of ordered) {
        const snapshot = deleted.has(completion.taskId) ? snapshots.get(completion.executionId) : undefined;
        if (!snapshot) {
          stale.push(completion);
          continue;
        }
        await this.#apply(trx, snapshot, decide(snapshot, completion), offer, admission, claimed, hint, pending);
        applied.push(completion);
      }
      await this.#flushPending(trx, pending);
      this.#rows.remember(snapshots.values());
      attachContext(claimed, snapshots);
      return { applied, stale, claimed, hint };
    });
  }

  async updateExecution(tenantId: string, executionId: string, decide: (snapshot: ExecutionSnapshot) => Effects | undefined, offer?: LeaseOffer): Promise<{ found: boolean; claimed: ClaimedTask[]; hint: QueueHint }> {
    return this.#write(async (trx) => {
      const admission = offer && (await this.#admission(trx, offer, [tenantId]));
      const snapshot = (await this.#rows.loadSnapshots(trx, [executionId])).get(executionId);
      if (!snapshot || snapshot.execution.tenantId !== tenantId) return { found: false, claimed: [], hint: emptyHint() };
      const effects = decide(snapshot);
      const claimed: ClaimedTask[] = [];
      const hint = emptyHint();
      if (effects) {
        const pending = new PendingRows();
        await this.#apply(trx, snapshot, effects, offer, admission, claimed, hint, pending);
        await this.#flushPending(trx, pending);
        this.#rows.remember([snapshot]);
      } else {
        // A refusal may have looked at (and changed) the snapshot without writing it.
        this.#rows.forget([executionId]);
      }
      attachContext(claimed, new Map([[executionId, snapshot]]));
      return { found: true, claimed, hint };
    });
  }

  async extendLeases(nodeId: string, tasks: Array<{ taskId: string; fence: number }>, leaseExpiresAt: number): Promise<Set<string>> {
    const lost = new Set<string>();
    if (tasks.length === 0) return lost;
    await this.#write(async (trx) => {
      for (const task of tasks) {
        const result = await trx.updateTable("tasks").set({ lease_expires_at: leaseExpiresAt }).where("task_id", "=", task.taskId).where("fence", "=", task.fence).where("lease_owner", "=", nodeId).executeTakeFirst();
        if (Number(result.numUpdatedRows) === 0) lost.add(task.taskId);
      }
    });
    return lost;
  }

  schedulerSnapshot(now: number, tenantId?: string): Promise<SchedulerSnapshot> {
    return readSchedulerSnapshot(this.#db, now, tenantId);
  }

  async countActiveExecutions(): Promise<number> {
    const row = await this.#db.selectFrom("executions").select((eb) => eb.fn.countAll().as("n")).where("status", "in", ["pending", "running", "paused"]).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async dueDeadlines(now: number, limit: number): Promise<Array<{ tenantId: string; executionId: string }>> {
    const rows = await this.#db
      .selectFrom("executions")
      .select(["tenant_id", "execution_id"])
      .where("deadline_at", "is not", null)
      .where("deadline_at", "<=", now)
      .where("status", "in", ["pending", "running", "paused"])
      .orderBy("deadline_at")
      .limit(limit)
      .execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, executionId: r.execution_id }));
  }

  async releaseLeases(nodeId: string): Promise<number> {
    return this.#write(async (trx) => {
      const result = await trx.updateTable("tasks").set({ lease_expires_at: 0 }).where("lease_owner", "=", nodeId).executeTakeFirst();
      return Number(result.numUpdatedRows);
    });
  }

  async nextReadyAt(now: number): Promise<number | undefined> {
    const row = await this.#db
      .selectFrom("tasks")
      .select((eb) => eb.fn.min("ready_at").as("next"))
      .where("ready_at", ">", now)
      .where("lease_owner", "is", null)
      .executeTakeFirst();
    return row?.next === null || row?.next === undefined ? undefined : Number(row.next);
  }

  // --- internals ---------------------------------------------------------------------------

  /** A write transaction; when it fails, snapshots it may have changed in memory are dropped. */
  async #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    try {
      return await this.#adapter.write(fn);
    } catch (error) {
      this.#rows.forget();
      throw error;
    }
  }

  /**
   * Applies effects to the in-memory snapshot (later completions in the batch see them) and queues
   * the row writes in `pending`, which the caller flushes once before committing.
   */
  async #apply(
    trx: Kysely<Database>,
    snapshot: ExecutionSnapshot,
    effects: Effects,
    offer: LeaseOffer | undefined,
    admission: LeaseAdmission | undefined,
    claimed: ClaimedTask[],
    hint: QueueHint,
    pending: PendingRows,
  ): Promise<void> {
    const { executionId, tenantId } = snapshot.execution;
    for (const change of effects.steps) {
      const { stepId, ...fields } = change;
      const current = snapshot.steps.get(stepId);
      if (!current) continue;
      Object.assign(current, fields);
      pending.steps.add(current);
    }
    if (effects.dropTasks === "all") {
      await trx.deleteFrom("tasks").where("execution_id", "=", executionId).execute();
      pending.tasks = pending.tasks.filter((t) => t.execution_id !== executionId);
      snapshot.queued.clear();
    } else if (effects.dropTasks?.length) {
      const drop = new Set(effects.dropTasks);
      await trx.deleteFrom("tasks").where("execution_id", "=", executionId).where("step_id", "in", effects.dropTasks).execute();
      pending.tasks = pending.tasks.filter((t) => t.execution_id !== executionId || !drop.has(t.step_id));
      for (const stepId of effects.dropTasks) snapshot.queued.delete(stepId);
    }
    // Without an offer (a control call on an engine that is not running) "now" is the wall clock.
    const now = offer?.now ?? Date.now();
    for (const task of effects.newTasks) {
      // Leased on commit only as a claim would: in a pool this node serves, within the quota.
      const gated = task.gate !== undefined && !admission?.holdsKey(executionId);
      const slot = offer && admission && claimed.length < offer.max && task.readyAt <= offer.now && servesPool(offer, task.pool) && (offer.slots?.take() ?? true);
      const lease =
        slot &&
        (!gated || (await admission.keyOpen(tenantId, task.gate?.key as string, task.gate?.limit as number))) &&
        (await admission.admit(tenantId, task));
      if (slot && !lease) offer.slots?.giveBack();
      if (lease && gated) {
        // The execution now holds its key: its other first tasks need no second turn.
        admission.takeKey(tenantId, executionId, task.gate?.key as string);
        for (const t of pending.tasks) if (t.execution_id === executionId) Object.assign(t, { concurrency_key: null, concurrency_limit: null });
      }
      const stillGated = task.gate !== undefined && !admission?.holdsKey(executionId);
      const row: TasksTable = {
        task_id: newSortableId(task.readyAt),
        tenant_id: tenantId,
        execution_id: executionId,
        step_id: task.stepId,
        priority: task.priority,
        ready_at: task.readyAt,
        seq: this.#nextSeq(task.readyAt),
        lease_owner: lease ? offer.nodeId : null,
        lease_expires_at: lease ? offer.leaseExpiresAt : null,
        fence: lease ? 1 : 0,
        memory_mb: task.memoryMb,
        cpu_percent: task.cpuPercent,
        pool: task.pool,
        concurrency_key: stillGated ? (task.gate?.key ?? null) : null,
        concurrency_limit: stillGated ? (task.gate?.limit ?? null) : null,
      };
      pending.tasks.push(row);
      snapshot.queued.add(task.stepId);
      if (lease) claimed.push(this.#startAttempt(row, offer.now, snapshot, pending));
      else if (task.readyAt <= now) hint.unleasedReady += 1;
      if (task.readyAt > now) hint.nextReadyAt = Math.min(hint.nextReadyAt ?? Infinity, task.readyAt);
    }
    if (effects.execution) {
      Object.assign(snapshot.execution, effects.execution);
      pending.executions.add(snapshot.execution);
    }
    for (const l of effects.logs) {
      pending.logs.push({ log_id: newSortableId(l.timestamp), execution_id: executionId, tenant_id: tenantId, step_id: l.stepId, level: l.level, message: l.message, data: l.data === undefined ? null : JSON.stringify(l.data), timestamp: l.timestamp });
    }
    if (effects.audit?.length) pending.audit.push(...effects.audit);
  }

  /** Writes what a transaction gathered: the rows, then its audit entries (per chain, at once). */
  async #flushPending(trx: Kysely<Database>, pending: PendingRows): Promise<void> {
    await pending.flush(this.#rows, trx);
    await appendAudit(trx, this.#adapter, this.#sealer, pending.audit);
  }

  /**
   * Admission for the leases of one commit. It first takes the admission locks of the tenants the
   * commit may lease for, in one order on every node and before any row lock: a claim holding a
   * tenant's lock then never waits on rows a commit of that tenant holds, so neither deadlocks.
   */
  async #admission(trx: Kysely<Database>, offer: LeaseOffer, tenantIds: Iterable<string | undefined>): Promise<LeaseAdmission> {
    const locked = lockOrder(tenantIds);
    await this.#rows.lockTenants(trx, locked, true);
    return new LeaseAdmission(this.#rows, this.#limits, this.#time, trx, offer.now, { locked });
  }

  /** A task leased by this commit starts its step's attempt in the snapshot (written with the rest). */
  #startAttempt(task: TasksTable, now: number, snapshot: ExecutionSnapshot, pending: PendingRows): ClaimedTask {
    const step = snapshot.steps.get(task.step_id);
    if (!step) throw new Error(`step ${task.step_id} of execution ${task.execution_id} is missing`);
    // A step already running means its previous attempt's lease expired without a completion.
    if (step.status === "running") step.lost += 1;
    step.status = "running";
    step.attempts += 1;
    step.startedAt ??= now;
    pending.steps.add(step);
    if (snapshot.execution.status === "pending") {
      Object.assign(snapshot.execution, { status: "running", startedAt: now });
      pending.executions.add(snapshot.execution);
    }
    return claimedTask(task, { ...step });
  }

  #nextSeq(readyAt: number): number {
    this.#seq = (this.#seq + 1) % 1000;
    return readyAt * 1000 + this.#seq;
  }
}

/** Distinct tenant ids in the one order every node locks them in. */
function lockOrder(tenantIds: Iterable<string | undefined>): string[] {
  const ids = new Set<string>();
  for (const id of tenantIds) if (id !== undefined) ids.add(id);
  return [...ids].sort();
}

function servesPool(offer: LeaseOffer, pool: string | null): boolean {
  return pool === null || (offer.labels?.includes(pool) ?? false);
}

function emptyHint(): QueueHint {
  return { unleasedReady: 0, nextReadyAt: undefined };
}

/** Gives each task leased by a commit the committed state it was leased from (copied: later use must not see changes). */
function attachContext(claimed: ClaimedTask[], snapshots: Map<string, ExecutionSnapshot | undefined>): void {
  for (const task of claimed) {
    const snapshot = snapshots.get(task.executionId);
    if (snapshot) task.context = { execution: { ...snapshot.execution }, steps: [...snapshot.steps.values()].map((s) => ({ ...s })) };
  }
}

function toWorkflow(r: WorkflowsTable): WorkflowRow {
  return {
    tenantId: r.tenant_id,
    workflowId: r.workflow_id,
    name: r.name,
    status: r.status as WorkflowStatus,
    currentVersion: Number(r.current_version),
    tags: JSON.parse(r.tags) as string[],
    ownerId: r.owner_id,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

