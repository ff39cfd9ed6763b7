// Execution routes (seed 001): list with workflow_id / status filters and cursor pagination, read,
// pause / resume / cancel / retry, logs (filter step_id), step executions with their output and
// retry, and decisions on waiting approval steps.
import * as z from "zod";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { decodeCursor, encodeCursor, executionSchema, idParams, logSchema, page, pageQuery, stepExecutionSchema } from "../schemas/common.js";
import { executionJson, logJson, stepJson } from "../schemas/to-json.js";

const EXECUTION_STATUSES = ["pending", "running", "paused", "completed", "failed", "cancelled", "timed_out"] as const;

const control = (verb: "pause" | "resume" | "cancel" | "retry", summary: string): Operation =>
  defineOperation({
    name: `executions.${verb}`,
    method: "POST",
    path: `/api/v1/executions/:id/${verb}`,
    summary,
    tag: "executions",
    scope: "tenant",
    action: "execute",
    resource: ({ params }) => `execution:${params.id}`,
    params: idParams,
    response: executionSchema,
    handle: async (ctx, { params }) => {
      const options = { tenantId: ctx.tenantId as string, userId: ctx.userId };
      const orch = ctx.orch;
      const row = verb === "pause" ? await orch.pauseExecution(params.id, options) : verb === "resume" ? await orch.resumeExecution(params.id, options) : verb === "cancel" ? await orch.cancelExecution(params.id, options) : await orch.retryExecution(params.id, options);
      return executionJson(row);
    },
  });

export const executionOperations: Operation[] = [
  defineOperation({
    name: "executions.list",
    method: "GET",
    path: "/api/v1/executions",
    summary: "List executions, newest first (filters: workflow_id, status)",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: () => "execution:*",
    query: pageQuery.extend({ workflow_id: z.string().max(200).optional(), status: z.enum(EXECUTION_STATUSES).optional() }),
    response: page(executionSchema),
    handle: async (ctx, { query }) => {
      const before = query.cursor ? decodeCursor(query.cursor, (v): v is [number, string] => Array.isArray(v) && typeof v[0] === "number" && typeof v[1] === "string") : undefined;
      // One more than asked: whether a next page exists without a second query.
      const rows = await ctx.orch.listExecutions(ctx.tenantId, {
        limit: query.limit + 1,
        ...(query.workflow_id ? { workflowId: query.workflow_id } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(before ? { before: { createdAt: before[0], executionId: before[1] } } : {}),
      });
      const shown = rows.slice(0, query.limit);
      const last = shown[shown.length - 1];
      return { items: shown.map(executionJson), next_cursor: rows.length > query.limit && last ? encodeCursor([last.createdAt, last.executionId]) : null };
    },
  }),
  defineOperation({
    name: "executions.get",
    method: "GET",
    path: "/api/v1/executions/:id",
    summary: "An execution with its step executions",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `execution:${params.id}`,
    params: idParams,
    response: executionSchema,
    handle: async (ctx, { params }) => executionJson(await ctx.orch.getExecution(params.id, ctx.tenantId)),
  }),
  control("pause", "Pause: no new step starts; running steps finish"),
  control("resume", "Resume a paused execution"),
  control("cancel", "Cancel: queued steps are dropped, running ones aborted"),
  control("retry", "Retry a failed, timed-out or cancelled execution from its failed steps"),
  defineOperation({
    name: "executions.logs",
    method: "GET",
    path: "/api/v1/executions/:id/logs",
    summary: "The execution's logs (filter: step_id)",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `execution:${params.id}`,
    params: idParams,
    query: z.object({ step_id: z.string().max(200).optional() }),
    response: z.object({ items: z.array(logSchema) }),
    handle: async (ctx, { params, query }) => ({ items: (await ctx.orch.getExecutionLogs(params.id, { tenantId: ctx.tenantId as string, ...(query.step_id ? { stepId: query.step_id } : {}) })).map(logJson) }),
  }),
  defineOperation({
    name: "executions.steps",
    method: "GET",
    path: "/api/v1/executions/:id/steps",
    summary: "The execution's step executions",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `execution:${params.id}`,
    params: idParams,
    response: z.object({ items: z.array(stepExecutionSchema) }),
    handle: async (ctx, { params }) => ({ items: (await ctx.orch.getExecution(params.id, ctx.tenantId)).steps.map(stepJson) }),
  }),
  defineOperation({
    name: "executions.approve",
    method: "POST",
    path: "/api/v1/executions/:id/approvals/:step_id",
    summary: "Approve or reject a waiting approval step",
    tag: "approvals",
    scope: "tenant",
    action: "execute",
    resource: ({ params }) => `execution:${params.id}`,
    params: idParams.extend({ step_id: z.string().min(1).max(200) }),
    body: z.object({ approved: z.boolean(), comment: z.string().max(2000).optional() }),
    response: executionSchema,
    handle: async (ctx, { params, body }) =>
      executionJson(await ctx.orch.decideApproval(params.id, params.step_id, { approved: body.approved, userId: ctx.userId, tenantId: ctx.tenantId as string, ...(body.comment !== undefined ? { comment: body.comment } : {}) })),
  }),
  defineOperation({
    name: "approvals.list",
    method: "GET",
    path: "/api/v1/approvals",
    summary: "Approval steps waiting for a decision (in the latest 500 unfinished executions)",
    tag: "approvals",
    scope: "tenant",
    action: "read",
    resource: () => "execution:*",
    handle: async (ctx) => {
      const items: Array<Record<string, unknown>> = [];
      for (const status of ["running", "paused"] as const) {
        for (const e of await ctx.orch.listExecutions(ctx.tenantId, { status, limit: 250 })) {
          const details = await ctx.orch.getExecution(e.executionId, ctx.tenantId);
          for (const s of details.steps) {
            const output = s.output as { status?: string } | null;
            if (s.status === "waiting" && output?.status === "pending") items.push({ execution_id: e.executionId, workflow_id: e.workflowId, step_id: s.stepId, step_execution_id: s.stepExecutionId, request: s.output });
          }
        }
      }
      return { items };
    },
  }),
  defineOperation({
    name: "stepExecutions.get",
    method: "GET",
    path: "/api/v1/step-executions/:id",
    summary: "One step execution",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `step:${params.id}`,
    params: idParams,
    response: stepExecutionSchema,
    handle: async (ctx, { params }) => stepJson(await ctx.orch.getStepExecution(params.id, ctx.tenantId)),
  }),
  defineOperation({
    name: "stepExecutions.output",
    method: "GET",
    path: "/api/v1/step-executions/:id/output",
    summary: "A step execution's output",
    tag: "executions",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `step:${params.id}`,
    params: idParams,
    handle: async (ctx, { params }) => {
      const step = await ctx.orch.getStepExecution(params.id, ctx.tenantId);
      return { id: step.stepExecutionId, step_id: step.stepId, status: step.status, output: step.output };
    },
  }),
  defineOperation({
    name: "stepExecutions.retry",
    method: "POST",
    path: "/api/v1/step-executions/:id/retry",
    summary: "Run one failed step execution again",
    tag: "executions",
    scope: "tenant",
    action: "execute",
    resource: ({ params }) => `step:${params.id}`,
    params: idParams,
    response: executionSchema,
    handle: async (ctx, { params }) => executionJson(await ctx.orch.retryStepExecution(params.id, { tenantId: ctx.tenantId as string, userId: ctx.userId })),
  }),
];
