// The engine's hot statements on PostgreSQL: one statement per kind for a whole group commit, with
// the rows passed as arrays (unnest), so a batch of completions costs a handful of round trips.
import { CompiledQuery } from "kysely";
import type { Kysely } from "kysely";
import { stepToRow, toExecution, toStep } from "../engine-row-mapping.js";
import { prepared } from "./prepared-statements.js";
import type { EngineRows, ReleasedLease } from "../engine-rows.js";
import type { LeaseUsage } from "../../scheduling/admission.js";
import { emptyUsage } from "../../scheduling/admission.js";
import type { ExecutionSnapshot } from "../engine-store.js";
import type { Database, ExecutionsTable, StepExecutionsTable, TasksTable } from "../schema.js";

async function run<R>(trx: Kysely<Database>, text: string, params: unknown[]): Promise<R[]> {
  const result = await trx.executeQuery<R>(CompiledQuery.raw(text, params));
  return result.rows;
}

// The same, first taking the admission locks of tenants ($4): a row is deleted only after the
// join with the lock's row produced it, so the locks come before this statement's row locks, and
// the group commit pays no extra round trip for them.
const SELECT_EXECUTIONS = "SELECT * FROM executions WHERE execution_id = ANY($1::text[]) ORDER BY execution_id FOR UPDATE";
const SELECT_STEPS = "SELECT * FROM step_executions WHERE execution_id = ANY($1::text[])";
const SELECT_QUEUED = "SELECT execution_id, step_id FROM tasks WHERE execution_id = ANY($1::text[])";
const UPDATE_STEPS = `UPDATE step_executions s SET status = v.status, attempts = v.attempts, failures = v.failures, lost = v.lost,
    output = v.output, error = v.error, started_at = v.started_at, finished_at = v.finished_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::text[], $8::text[], $9::bigint[], $10::bigint[])
    AS v(execution_id, step_id, status, attempts, failures, lost, output, error, started_at, finished_at)
  WHERE s.execution_id = v.execution_id AND s.step_id = v.step_id`;
const UPDATE_EXECUTIONS = `UPDATE executions e SET status = v.status, output = v.output, error = v.error, started_at = v.started_at,
    finished_at = v.finished_at, deadline_at = v.deadline_at
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[])
    AS v(execution_id, status, output, error, started_at, finished_at, deadline_at)
  WHERE e.execution_id = v.execution_id`;
const INSERT_STEPS = prepared(`INSERT INTO step_executions (step_execution_id, execution_id, tenant_id, step_id, status, attempts, failures, lost, output, error, started_at, finished_at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $8::int[], $9::text[], $10::text[], $11::bigint[], $12::bigint[])`);
/** Columns of INSERT_TASKS (the write-all statement numbers the next statement's parameters after them). */
const TASK_WIDTH = 15;
const INSERT_TASKS = `INSERT INTO tasks (task_id, tenant_id, execution_id, step_id, priority, ready_at, seq, lease_owner, lease_expires_at, fence, memory_mb, cpu_percent, pool, concurrency_key, concurrency_limit)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::bigint[], $7::bigint[], $8::text[], $9::bigint[], $10::bigint[], $11::float8[], $12::float8[], $13::text[], $14::text[], $15::int[])`;
const SELECT_USAGE = prepared(`SELECT tenant_id, COUNT(*)::int AS tasks, COALESCE(SUM(memory_mb), 0)::float8 AS memory_mb, COALESCE(SUM(cpu_percent), 0)::float8 AS cpu_percent
  FROM tasks WHERE tenant_id = ANY($1::text[]) AND lease_owner IS NOT NULL AND lease_expires_at > $2 GROUP BY tenant_id`);
