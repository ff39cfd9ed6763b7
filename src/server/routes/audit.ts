// Audit routes: a tenant's records (filters: hours, action, status, component_id) as JSON, and the
// same as a CSV or JSON download; and the scheduler's status (seed 001 diagnostics).
import * as z from "zod";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { auditSchema } from "../schemas/common.js";
import { auditJson } from "../schemas/to-json.js";

const auditQuery = z.object({
  hours: z.coerce.number().positive().max(24 * 366).default(24),
  action: z.string().max(100).optional(),
  status: z.string().max(50).optional(),
  component_id: z.string().max(300).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

function libraryQuery(q: z.output<typeof auditQuery>) {
  return { hours: q.hours, limit: q.limit, ...(q.action ? { action: q.action } : {}), ...(q.status ? { status: q.status } : {}), ...(q.component_id ? { componentId: q.component_id } : {}) };
}

export const auditOperations: Operation[] = [
  defineOperation({
    name: "audit.list",
    method: "GET",
    path: "/api/v1/audit-logs",
    summary: "The tenant's audit records, newest first",
    tag: "audit",
    scope: "tenant",
    action: "read",
    resource: (_input, ctx) => `tenant:${ctx.tenantId}`,
    query: auditQuery,
    response: z.object({ items: z.array(auditSchema) }),
    handle: async (ctx, { query }) => ({ items: (await ctx.orch.getAuditLogs(ctx.tenantId as string, libraryQuery(query))).map(auditJson) }),
  }),
  defineOperation({
    name: "audit.export",
    method: "GET",
    path: "/api/v1/audit-logs/export",
    summary: "Download the tenant's audit records as CSV or JSON",
    tag: "audit",
    scope: "tenant",
    action: "read",
    resource: (_input, ctx) => `tenant:${ctx.tenantId}`,
    query: auditQuery.extend({ format: z.enum(["csv", "json"]).default("csv") }),
    handle: async (ctx, { query }) => ({
      raw: true,
      contentType: query.format === "csv" ? "text/csv; charset=utf-8" : "application/json; charset=utf-8",
      body: await ctx.orch.exportAuditLogs(ctx.tenantId as string, query.format, libraryQuery(query)),
      filename: `audit-${ctx.tenantId}.${query.format}`,
    }),
  }),
  defineOperation({
    name: "audit.verify",
    method: "GET",
    path: "/api/v1/audit-logs/verify",
    summary: "Recompute the tenant's audit hash chains and check their signed heads",
    tag: "audit",
    scope: "tenant",
    action: "read",
    resource: (_input, ctx) => `tenant:${ctx.tenantId}`,
    handle: async (ctx) => ctx.orch.verifyAuditChain(ctx.tenantId as string),
  }),
  defineOperation({
    name: "scheduler.status",
    method: "GET",
    path: "/api/v1/scheduler/status",
    summary: "This node's workers, queue depth per tenant, and leases (a tenant key sees its own queue)",
    tag: "scheduler",
    scope: "any",
    action: "read",
    resource: (_input, ctx) => (ctx.tenantId ? `tenant:${ctx.tenantId}` : "tenant:*"),
    handle: async (ctx) => {
      const status = await ctx.orch.getSchedulerStatus(ctx.tenantId === undefined ? {} : { tenantId: ctx.tenantId });
      const node = status.node;
      return {
        workers: { node_id: node.nodeId, claiming: node.workersStarted, running: node.running, concurrency: node.concurrency, labels: [...node.labels], strategy: node.strategy },
        queue: status.queues.map((q) => ({ tenant_id: q.tenantId, ready: q.ready, scheduled: q.timed, leased: q.running, ready_in_pools: q.readyInPools })),
        // Which nodes hold what is the operator's business: a tenant key sees its own queue and keys.
        leases: ctx.tenantId === undefined ? status.leases.map((l) => ({ node_id: l.nodeId, leased: l.tasks, memory_mb: l.memoryMb, cpu_percent: l.cpuPercent })) : [],
        concurrency_keys: status.concurrencyKeys.map((k) => ({ tenant_id: k.tenantId, key: k.key, holders: k.holders, waiting: k.waiting })),
      };
    },
  }),
];
