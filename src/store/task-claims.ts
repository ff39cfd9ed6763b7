// The claim: which ready tasks a node leases now. Each tenant's best tasks come from an index,
// tenant by tenant; the fair-share pick (src/scheduling/fair-share.ts) chooses among them within
// each tenant's quota and concurrency keys; the chosen rows are leased and their steps started.
// Runs inside the engine store's write transaction, on both dialects.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Candidate } from "../scheduling/fair-share.js";
import { gateKey, pickFair } from "../scheduling/fair-share.js";
import type { VirtualTime } from "../scheduling/virtual-time.js";
import { toStep } from "./engine-row-mapping.js";
import type { EngineRows } from "./engine-rows.js";
import type { ClaimedTask, ClaimResult, ExecutionRow, SlotBudget, StepRow } from "./engine-store.js";
import type { Database, TasksTable } from "./schema.js";
import type { TenantLimitsCache } from "./tenant-limits.js";

/** Statuses of an execution that holds its concurrency key. */
export const HOLDING = ["running", "paused"];

/** How a tenant's own tasks are ordered: priority first (priority_based), or ready time only (round_robin). */
export type TenantOrder = "priority" | "fifo";

export class TaskClaims {
  #dialect: "sqlite" | "postgres";
  #rows: EngineRows;
  #limits: TenantLimitsCache;
  #time: VirtualTime;
  constructor(parts: { dialect: "sqlite" | "postgres"; rows: EngineRows; limits: TenantLimitsCache; time: VirtualTime }) {
    this.#dialect = parts.dialect;
    this.#rows = parts.rows;
    this.#limits = parts.limits;
    this.#time = parts.time;
  }

