// Rows of the engine's tables as the store's domain types and back: JSON columns parsed and
// written, BIGINT counters as numbers. Shared by the query-builder store and the hot statements.
import type { ExecutionRow, ExecutionStatus, StepRow, StepStatus } from "./engine-store.js";
import type { ExecutionsTable, StepExecutionsTable } from "./schema.js";

export function executionToRow(e: ExecutionRow): ExecutionsTable {
  return {
    execution_id: e.executionId,
    tenant_id: e.tenantId,
    workflow_id: e.workflowId,
    version: e.version,
    status: e.status,
    input: JSON.stringify(e.input ?? {}),
    output: e.output === undefined || e.output === null ? null : JSON.stringify(e.output),
    error: e.error,
    priority: e.priority,
    created_at: e.createdAt,
    started_at: e.startedAt,
    finished_at: e.finishedAt,
    deadline_at: e.deadlineAt,
    idempotency_key: e.idempotencyKey,
    concurrency_key: e.concurrencyKey ?? null,
  };
}

export function toExecution(r: ExecutionsTable): ExecutionRow {
  return {
    executionId: r.execution_id,
    tenantId: r.tenant_id,
    workflowId: r.workflow_id,
    version: Number(r.version),
    status: r.status as ExecutionStatus,
    input: JSON.parse(r.input) as unknown,
    output: r.output === null ? null : (JSON.parse(r.output) as unknown),
    error: r.error,
    priority: Number(r.priority),
    createdAt: Number(r.created_at),
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
    deadlineAt: r.deadline_at === null ? null : Number(r.deadline_at),
    idempotencyKey: r.idempotency_key,
    concurrencyKey: r.concurrency_key ?? null,
  };
}

export function stepToRow(s: StepRow): StepExecutionsTable {
  return {
    step_execution_id: s.stepExecutionId,
    execution_id: s.executionId,
    tenant_id: s.tenantId,
    step_id: s.stepId,
    status: s.status,
    attempts: s.attempts,
    failures: s.failures,
    lost: s.lost,
    output: s.output === undefined || s.output === null ? null : JSON.stringify(s.output),
    error: s.error,
    started_at: s.startedAt,
    finished_at: s.finishedAt,
  };
}

export function toStep(r: StepExecutionsTable): StepRow {
  return {
    stepExecutionId: r.step_execution_id,
    executionId: r.execution_id,
    tenantId: r.tenant_id,
    stepId: r.step_id,
    status: r.status as StepStatus,
    attempts: Number(r.attempts),
    failures: Number(r.failures),
    lost: Number(r.lost),
    output: r.output === null ? null : (JSON.parse(r.output) as unknown),
    error: r.error,
    startedAt: r.started_at === null ? null : Number(r.started_at),
    finishedAt: r.finished_at === null ? null : Number(r.finished_at),
  };
}
