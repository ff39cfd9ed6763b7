// The engine's hot statements on SQLite: prepared once on the raw better-sqlite3 connection that
// Kysely's driver also uses, so they run inside the same transaction at a few microseconds each.
import type BetterSqlite3 from "better-sqlite3";
import { stepToRow, toExecution, toStep } from "../engine-row-mapping.js";
import type { EngineRows } from "../engine-rows.js";
import type { ExecutionSnapshot } from "../engine-store.js";
import type { ExecutionsTable, StepExecutionsTable } from "../schema.js";

export function sqliteEngineRows(raw: BetterSqlite3.Database): EngineRows {
  const deleteTask = raw.prepare("DELETE FROM tasks WHERE task_id = ? AND fence = ? AND lease_owner = ?");
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
  const insertTask = raw.prepare("INSERT INTO tasks (task_id, tenant_id, execution_id, step_id, priority, ready_at, seq, lease_owner, lease_expires_at, fence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  const insertLog = raw.prepare("INSERT INTO execution_logs (log_id, execution_id, tenant_id, step_id, level, message, data, timestamp) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

  return {
    async deleteLeasedTasks(_trx, nodeId, tasks) {
      const deleted = new Set<string>();
      for (const t of tasks) if (deleteTask.run(t.taskId, t.fence, nodeId).changes > 0) deleted.add(t.taskId);
      return deleted;
    },
    async loadSnapshots(_trx, executionIds) {
      const snapshots = new Map<string, ExecutionSnapshot>();
      for (const id of executionIds) {
        const row = selectExecution.get(id) as ExecutionsTable | undefined;
        if (!row) continue;
        const steps = selectSteps.all(id) as StepExecutionsTable[];
        snapshots.set(id, { execution: toExecution(row), steps: new Map(steps.map((s) => [s.step_id, toStep(s)])), queued: new Set(selectQueued.all(id) as string[]) });
      }
      return snapshots;
    },
    async updateSteps(_trx, rows) {
      for (const s of rows) {
        const r = stepToRow(s);
        updateStep.run(r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at, r.execution_id, r.step_id);
      }
    },
    async updateExecutions(_trx, rows) {
      for (const e of rows) {
        const output = e.output === undefined || e.output === null ? null : JSON.stringify(e.output);
        updateExecution.run(e.status, output, e.error, e.startedAt, e.finishedAt, e.deadlineAt, e.executionId);
      }
    },
    async insertSteps(_trx, rows) {
      for (const s of rows) {
        const r = stepToRow(s);
        insertStep.run(r.step_execution_id, r.execution_id, r.tenant_id, r.step_id, r.status, r.attempts, r.failures, r.lost, r.output, r.error, r.started_at, r.finished_at);
      }
    },
    async insertTasks(_trx, rows) {
      for (const t of rows) insertTask.run(t.task_id, t.tenant_id, t.execution_id, t.step_id, t.priority, t.ready_at, t.seq, t.lease_owner, t.lease_expires_at, t.fence);
    },
    async insertLogs(_trx, rows) {
      for (const l of rows) insertLog.run(l.log_id, l.execution_id, l.tenant_id, l.step_id, l.level, l.message, l.data, l.timestamp);
    },
  };
}