  /**
   * Leases up to `limit` tasks of the pools in `labels` that were ready by `readyBy` (at most
   * `now`), inside the store's write transaction, each taking one of the node's free `slots`.
   */
  async claim(trx: Kysely<Database>, nodeId: string, now: number, leaseExpiresAt: number, limit: number, labels: readonly string[], tenantOrder: TenantOrder, slots?: SlotBudget, readyBy = now): Promise<ClaimResult> {
    // Each tenant's best tasks (at most `limit` each, in its own order), then weighted fair
    // share between tenants within their quotas (src/scheduling/fair-share.ts).
    const candidates = await this.#candidates(trx, now, readyBy, limit, labels, tenantOrder);
    if (candidates.length === 0) return [];
    const tenants = [...new Set(candidates.map((c) => c.tenantId))].sort();
    // PostgreSQL: no other node admits these tenants until this claim commits, and usage is
    // read after the lock, so leases never pass a quota across nodes.
    await this.#rows.lockTenants(trx, tenants, true);
    const limits = await this.#limits.load(trx, tenants);
    const usage = await this.#rows.leaseUsage(trx, tenants.filter((t) => limits.get(t)?.quota), now);
    const holders = await this.#holders(trx, candidates);
    // The node's commits may have leased some of its free slots since the claim began.
    const granted = slots ? countWhile(limit, () => slots.take()) : limit;
    const picked = pickFair(candidates, usage, (t) => limits.get(t) ?? { weight: 1, quota: undefined }, granted, this.#time, holders);
    for (let i = picked.length; i < granted; i++) slots?.giveBack();
    const heldBack = picked.length < Math.min(limit, candidates.length);
    if (picked.length === 0) return Object.assign([], { heldBack });
    // A candidate another node leased meanwhile is left out by the lease check (PostgreSQL
    // re-checks the row after waiting for that node's commit).
    const rows = await sql<TasksTable>`
      UPDATE tasks SET lease_owner = ${nodeId}, lease_expires_at = ${leaseExpiresAt}, fence = fence + 1
      WHERE task_id IN (${sql.join(picked.map((c) => c.taskId))}) AND (lease_owner IS NULL OR lease_expires_at <= ${now})
      RETURNING *`.execute(trx);
    // A picked task that another node leased meanwhile gives its slot back.
    for (let i = rows.rows.length; i < picked.length; i++) slots?.giveBack();
    const order = new Map(picked.map((c, i) => [c.taskId, i]));
    const leased = [...rows.rows].sort((a, b) => (order.get(a.task_id) ?? 0) - (order.get(b.task_id) ?? 0));
    const claimed: ClaimedTask[] = [];
    for (const row of leased) claimed.push(await this.#markRunning(trx, row, now));
    return Object.assign(claimed, { heldBack });
  }

  /** Running executions per concurrency key of the gated candidates (read under their tenants' locks). */
  async #holders(trx: Kysely<Database>, candidates: readonly Candidate[]): Promise<Map<string, number>> {
    const holders = new Map<string, number>();
    const gated = candidates.filter((c) => c.gate);
    if (gated.length === 0) return holders;
    const rows = await trx
      .selectFrom("executions")
      .select((eb) => ["tenant_id", "concurrency_key", eb.fn.countAll().as("n")])
      .where("tenant_id", "in", [...new Set(gated.map((c) => c.tenantId))])
      .where("concurrency_key", "in", [...new Set(gated.map((c) => c.gate?.key as string))])
      .where("status", "in", HOLDING)
      .groupBy(["tenant_id", "concurrency_key"])
      .execute();
    for (const r of rows) holders.set(gateKey(r.tenant_id, r.concurrency_key as string), Number(r.n));
    return holders;
  }

  async listConcurrencyHolders(db: Kysely<Database>, tenantId: string, key: string): Promise<Array<{ executionId: string; status: ExecutionRow["status"] }>> {
    const rows = await db
      .selectFrom("executions")
      .select(["execution_id", "status"])
      .where("tenant_id", "=", tenantId)
      .where("concurrency_key", "=", key)
      .where("status", "in", ["pending", "running", "paused"])
      .orderBy("created_at")
      .orderBy("execution_id")
      .execute();
    return rows.map((r) => ({ executionId: r.execution_id, status: r.status as ExecutionRow["status"] }));
  }

  /**
   * Each tenant's first `perTenant` due tasks of the pools served, in the tenant's order. Unleased
   * tasks come from the tasks_tenant_queue index, tenant by tenant (the tenants are found by
   * skipping through that index, so a long backlog costs one tenant no more than a short one);
   * tasks whose lease expired come from the few leased rows (in the same statement).
   */
  async #candidates(trx: Kysely<Database>, now: number, readyBy: number, perTenant: number, labels: readonly string[], tenantOrder: TenantOrder): Promise<Candidate[]> {
    const pool = labels.length ? sql`(pool IS NULL OR pool IN (${sql.join([...labels])}))` : sql`pool IS NULL`;
    const tenants = sql`WITH RECURSIVE queued(id) AS (
        SELECT MIN(tenant_id) FROM tasks WHERE lease_owner IS NULL
        UNION ALL
        SELECT (SELECT MIN(tenant_id) FROM tasks WHERE lease_owner IS NULL AND tenant_id > queued.id) FROM queued WHERE queued.id IS NOT NULL
      )`;
    const order = tenantOrder === "priority" ? sql`priority DESC, ready_at, seq` : sql`ready_at, seq`;
    // A task waiting for a concurrency key that is full is passed over here, so it cannot hide
    // the tenant's other tasks behind it (the key is checked again under the tenant's lock).
    const keyFree = sql`(k.concurrency_key IS NULL OR (SELECT COUNT(*) FROM executions e WHERE e.tenant_id = k.tenant_id AND e.concurrency_key = k.concurrency_key AND e.status IN (${sql.join(HOLDING)})) < k.concurrency_limit)`;
    const best = sql`SELECT task_id FROM tasks k WHERE k.tenant_id = queued.id AND k.lease_owner IS NULL AND k.ready_at <= ${readyBy} AND ${pool} AND ${keyFree} ORDER BY ${order} LIMIT ${perTenant}`;
    const columns = sql`t.task_id, t.tenant_id, t.execution_id, t.priority, t.ready_at, t.seq, t.memory_mb, t.cpu_percent, t.concurrency_key, t.concurrency_limit`;
    // Tasks whose lease expired come in the same statement: one round trip per claim.
    const expired = sql`SELECT ${columns} FROM tasks t WHERE t.lease_owner IS NOT NULL AND t.lease_expires_at <= ${now} AND t.ready_at <= ${now} AND ${pool}`;
    const query =
      this.#dialect === "postgres"
        ? sql`${tenants} SELECT ${columns} FROM queued CROSS JOIN LATERAL (SELECT * FROM tasks WHERE task_id IN (${best})) t WHERE queued.id IS NOT NULL UNION ALL ${expired}`
        : sql`${tenants} SELECT ${columns} FROM queued JOIN tasks t ON t.task_id IN (${best}) WHERE queued.id IS NOT NULL UNION ALL ${expired}`;
    type Row = { task_id: string; tenant_id: string; execution_id: string; priority: number; ready_at: number; seq: number; memory_mb: number; cpu_percent: number; concurrency_key: string | null; concurrency_limit: number | null };
    const rows = (await query.execute(trx)).rows as Row[];
    const all = rows.map((r): Candidate => ({
      taskId: r.task_id,
      tenantId: r.tenant_id,
      executionId: r.execution_id,
      ...(r.concurrency_key !== null ? { gate: { key: r.concurrency_key, limit: Number(r.concurrency_limit ?? 1) } } : {}),
      priority: Number(r.priority),
      readyAt: Number(r.ready_at),
      seq: Number(r.seq),
      memoryMb: Number(r.memory_mb),
      cpuPercent: Number(r.cpu_percent),
    }));
    // Per tenant in the tenant's order; at most `perTenant` each.
    const byPriority = tenantOrder === "priority";
    all.sort((a, b) => (a.tenantId < b.tenantId ? -1 : a.tenantId > b.tenantId ? 1 : (byPriority ? b.priority - a.priority : 0) || a.readyAt - b.readyAt || a.seq - b.seq));
    // pickFair breaks ties between tenants by the head's priority; under round_robin it has none.
    if (!byPriority) for (const c of all) c.priority = 0;
    const count = new Map<string, number>();
    return all.filter((c) => {
      const n = (count.get(c.tenantId) ?? 0) + 1;
      count.set(c.tenantId, n);
      return n <= perTenant;
    });
  }

