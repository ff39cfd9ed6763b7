// The engine's hot statements on SQLite: prepared once on the raw better-sqlite3 connection that
// Kysely's driver also uses, so they run inside the same transaction at a few microseconds each.
// Snapshots written by this connection are kept and reused while no other connection has
// committed (`PRAGMA data_version`), so a step's completion does not re-read its execution.
import type BetterSqlite3 from "better-sqlite3";
import { stepToRow, toExecution, toStep } from "../engine-row-mapping.js";
import type { EngineRows, ReleasedLease } from "../engine-rows.js";
import type { ExecutionSnapshot } from "../engine-store.js";
import type { LeaseUsage } from "../../scheduling/admission.js";
import type { ExecutionsTable, StepExecutionsTable } from "../schema.js";

const ENDED = new Set(["completed", "failed", "cancelled", "timed_out"]);

export function sqliteEngineRows(raw: BetterSqlite3.Database, options: { maxCached?: number } = {}): EngineRows {
  const maxCached = options.maxCached ?? 10_000;
  const dataVersion = raw.prepare("PRAGMA data_version").pluck();
  // Only valid while data_version is what it was when they were kept; this connection's own
  // commits do not change it, other connections' (processes, other stores) do.
  const cache = new Map<string, ExecutionSnapshot>();
  let cachedAtVersion = -1;
  /** Empties the cache when another connection has committed since it was filled. */
  const validate = () => {
    const version = dataVersion.get() as number;
    if (version !== cachedAtVersion) {
      cache.clear();
      cachedAtVersion = version;
    }
  };
  const deleteTask = raw.prepare(
    "DELETE FROM tasks WHERE task_id = ? AND fence = ? AND lease_owner = ? RETURNING tenant_id AS tenantId, memory_mb AS memoryMb, cpu_percent AS cpuPercent, lease_expires_at AS leaseExpiresAt",
  );
  const selectExecution = raw.prepare("SELECT * FROM executions WHERE execution_id = ?");
  const selectSteps = raw.prepare("SELECT * FROM step_executions WHERE execution_id = ?");
  const selectQueued = raw.prepare("SELECT step_id FROM tasks WHERE execution_id = ?").pluck();
  const updateStep = raw.prepare(
    "UPDATE step_executions SET status = ?, attempts = ?, failures = ?, lost = ?, output = ?, error = ?, started_at = ?, finished_at = ? WHERE execution_id = ? AND step_id = ?",
  );
  const updateExecution = raw.prepare("UPDATE executions SET status = ?, output = ?, error = ?, started_at = ?, finished_at = ?, deadline_at = ? WHERE execution_id = ?");
  const insertStep = raw.prepare(
    "INSERT INTO step_executions (step_execution_id, execution_id, tenant_id, step_id, status, attempts, failures, lost, output, error, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const insertTask = raw.prepare(
    "INSERT INTO tasks (task_id, tenant_id, execution_id, step_id, priority, ready_at, seq, lease_owner, lease_expires_at, fence, memory_mb, cpu_percent, pool, concurrency_key, concurrency_limit) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const selectUsage = raw.prepare(
    "SELECT COUNT(*) AS tasks, TOTAL(memory_mb) AS memoryMb, TOTAL(cpu_percent) AS cpuPercent FROM tasks WHERE tenant_id = ? AND lease_owner IS NOT NULL AND lease_expires_at > ?",
  );
  const insertLog = raw.prepare("INSERT INTO execution_logs (log_id, execution_id, tenant_id, step_id, level, message, data, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

  const rows: EngineRows = {
    async takeLeased(trx, nodeId, tasks) {
      const deleted = new Map<string, ReleasedLease>();
      for (const t of tasks) {
        const lease = deleteTask.get(t.taskId, t.fence, nodeId) as ReleasedLease | undefined;
        if (lease) deleted.set(t.taskId, lease);
      }
      const live = [...new Set(tasks.filter((t) => deleted.has(t.taskId)).map((t) => t.executionId))];
      return { deleted, snapshots: await rows.loadSnapshots(trx, live) };
    },
    async writeAll(_trx, pending) {
      for (const s of pending.steps) {
        const r = stepToRow(s);
        updateStep.run(r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at, r.execution_id, r.step_id);
      }
      for (const e of pending.executions) {
        const output = e.output === undefined || e.output === null ? null : JSON.stringify(e.output);
        updateExecution.run(e.status, output, e.error, e.startedAt, e.finishedAt, e.deadlineAt, e.executionId);
      }
      for (const t of pending.tasks) {
        insertTask.run(t.task_id, t.tenant_id, t.execution_id, t.step_id, t.priority, t.ready_at, t.seq, t.lease_owner, t.lease_expires_at, t.fence, t.memory_mb, t.cpu_percent, t.pool, t.concurrency_key, t.concurrency_limit);
      }
      for (const l of pending.logs) insertLog.run(l.log_id, l.execution_id, l.tenant_id, l.step_id, l.level, l.message, l.data, l.timestamp);
    },
    async loadSnapshots(_trx, executionIds) {
      const snapshots = new Map<string, ExecutionSnapshot>();
      validate();
      for (const id of executionIds) {
        const cached = cache.get(id);
        if (cached) {
          snapshots.set(id, cached);
          continue;
        }
        const row = selectExecution.get(id) as ExecutionsTable | undefined;
        if (!row) continue;
        const steps = selectSteps.all(id) as StepExecutionsTable[];
        snapshots.set(id, { execution: toExecution(row), steps: new Map(steps.map((s) => [s.step_id, toStep(s)])), queued: new Set(selectQueued.all(id) as string[]) });
      }
      return snapshots;
    },
    async insertSteps(_trx, rows) {
      for (const s of rows) {
        const r = stepToRow(s);
        insertStep.run(r.step_execution_id, r.execution_id, r.tenant_id, r.step_id, r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at);
      }
    },
    async leaseUsage(_trx, tenantIds, now) {
      const usage = new Map<string, LeaseUsage>();
      for (const id of tenantIds) usage.set(id, selectUsage.get(id, now) as LeaseUsage);
      return usage;
    },
    // SQLite's single writer already serialises every admission.
    async lockTenants() {
      return true;
    },
    remember(snapshots) {
      // (Kept inside the writing transaction: nothing else of this connection runs until it
      // commits, and a failed one calls forget.) Ended executions are rarely written again.
      validate();
      for (const snapshot of snapshots) {
        const id = snapshot.execution.executionId;
        cache.delete(id);
        if (!ENDED.has(snapshot.execution.status)) cache.set(id, snapshot);
      }
      // The map iterates oldest first: drop the least recently written.
      for (const id of cache.keys()) {
        if (cache.size <= maxCached) break;
        cache.delete(id);
      }
    },
    forget(executionIds) {
      if (executionIds === undefined) cache.clear();
      else for (const id of executionIds) cache.delete(id);
    },
  };
  return rows;
}

