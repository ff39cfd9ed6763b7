// Workflow routes (seed 001): create (wrapper or bare definition, SPEC D), list with owner_id /
// status / tags filters, read, update (a new version), archive, state changes, versions and
// restore, status, and manual execution with `Idempotency-Key`.
import * as z from "zod";
import { toCanonicalDefinition } from "../../workflow/canonical-definition.js";
import { unwrapCreateBody } from "../../workflow/parse-definition.js";
import type { WorkflowStatus } from "../../store/engine-store.js";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { decodeCursor, encodeCursor, executionSchema, idParams, page, pageQuery, workflowSchema } from "../schemas/common.js";
import { workflowJson } from "../schemas/to-json.js";

const definitionBody = z.union([z.record(z.string(), z.unknown()), z.string().min(1)]).describe("seed 001's wrapper { name, description, definition, tags, owner_id }, a bare definition (seed 003), or YAML text");
const listQuery = pageQuery.extend({
  status: z.enum(["draft", "active", "paused", "archived"]).optional(),
  owner_id: z.string().max(200).optional(),
  tags: z.string().max(500).optional().describe("comma-separated; a workflow must carry every tag"),
});
const versionParams = idParams.extend({ version: z.coerce.number().int().min(1) });
const executeBody = z
  .object({
    input: z.record(z.string(), z.unknown()).default({}),
    priority: z.number().int().min(1).max(10).optional(),
    version: z.number().int().min(1).optional(),
  })
  .default({ input: {} });