// Transaction-scoped advisory locks, one per tenant, taken in key order so two admissions never
// wait on each other in a cycle. Every path that leases takes them before any row lock.
const TENANT_KEYS = `SELECT DISTINCT hashtextextended('synergymesh:tenant:' || t, 0) AS k FROM unnest($1::text[]) AS t ORDER BY k`;
const LOCK_TENANTS = prepared(`SELECT count(pg_advisory_xact_lock(k)) AS n FROM (${TENANT_KEYS}) s`);
const TRY_LOCK_TENANTS = prepared(`SELECT bool_and(pg_try_advisory_xact_lock(k)) AS ok FROM (${TENANT_KEYS}) s`);
const INSERT_LOGS = `INSERT INTO execution_logs (log_id, execution_id, tenant_id, step_id, level, message, data, timestamp)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[])`;

// The start of a group commit in one statement: delete the tasks this node still holds, lock their
// executions in id order and return both (each task with the lease it held). Steps and queued
// tasks are read by the next statement, whose snapshot is taken after the locks are held (a
// statement's own snapshot predates them).
const TAKE_LEASED = prepared(`WITH deleted AS (
    DELETE FROM tasks t USING unnest($2::text[], $3::bigint[]) AS v(task_id, fence)
    WHERE t.task_id = v.task_id AND t.fence = v.fence AND t.lease_owner = $1
    RETURNING t.task_id, t.execution_id, t.tenant_id, t.memory_mb, t.cpu_percent, t.lease_expires_at
  ), locked AS (
    SELECT e.* FROM executions e WHERE e.execution_id IN (SELECT execution_id FROM deleted) ORDER BY e.execution_id FOR UPDATE
  )
  SELECT (SELECT coalesce(json_agg(json_build_array(task_id, tenant_id, memory_mb, cpu_percent, lease_expires_at)), '[]'::json) FROM deleted) AS deleted,
    (SELECT coalesce(json_agg(l), '[]'::json) FROM locked l) AS executions`);
const SELECT_STEPS_AND_QUEUED = prepared(`SELECT
    (SELECT coalesce(json_agg(s), '[]'::json) FROM step_executions s WHERE s.execution_id = ANY($1::text[])) AS steps,
    (SELECT coalesce(json_agg(json_build_array(q.execution_id, q.step_id)), '[]'::json) FROM tasks q WHERE q.execution_id = ANY($1::text[])) AS queued`);
// Every write a group commit gathered, in one statement (each row is written once, so the
// data-modifying CTEs never touch the same row twice).
const WRITE_ALL = prepared(`WITH s AS (${UPDATE_STEPS}), e AS (${shift(UPDATE_EXECUTIONS, 10)}), t AS (${shift(INSERT_TASKS, 17)}), l AS (${shift(INSERT_LOGS, 17 + TASK_WIDTH)}) SELECT 1`);

/** A task row's values in INSERT_TASKS's column order. */
function taskValues(t: TasksTable): unknown[] {
  return [t.task_id, t.tenant_id, t.execution_id, t.step_id, t.priority, t.ready_at, t.seq, t.lease_owner, t.lease_expires_at, t.fence, t.memory_mb, t.cpu_percent, t.pool, t.concurrency_key, t.concurrency_limit];
}

