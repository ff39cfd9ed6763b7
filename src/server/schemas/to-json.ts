// The library's rows as the REST API shows them: snake_case fields, ISO times, ids named `id`.
// Secrets never appear here: the library has no way to return their values.
import type { AuditLog } from "../../audit/audit-log.js";
import type { ExecutionDetails } from "../../engine/execution-service.js";
import type { ExecutionRow, LogRow, StepRow, WorkflowRow } from "../../store/engine-store.js";
import type { ApiKeyInfo } from "../../tenancy/api-key-service.js";
import type { Tenant } from "../../tenancy/tiers.js";

export function iso(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

export function workflowJson(w: WorkflowRow) {
  return { id: w.workflowId, name: w.name, status: w.status, version: w.currentVersion, tags: w.tags, owner_id: w.ownerId, created_at: iso(w.createdAt) as string, updated_at: iso(w.updatedAt) as string };
}

export function stepJson(s: StepRow) {
  return { id: s.stepExecutionId, execution_id: s.executionId, step_id: s.stepId, status: s.status, attempts: s.attempts, output: s.output, error: s.error, started_at: iso(s.startedAt), finished_at: iso(s.finishedAt) };
}

export function executionJson(e: ExecutionRow | ExecutionDetails) {
  return {
    id: e.executionId,
    workflow_id: e.workflowId,
    version: e.version,
    status: e.status,
    input: e.input,
    output: e.output,
    error: e.error,
    priority: e.priority,
    created_at: iso(e.createdAt) as string,
    started_at: iso(e.startedAt),
    finished_at: iso(e.finishedAt),
    idempotency_key: e.idempotencyKey,
    ...("steps" in e ? { steps: e.steps.map(stepJson) } : {}),
  };
}

export function logJson(l: LogRow) {
  return { id: l.logId, step_id: l.stepId, level: l.level, message: l.message, data: l.data ?? null, timestamp: iso(l.timestamp) as string };
}

export function tenantJson(t: Tenant) {
  const q = t.quota;
  return {
    id: t.tenantId,
    name: t.tenantName,
    tier: t.tier,
    status: t.deletedAt ? "deleted" : t.status,
    quota: {
      max_concurrent_tasks: q.maxConcurrentTasks,
      max_memory_mb: q.maxMemoryMb,
      max_cpu_percent: q.maxCpuPercent,
      max_tasks_per_hour: q.maxTasksPerHour,
      rate_limit_per_second: q.rateLimitPerSecond,
      max_tokens_per_day: q.maxTokensPerDay,
    },
    features: t.featuresEnabled,
    created_at: t.createdAt.toISOString(),
    deleted_at: t.deletedAt ? t.deletedAt.toISOString() : null,
  };
}

export function apiKeyJson(k: ApiKeyInfo) {
  return { id: k.keyId, tenant_id: k.tenantId, prefix: k.prefix, name: k.name, role: k.role, created_at: iso(k.createdAt) as string, expires_at: iso(k.expiresAt), revoked_at: iso(k.revokedAt) };
}

export function auditJson(a: AuditLog) {
  return { audit_id: a.auditId, timestamp: a.timestamp.toISOString(), tenant_id: a.tenantId, action: a.action, component_id: a.componentId, user_id: a.userId, status: a.status, metadata: a.metadata };
}