function definitionId(body: string | Record<string, unknown>): string | undefined {
  if (typeof body === "string") return /^id:\s*["']?([A-Za-z0-9_.-]+)["']?\s*$/m.exec(body)?.[1];
  const inner = body.definition;
  const id = body.id ?? (inner && typeof inner === "object" ? (inner as Record<string, unknown>).id : undefined);
  return typeof id === "string" ? id : undefined;
}

function definitionParts(body: string | Record<string, unknown>) {
  const parts = unwrapCreateBody(body);
  return { tags: parts.tags, ownerId: parts.ownerId ?? null };
}

const stateChange = (name: string, verb: string, status: WorkflowStatus, summary: string): Operation =>
  defineOperation({
    name: `workflows.${name}`,
    method: "POST",
    path: `/api/v1/workflows/:id/${verb}`,
    summary,
    tag: "workflows",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    response: workflowSchema,
    handle: async (ctx, { params }) => workflowJson(await ctx.orch.setWorkflowStatus(params.id, status, ctx.tenantId, ctx.userId)),
  });

export const workflowOperations: Operation[] = [
  defineOperation({
    name: "workflows.create",
    method: "POST",
    path: "/api/v1/workflows",
    summary: "Create a workflow (draft unless `status: active`)",
    tag: "workflows",
    scope: "tenant",
    action: "write",
    // The new workflow's own id when the body names one, so `deny write on workflow:prod-*` holds.
    resource: ({ body }) => `workflow:${definitionId(body) ?? "*"}`,
    body: definitionBody,
    query: z.object({ status: z.enum(["draft", "active"]).optional() }),
    response: workflowSchema,
    status: 201,
    handle: async (ctx, { body, query }) => {
      const { tags, ownerId } = definitionParts(body);
      const registered = await ctx.orch.registerWorkflow(body, { tenantId: ctx.tenantId as string, tags, ownerId, userId: ctx.userId, ...(query.status ? { status: query.status } : {}) });
      return workflowJson(registered.workflow);
    },
  }),
  defineOperation({
    name: "workflows.validate",
    method: "POST",
    path: "/api/v1/workflows/validate",
    summary: "Validate a definition without storing it: every problem with its path",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: () => "workflow:*",
    body: definitionBody,
    handle: async (ctx, { body }) => {
      const definition = ctx.orch.validateWorkflow(body);
      return { valid: true, name: definition.name, steps: definition.steps.map((s) => ({ id: s.id, type: s.type })) };
    },
  }),
  defineOperation({
    name: "workflows.list",
    method: "GET",
    path: "/api/v1/workflows",
    summary: "List workflows (filters: owner_id, status, tags)",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: () => "workflow:*",
    query: listQuery,
    response: page(workflowSchema),
    handle: async (ctx, { query }) => {
      const tags = query.tags ? query.tags.split(",").map((t) => t.trim()).filter(Boolean) : [];
      let rows = await ctx.orch.listWorkflows(ctx.tenantId, { ...(query.status ? { status: query.status } : {}), ...(query.owner_id ? { ownerId: query.owner_id } : {}) });
      if (tags.length) rows = rows.filter((w) => tags.every((t) => w.tags.includes(t)));
      // Rows come ordered by (created_at, workflow_id); the cursor is the last one shown.
      const after = query.cursor ? decodeCursor(query.cursor, (v): v is [number, string] => Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") : undefined;
      if (after) rows = rows.filter((w) => w.createdAt > after[0] || (w.createdAt === after[0] && w.workflowId > after[1]));
      const shown = rows.slice(0, query.limit);
      const last = shown[shown.length - 1];
      return { items: shown.map(workflowJson), next_cursor: rows.length > query.limit && last ? encodeCursor([last.createdAt, last.workflowId]) : null };
    },
  }),
  defineOperation({
    name: "workflows.get",
    method: "GET",
    path: "/api/v1/workflows/:id",
    summary: "A workflow with its current definition",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      const workflow = await ctx.orch.getWorkflow(params.id, ctx.tenantId);
      const { definition } = await ctx.orch.getWorkflowDefinition(params.id, { tenantId: ctx.tenantId as string });
      return { ...workflowJson(workflow), definition: toCanonicalDefinition(definition) };
    },
  }),
  defineOperation({
    name: "workflows.update",
    method: "PUT",
    path: "/api/v1/workflows/:id",
    summary: "Update a workflow: a new version when the definition changed",
    tag: "workflows",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    body: definitionBody,
    response: workflowSchema,
    handle: async (ctx, { params, body }) => {
      // Never creates: an unknown (or another tenant's) id is a 404.
      const current = await ctx.orch.getWorkflow(params.id, ctx.tenantId);
      const { tags, ownerId } = definitionParts(body);
      const registered = await ctx.orch.registerWorkflow(body, { tenantId: ctx.tenantId as string, workflowId: params.id, userId: ctx.userId, tags: tags.length ? tags : current.tags, ownerId: ownerId ?? current.ownerId });
      return { ...workflowJson(registered.workflow), changed: registered.changed };
    },
  }),
  defineOperation({
    name: "workflows.delete",
    method: "DELETE",
    path: "/api/v1/workflows/:id",
    summary: "Archive a workflow (executions are kept)",
    tag: "workflows",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    response: workflowSchema,
    handle: async (ctx, { params }) => workflowJson(await ctx.orch.setWorkflowStatus(params.id, "archived", ctx.tenantId, ctx.userId)),
  }),
  stateChange("activate", "activate", "active", "Activate: triggers fire"),
  stateChange("pause", "pause", "paused", "Pause: triggers stop firing, manual starts are refused"),
  stateChange("resume", "resume", "active", "Resume a paused workflow (active again)"),
  defineOperation({
    name: "workflows.status",
    method: "GET",
    path: "/api/v1/workflows/:id/status",
    summary: "Diagnostics: the workflow's state and its recent executions by status",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      const workflow = await ctx.orch.getWorkflow(params.id, ctx.tenantId);
      const recent = await ctx.orch.listExecutions(ctx.tenantId, { workflowId: params.id, limit: 100 });
      const byStatus: Record<string, number> = {};
      for (const e of recent) byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
      const finished = recent.filter((e) => e.finishedAt !== null);
      const succeeded = finished.filter((e) => e.status === "completed").length;
      return {
        ...workflowJson(workflow),
        recent_executions: { count: recent.length, by_status: byStatus, success_rate: finished.length ? succeeded / finished.length : null, last_started_at: recent[0] ? new Date(recent[0].createdAt).toISOString() : null },
      };
    },
  }),
  defineOperation({
    name: "workflows.versions",
    method: "GET",
    path: "/api/v1/workflows/:id/versions",
    summary: "The workflow's versions",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      await ctx.orch.getWorkflow(params.id, ctx.tenantId);
      const versions = await ctx.orch.listWorkflowVersions(params.id, ctx.tenantId);
      return { items: versions.map((v) => ({ version: v.version, hash: v.hash, created_at: new Date(v.createdAt).toISOString() })) };
    },
  }),
  defineOperation({
    name: "workflows.version",
    method: "GET",
    path: "/api/v1/workflows/:id/versions/:version",
    summary: "One version's definition",
    tag: "workflows",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `workflow:${params.id}`,
    params: versionParams,
    handle: async (ctx, { params }) => {
      const { version, definition } = await ctx.orch.getWorkflowDefinition(params.id, { tenantId: ctx.tenantId as string, version: params.version });
      return { id: params.id, version, definition: toCanonicalDefinition(definition) };
    },
  }),
  defineOperation({
    name: "workflows.restore",
    method: "POST",
    path: "/api/v1/workflows/:id/versions/:version/restore",
    summary: "Make an old version current again (as a new version)",
    tag: "workflows",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `workflow:${params.id}`,
    params: versionParams,
    response: workflowSchema,
    handle: async (ctx, { params }) => {
      const { definition } = await ctx.orch.getWorkflowDefinition(params.id, { tenantId: ctx.tenantId as string, version: params.version });
      const registered = await ctx.orch.registerWorkflow(toCanonicalDefinition(definition), { tenantId: ctx.tenantId as string, workflowId: params.id, userId: ctx.userId });
      return workflowJson(registered.workflow);
    },
  }),
  defineOperation({
    name: "workflows.execute",
    method: "POST",
    path: "/api/v1/workflows/:id/execute",
    summary: "Start an execution; the same Idempotency-Key gives the same execution",
    tag: "executions",
    scope: "tenant",
    action: "execute",
    resource: ({ params }) => `workflow:${params.id}`,
    params: idParams,
    body: executeBody,
    response: executionSchema.pick({ id: true, workflow_id: true, status: true }).extend({ created: z.boolean() }),
    status: 202,
    handle: async (ctx, { params, body }) => {
      const started = await ctx.orch.startExecution(params.id, body.input, {
        tenantId: ctx.tenantId as string,
        userId: ctx.userId,
        ...(body.priority !== undefined ? { priority: body.priority } : {}),
        ...(body.version !== undefined ? { version: body.version } : {}),
        ...(ctx.idempotencyKey !== undefined ? { idempotencyKey: ctx.idempotencyKey } : {}),
      });
      // A repeated Idempotency-Key answers with the first execution as it is now.
      const status = started.created ? "pending" : (await ctx.orch.getExecution(started.executionId, ctx.tenantId)).status;
      return { id: started.executionId, workflow_id: params.id, status, created: started.created };
    },
  }),
];

