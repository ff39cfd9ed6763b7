// Triggers (seed 001's `/api/v1/workflows/{id}/triggers` and `/api/v1/triggers/{id}`), tenant
// events (`POST /api/v1/events`) and seed 003's diagnosis strategies. Webhook deliveries are not
// operations: they are public and signed, see hooks.ts.
import * as z from "zod";
import type { Strategy } from "../../strategies/strategy-model.js";
import type { Trigger } from "../../triggers/trigger-types.js";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { idParams } from "../schemas/common.js";

const TRIGGER_TYPES = ["schedule", "webhook", "event", "condition"] as const;

const triggerSchema = z.object({
  id: z.string(),
  workflow_id: z.string(),
  type: z.enum(TRIGGER_TYPES),
  name: z.string(),
  config: z.record(z.string(), z.unknown()),
  enabled: z.boolean(),
  source: z.string(),
  webhook_path: z.string().nullable(),
  next_fire_times: z.array(z.string()),
  state: z.record(z.string(), z.unknown()),
  last_fired_at: z.string().nullable(),
  fire_count: z.number().int(),
  created_at: z.string(),
  updated_at: z.string(),
});

const strategySchema = z.object({
  id: z.string(),
  name: z.string(),
  category: z.string(),
  symptoms: z.array(z.record(z.string(), z.unknown())),
  workflow_id: z.string(),
  priority: z.number(),
  enabled: z.boolean(),
  dedup_window_ms: z.number(),
  dedup_key: z.array(z.string()),
  created_at: z.string(),
  updated_at: z.string(),
});

const iso = (ms: number) => new Date(ms).toISOString();

function triggerJson(t: Trigger) {
  return {
    id: t.triggerId,
    workflow_id: t.workflowId,
    type: t.type,
    name: t.name,
    config: t.config,
    enabled: t.enabled,
    source: t.source,
    webhook_path: t.webhookPath,
    next_fire_times: t.nextFireTimes.map(iso),
    state: t.state,
    last_fired_at: t.lastFiredAt === null ? null : iso(t.lastFiredAt),
    fire_count: t.fireCount,
    created_at: iso(t.createdAt),
    updated_at: iso(t.updatedAt),
  };
}

function strategyJson(s: Strategy) {
  return {
    id: s.strategyId,
    name: s.name,
    category: s.category,
    symptoms: s.symptoms as unknown as Array<Record<string, unknown>>,
    workflow_id: s.workflowId,
    priority: s.priority,
    enabled: s.enabled,
    dedup_window_ms: s.dedupWindowMs,
    dedup_key: s.dedupKey,
    created_at: iso(s.createdAt),
    updated_at: iso(s.updatedAt),
  };
}

const triggerBody = z.object({ type: z.enum(TRIGGER_TYPES), name: z.string().min(1).max(200).optional(), config: z.record(z.string(), z.unknown()), enabled: z.boolean().optional() });
/** Strategy bodies are checked by the library (every problem with its path), in seed 003's snake_case. */
const strategyBody = z.record(z.string(), z.unknown());