  /**
   * A claimed task's step starts an attempt: status running, attempts + 1. A step already running
   * means the previous attempt's lease expired without a completion: that attempt was lost.
   */
  async #markRunning(trx: Kysely<Database>, task: TasksTable, now: number): Promise<ClaimedTask> {
    const step = await trx
      .updateTable("step_executions")
      .set((eb) => ({
        status: "running",
        attempts: eb("attempts", "+", 1),
        lost: eb("lost", "+", eb.case().when("status", "=", "running").then(1).else(0).end()),
        started_at: eb.fn.coalesce("started_at", eb.val(now)),
      }))
      .where("execution_id", "=", task.execution_id)
      .where("step_id", "=", task.step_id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx.updateTable("executions").set({ status: "running", started_at: now }).where("execution_id", "=", task.execution_id).where("status", "=", "pending").execute();
    // The execution now holds its concurrency key: none of its tasks waits for it any more.
    if (task.concurrency_key !== null) await trx.updateTable("tasks").set({ concurrency_key: null, concurrency_limit: null }).where("execution_id", "=", task.execution_id).execute();
    return claimedTask(task, toStep(step));
  }
}

export function claimedTask(task: TasksTable, step: StepRow): ClaimedTask {
  return {
    taskId: task.task_id,
    tenantId: task.tenant_id,
    executionId: task.execution_id,
    stepId: task.step_id,
    priority: Number(task.priority),
    readyAt: Number(task.ready_at),
    fence: Number(task.fence),
    leaseExpiresAt: Number(task.lease_expires_at),
    step,
  };
}

/** How many of up to `max` calls of `take` succeed before the first that does not. */
function countWhile(max: number, take: () => boolean): number {
  let n = 0;
  while (n < max && take()) n += 1;
  return n;
}
