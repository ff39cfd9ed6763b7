// Per-tenant content: the script library (`/api/v1/scripts`, run by `script` steps by name) and
// message templates (`/api/v1/templates`, for e-mail and notification steps).
import * as z from "zod";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { nameParams } from "../schemas/common.js";

const scriptSchema = z.object({ name: z.string(), runtime: z.enum(["javascript", "python"]), code: z.string(), created_at: z.string(), updated_at: z.string() });
const templateSchema = z.object({ name: z.string(), subject: z.string().optional(), text: z.string().optional(), html: z.string().optional(), created_at: z.string(), updated_at: z.string() });

function times<T extends { createdAt: number; updatedAt: number }>(row: T) {
  const { createdAt, updatedAt, ...rest } = row;
  return { ...rest, created_at: new Date(createdAt).toISOString(), updated_at: new Date(updatedAt).toISOString() };
}

export const contentOperations: Operation[] = [
  defineOperation({
    name: "scripts.list",
    method: "GET",
    path: "/api/v1/scripts",
    summary: "The tenant's script library",
    tag: "scripts",
    scope: "tenant",
    action: "read",
    resource: () => "script:*",
    response: z.object({ items: z.array(scriptSchema) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listScripts(ctx.tenantId as string)).map(times) }),
  }),
  defineOperation({
    name: "scripts.get",
    method: "GET",
    path: "/api/v1/scripts/:name",
    summary: "One script",
    tag: "scripts",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `script:${params.name}`,
    params: nameParams,
    response: scriptSchema,
    handle: async (ctx, { params }) => times(await ctx.orch.getScript(ctx.tenantId as string, params.name)),
  }),
  defineOperation({
    name: "scripts.put",
    method: "PUT",
    path: "/api/v1/scripts/:name",
    summary: "Create or replace a script ({ runtime, code })",
    tag: "scripts",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `script:${params.name}`,
    params: nameParams,
    body: z.object({ runtime: z.enum(["javascript", "python"]).default("javascript"), code: z.string() }),
    response: scriptSchema,
    handle: async (ctx, { params, body }) => {
      await ctx.orch.setScript(ctx.tenantId as string, { name: params.name, runtime: body.runtime, code: body.code }, { userId: ctx.userId });
      return times(await ctx.orch.getScript(ctx.tenantId as string, params.name));
    },
  }),
  defineOperation({
    name: "scripts.delete",
    method: "DELETE",
    path: "/api/v1/scripts/:name",
    summary: "Delete a script",
    tag: "scripts",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `script:${params.name}`,
    params: nameParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deleteScript(ctx.tenantId as string, params.name, { userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
  defineOperation({
    name: "templates.list",
    method: "GET",
    path: "/api/v1/templates",
    summary: "The tenant's message templates",
    tag: "templates",
    scope: "tenant",
    action: "read",
    resource: () => "template:*",
    response: z.object({ items: z.array(templateSchema) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listMessageTemplates(ctx.tenantId as string)).map(times) }),
  }),
  defineOperation({
    name: "templates.get",
    method: "GET",
    path: "/api/v1/templates/:name",
    summary: "One message template",
    tag: "templates",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `template:${params.name}`,
    params: nameParams,
    response: templateSchema,
    handle: async (ctx, { params }) => times(await ctx.orch.getMessageTemplate(ctx.tenantId as string, params.name)),
  }),
  defineOperation({
    name: "templates.put",
    method: "PUT",
    path: "/api/v1/templates/:name",
    summary: "Create or replace a message template ({ subject?, text?, html? })",
    tag: "templates",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `template:${params.name}`,
    params: nameParams,
    body: z.object({ subject: z.string().optional(), text: z.string().optional(), html: z.string().optional() }),
    response: templateSchema,
    handle: async (ctx, { params, body }) => {
      await ctx.orch.setMessageTemplate(ctx.tenantId as string, { name: params.name, ...body }, { userId: ctx.userId });
      return times(await ctx.orch.getMessageTemplate(ctx.tenantId as string, params.name));
    },
  }),
  defineOperation({
    name: "templates.delete",
    method: "DELETE",
    path: "/api/v1/templates/:name",
    summary: "Delete a message template",
    tag: "templates",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `template:${params.name}`,
    params: nameParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deleteMessageTemplate(ctx.tenantId as string, params.name, { userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
];