/** Renumbers `$n` placeholders by `by` (to put several statements' parameters in one list). */
function shift(text: string, by: number): string {
  return text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + by}`);
}

/** Columns of `rows` as parallel arrays, in the order `pick` lists them. */
function columns<T>(rows: readonly T[], pick: (row: T) => unknown[]): unknown[][] {
  const picked = rows.map(pick);
  const width = picked[0]?.length ?? 0;
  return Array.from({ length: width }, (_, i) => picked.map((values) => values[i]));
}

/** `width` parallel arrays (empty when there are no rows). */
function columnsOf<T>(rows: readonly T[], width: number, pick: (row: T) => unknown[]): unknown[][] {
  return rows.length ? columns(rows, pick) : Array.from({ length: width }, () => []);
}

export function postgresEngineRows(): EngineRows {
  return {
    async takeLeased(trx, nodeId, tasks) {
      const snapshots = new Map<string, ExecutionSnapshot>();
      const deleted = new Map<string, ReleasedLease>();
      if (tasks.length === 0) return { deleted, snapshots };
      const ids = tasks.map((t) => t.taskId);
      const fences = tasks.map((t) => t.fence);
      type Taken = { deleted: Array<[string, string, number, number, number]>; executions: ExecutionsTable[] };
      const [taken] = await run<Taken>(trx, TAKE_LEASED, [nodeId, ids, fences]);
      for (const [taskId, tenantId, memoryMb, cpuPercent, leaseExpiresAt] of taken?.deleted ?? []) deleted.set(taskId, { tenantId, memoryMb, cpuPercent, leaseExpiresAt });
      for (const row of taken?.executions ?? []) snapshots.set(row.execution_id, { execution: toExecution(row), steps: new Map(), queued: new Set() });
      if (snapshots.size) {
        const [rest] = await run<{ steps: StepExecutionsTable[]; queued: Array<[string, string]> }>(trx, SELECT_STEPS_AND_QUEUED, [[...snapshots.keys()]]);
        for (const row of rest?.steps ?? []) snapshots.get(row.execution_id)?.steps.set(row.step_id, toStep(row));
        for (const [executionId, stepId] of rest?.queued ?? []) snapshots.get(executionId)?.queued.add(stepId);
      }
      return { deleted, snapshots };
    },
    async writeAll(trx, pending) {
      await run(trx, WRITE_ALL, [
        ...columnsOf([...pending.steps].map(stepToRow), 10, (r) => [r.execution_id, r.step_id, r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at]),
        ...columnsOf([...pending.executions], 7, (e) => [e.executionId, e.status, e.output === undefined || e.output === null ? null : JSON.stringify(e.output), e.error, e.startedAt, e.finishedAt, e.deadlineAt]),
        ...columnsOf(pending.tasks, TASK_WIDTH, taskValues),
        ...columnsOf(pending.logs, 8, (l) => [l.log_id, l.execution_id, l.tenant_id, l.step_id, l.level, l.message, l.data, l.timestamp]),
      ]);
    },
    async loadSnapshots(trx, executionIds) {
      const snapshots = new Map<string, ExecutionSnapshot>();
      if (executionIds.length === 0) return snapshots;
      const ids = [...executionIds];
      for (const row of await run<ExecutionsTable>(trx, SELECT_EXECUTIONS, [ids])) {
        snapshots.set(row.execution_id, { execution: toExecution(row), steps: new Map(), queued: new Set() });
      }
      for (const row of await run<StepExecutionsTable>(trx, SELECT_STEPS, [ids])) snapshots.get(row.execution_id)?.steps.set(row.step_id, toStep(row));
      for (const row of await run<{ execution_id: string; step_id: string }>(trx, SELECT_QUEUED, [ids])) snapshots.get(row.execution_id)?.queued.add(row.step_id);
      return snapshots;
    },
    async insertSteps(trx, rows) {
      if (rows.length === 0) return;
      await run(
        trx,
        INSERT_STEPS,
        columns(rows.map(stepToRow), (r) => [r.step_execution_id, r.execution_id, r.tenant_id, r.step_id, r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at]),
      );
    },
    async leaseUsage(trx, tenantIds, now) {
      const usage = new Map<string, LeaseUsage>();
      for (const id of tenantIds) usage.set(id, emptyUsage());
      if (usage.size === 0) return usage;
      for (const r of await run<{ tenant_id: string; tasks: number; memory_mb: number; cpu_percent: number }>(trx, SELECT_USAGE, [[...usage.keys()], now])) {
        usage.set(r.tenant_id, { tasks: Number(r.tasks), memoryMb: Number(r.memory_mb), cpuPercent: Number(r.cpu_percent) });
      }
      return usage;
    },
    async lockTenants(trx, tenantIds, wait) {
      if (tenantIds.length === 0) return true;
      if (wait) {
        await run(trx, LOCK_TENANTS, [[...tenantIds]]);
        return true;
      }
      const [row] = await run<{ ok: boolean | null }>(trx, TRY_LOCK_TENANTS, [[...tenantIds]]);
      return row?.ok === true;
    },
    // Other nodes write the same rows: every batch reads them under its row locks.
    remember() {},
    forget() {},
  };
}
