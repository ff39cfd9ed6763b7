// Tenant routes: the platform admin creates, lists, suspends, resumes, deletes (suspend + revoke
// keys, SPEC D) and changes quotas; a tenant key may read its own tenant, and any other id is a 404.
import * as z from "zod";
import { TenantNotFoundError } from "../../core/errors.js";
import type { ResourceQuota } from "../../tenancy/tiers.js";
import { defineOperation } from "../operation.js";
import type { Operation, OperationContext } from "../operation.js";
import { idParams, tenantSchema } from "../schemas/common.js";
import { tenantJson } from "../schemas/to-json.js";

const quotaBody = z
  .object({
    max_concurrent_tasks: z.number().int().min(0),
    max_memory_mb: z.number().int().min(0),
    max_cpu_percent: z.number().int().min(0),
    max_tasks_per_hour: z.number().int().min(0),
    rate_limit_per_second: z.number().int().min(0),
    max_tokens_per_day: z.number().int().min(0).nullable(),
  })
  .partial()
  .strict();

function ownTenant(ctx: OperationContext, id: string): void {
  // A tenant key sees only its own tenant; another id answers like a missing one.
  if (ctx.principal.tenantId !== null && ctx.principal.tenantId !== id) throw new TenantNotFoundError(id);
}

const adminAction = (name: string, verb: string, summary: string, run: (ctx: OperationContext, id: string) => Promise<unknown>): Operation =>
  defineOperation({
    name: `tenants.${name}`,
    method: "POST",
    path: `/api/v1/tenants/:id/${verb}`,
    summary,
    tag: "tenants",
    scope: "admin",
    action: "admin",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    response: tenantSchema,
    handle: async (ctx, { params }) => {
      await run(ctx, params.id);
      return tenantJson(await ctx.orch.getTenant(params.id));
    },
  });

export const tenantOperations: Operation[] = [
  defineOperation({
    name: "tenants.create",
    method: "POST",
    path: "/api/v1/tenants",
    summary: "Create a tenant (admin)",
    tag: "tenants",
    scope: "admin",
    action: "admin",
    resource: () => "tenant:*",
    body: z.object({ name: z.string().min(1).max(200), tier: z.enum(["basic", "professional", "enterprise"]).default("basic") }),
    response: tenantSchema,
    status: 201,
    handle: async (ctx, { body }) => tenantJson(await ctx.orch.getTenant(await ctx.orch.createTenant(body.name, body.tier, { userId: ctx.userId }))),
  }),
  defineOperation({
    name: "tenants.list",
    method: "GET",
    path: "/api/v1/tenants",
    summary: "List tenants (admin)",
    tag: "tenants",
    scope: "admin",
    action: "admin",
    resource: () => "tenant:*",
    query: z.object({ include_deleted: z.enum(["true", "false"]).optional() }),
    response: z.object({ items: z.array(tenantSchema) }),
    handle: async (ctx, { query }) => ({ items: (await ctx.orch.listTenants({ includeDeleted: query.include_deleted === "true" })).map(tenantJson) }),
  }),
  defineOperation({
    name: "tenants.get",
    method: "GET",
    path: "/api/v1/tenants/:id",
    summary: "A tenant (admin: any; a tenant key: its own)",
    tag: "tenants",
    scope: "any",
    action: "read",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    response: tenantSchema,
    handle: async (ctx, { params }) => {
      ownTenant(ctx, params.id);
      return tenantJson(await ctx.orch.getTenant(params.id));
    },
  }),
  defineOperation({
    name: "tenants.health",
    method: "GET",
    path: "/api/v1/tenants/:id/health",
    summary: "A tenant's health: success rate, totals, usage and quota",
    tag: "tenants",
    scope: "any",
    action: "read",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      ownTenant(ctx, params.id);
      return ctx.orch.getTenantHealth(params.id);
    },
  }),
  defineOperation({
    name: "tenants.tokenUsage",
    method: "GET",
    path: "/api/v1/tenants/:id/token-usage",
    summary: "LLM tokens used today (UTC) and what remains of the daily budget",
    tag: "tenants",
    scope: "any",
    action: "read",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      ownTenant(ctx, params.id);
      const u = await ctx.orch.getTokenUsage(params.id);
      return { tenant_id: u.tenantId, day: u.day, input_tokens: u.inputTokens, output_tokens: u.outputTokens, total_tokens: u.totalTokens, remaining: u.remaining };
    },
  }),
  defineOperation({
    name: "tenants.quota",
    method: "PATCH",
    path: "/api/v1/tenants/:id/quota",
    summary: "Change a tenant's quota (admin)",
    tag: "tenants",
    scope: "admin",
    action: "admin",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    body: quotaBody,
    response: tenantSchema,
    handle: async (ctx, { params, body }) => {
      const changes: Partial<ResourceQuota> = {};
      if (body.max_concurrent_tasks !== undefined) changes.maxConcurrentTasks = body.max_concurrent_tasks;
      if (body.max_memory_mb !== undefined) changes.maxMemoryMb = body.max_memory_mb;
      if (body.max_cpu_percent !== undefined) changes.maxCpuPercent = body.max_cpu_percent;
      if (body.max_tasks_per_hour !== undefined) changes.maxTasksPerHour = body.max_tasks_per_hour;
      if (body.rate_limit_per_second !== undefined) changes.rateLimitPerSecond = body.rate_limit_per_second;
      if (body.max_tokens_per_day !== undefined) changes.maxTokensPerDay = body.max_tokens_per_day;
      await ctx.orch.modifyQuota(params.id, changes, { userId: ctx.userId });
      return tenantJson(await ctx.orch.getTenant(params.id));
    },
  }),
  adminAction("suspend", "suspend", "Suspend a tenant (admin): its requests get 403 TENANT_INACTIVE", (ctx, id) => ctx.orch.suspendTenant(id, { userId: ctx.userId })),
  adminAction("resume", "resume", "Resume a suspended tenant (admin)", (ctx, id) => ctx.orch.resumeTenant(id, { userId: ctx.userId })),
  defineOperation({
    name: "tenants.delete",
    method: "DELETE",
    path: "/api/v1/tenants/:id",
    summary: "Delete a tenant (admin): suspended, keys revoked, data kept until purge",
    tag: "tenants",
    scope: "admin",
    action: "admin",
    resource: ({ params }) => `tenant:${params.id}`,
    params: idParams,
    response: tenantSchema,
    handle: async (ctx, { params }) => tenantJson(await ctx.orch.deleteTenant(params.id, { userId: ctx.userId })),
  }),
];