export const triggerOperations: Operation[] = [
  defineOperation({
    name: "triggers.create",
    method: "POST",
    path: "/api/v1/workflows/:id/triggers",
    summary: "Add a trigger (schedule, webhook, event, condition) to a workflow",
    tag: "triggers",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    body: triggerBody,
    response: triggerSchema,
    status: 201,
    handle: async (ctx, { params, body }) =>
      triggerJson(
        await ctx.orch.createTrigger(
          { workflowId: params.id, type: body.type, config: body.config, ...(body.name !== undefined ? { name: body.name } : {}), ...(body.enabled !== undefined ? { enabled: body.enabled } : {}) },
          { tenantId: ctx.tenantId as string, userId: ctx.userId },
        ),
      ),
  }),
  defineOperation({
    name: "triggers.listForWorkflow",
    method: "GET",
    path: "/api/v1/workflows/:id/triggers",
    summary: "A workflow's triggers, with their next fire times",
    tag: "triggers",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    response: z.object({ items: z.array(triggerSchema) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.getWorkflow(params.id, ctx.tenantId as string);
      return { items: (await ctx.orch.listTriggers(ctx.tenantId as string, { workflowId: params.id })).map(triggerJson) };
    },
  }),
  defineOperation({
    name: "triggers.list",
    method: "GET",
    path: "/api/v1/triggers",
    summary: "The tenant's triggers",
    tag: "triggers",
    scope: "tenant",
    action: "read",
    resource: () => "trigger:*",
    query: z.object({ type: z.enum(TRIGGER_TYPES).optional() }),
    response: z.object({ items: z.array(triggerSchema) }),
    handle: async (ctx, { query }) => ({ items: (await ctx.orch.listTriggers(ctx.tenantId as string, query.type ? { type: query.type } : {})).map(triggerJson) }),
  }),
  defineOperation({
    name: "triggers.get",
    method: "GET",
    path: "/api/v1/triggers/:id",
    summary: "One trigger",
    tag: "triggers",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `trigger:${params.id}`,
    params: idParams,
    response: triggerSchema,
    handle: async (ctx, { params }) => triggerJson(await ctx.orch.getTrigger(params.id, ctx.tenantId as string)),
  }),
  defineOperation({
    name: "triggers.update",
    method: "PUT",
    path: "/api/v1/triggers/:id",
    summary: "Change a trigger's name, config or enabled flag (definition triggers change with their definition)",
    tag: "triggers",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `trigger:${params.id}`,
    params: idParams,
    body: triggerBody.omit({ type: true }).partial(),
    response: triggerSchema,
    handle: async (ctx, { params, body }) => {
      const changes = { ...(body.name !== undefined ? { name: body.name } : {}), ...(body.config !== undefined ? { config: body.config } : {}), ...(body.enabled !== undefined ? { enabled: body.enabled } : {}) };
      return triggerJson(await ctx.orch.updateTrigger(params.id, changes, { tenantId: ctx.tenantId as string, userId: ctx.userId }));
    },
  }),
  defineOperation({
    name: "triggers.delete",
    method: "DELETE",
    path: "/api/v1/triggers/:id",
    summary: "Delete an API trigger",
    tag: "triggers",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `trigger:${params.id}`,
    params: idParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deleteTrigger(params.id, { tenantId: ctx.tenantId as string, userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
  defineOperation({
    name: "triggers.fires",
    method: "GET",
    path: "/api/v1/triggers/:id/fires",
    summary: "A schedule trigger's recorded fires, newest first",
    tag: "triggers",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `trigger:${params.id}`,
    params: idParams,
    query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
    response: z.object({ items: z.array(z.record(z.string(), z.unknown())) }),
    handle: async (ctx, { params, query }) => {
      await ctx.orch.getTrigger(params.id, ctx.tenantId as string);
      const fires = await ctx.orch.listTriggerFires(params.id, { tenantId: ctx.tenantId as string, limit: query.limit });
      return {
        items: fires.map((f) => ({ scheduled_at: iso(f.scheduledAt), fired_at: iso(f.firedAt), node_id: f.nodeId, execution_id: f.executionId, status: f.status, error: f.error, skipped: f.skipped })),
      };
    },
  }),
  defineOperation({
    name: "events.publish",
    method: "POST",
    path: "/api/v1/events",
    summary: "Publish a tenant event: event triggers and diagnosis strategies that match it start their workflows",
    tag: "events",
    scope: "tenant",
    action: "execute",
    resource: () => "workflow:*",
    body: z.object({ name: z.string().min(1).max(200), payload: z.record(z.string(), z.unknown()).optional(), id: z.string().min(1).max(200).optional() }),
    response: z.object({ event_id: z.string(), name: z.string(), executions: z.array(z.record(z.string(), z.unknown())), skipped: z.array(z.record(z.string(), z.unknown())) }),
    status: 202,
    handle: async (ctx, { body }) => {
      const published = await ctx.orch.publishEvent(ctx.tenantId as string, { name: body.name, ...(body.payload !== undefined ? { payload: body.payload } : {}), ...(body.id !== undefined ? { id: body.id } : {}) });
      return { event_id: published.eventId, name: published.name, executions: published.executions.map((e) => ({ ...e })), skipped: published.skipped.map((s) => ({ ...s })) };
    },
  }),
  defineOperation({
    name: "strategies.list",
    method: "GET",
    path: "/api/v1/strategies",
    summary: "The tenant's diagnosis strategies, highest priority first",
    tag: "strategies",
    scope: "tenant",
    action: "read",
    resource: () => "workflow:*",
    response: z.object({ items: z.array(strategySchema) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listStrategies(ctx.tenantId as string)).map(strategyJson) }),
  }),
  defineOperation({
    name: "strategies.create",
    method: "POST",
    path: "/api/v1/strategies",
    summary: "Create a diagnosis strategy (seed 003: symptoms, workflow_id, priority, de-duplication window)",
    tag: "strategies",
    scope: "tenant",
    action: "write",
    resource: () => "workflow:*",
    body: strategyBody,
    response: strategySchema,
    status: 201,
    handle: async (ctx, { body }) => strategyJson(await ctx.orch.createStrategy(body, { tenantId: ctx.tenantId as string, userId: ctx.userId })),
  }),
  defineOperation({
    name: "strategies.installBuiltin",
    method: "POST",
    path: "/api/v1/strategies/builtin",
    summary: "Install the four built-in Kubernetes strategies (their workflows must be registered)",
    tag: "strategies",
    scope: "tenant",
    action: "write",
    resource: () => "workflow:*",
    response: z.object({ items: z.array(strategySchema) }),
    status: 201,
    handle: async (ctx) => ({ items: (await ctx.orch.installBuiltinStrategies(ctx.tenantId as string, ctx.userId)).map(strategyJson) }),
  }),
  defineOperation({
    name: "strategies.get",
    method: "GET",
    path: "/api/v1/strategies/:id",
    summary: "One strategy",
    tag: "strategies",
    scope: "tenant",
    action: "read",
    resource: () => "workflow:*",
    params: idParams,
    response: strategySchema,
    handle: async (ctx, { params }) => strategyJson(await ctx.orch.getStrategy(params.id, ctx.tenantId as string)),
  }),
  defineOperation({
    name: "strategies.update",
    method: "PUT",
    path: "/api/v1/strategies/:id",
    summary: "Change a strategy",
    tag: "strategies",
    scope: "tenant",
    action: "write",
    resource: () => "workflow:*",
    params: idParams,
    body: strategyBody,
    response: strategySchema,
    handle: async (ctx, { params, body }) => strategyJson(await ctx.orch.updateStrategy(params.id, body, { tenantId: ctx.tenantId as string, userId: ctx.userId })),
  }),
  defineOperation({
    name: "strategies.delete",
    method: "DELETE",
    path: "/api/v1/strategies/:id",
    summary: "Delete a strategy",
    tag: "strategies",
    scope: "tenant",
    action: "write",
    resource: () => "workflow:*",
    params: idParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deleteStrategy(params.id, { tenantId: ctx.tenantId as string, userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
];
