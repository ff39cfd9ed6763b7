// Secret routes: write-only. A value goes in (encrypted at rest); names and times come out, never
// values, in no answer, log or error.
import * as z from "zod";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { nameParams } from "../schemas/common.js";

const secretInfo = z.object({ name: z.string(), created_at: z.string(), updated_at: z.string() });

export const secretOperations: Operation[] = [
  defineOperation({
    name: "secrets.list",
    method: "GET",
    path: "/api/v1/secrets",
    summary: "The tenant's secret names (values are never returned)",
    tag: "secrets",
    scope: "tenant",
    action: "read",
    resource: () => "secret:*",
    response: z.object({ items: z.array(secretInfo) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listSecrets(ctx.tenantId)).map((s) => ({ name: s.name, created_at: new Date(s.createdAt).toISOString(), updated_at: new Date(s.updatedAt).toISOString() })) }),
  }),
  defineOperation({
    name: "secrets.put",
    method: "PUT",
    path: "/api/v1/secrets/:name",
    summary: "Set a secret for `{{secrets.<name>}}`",
    tag: "secrets",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `secret:${params.name}`,
    params: nameParams,
    body: z.object({ value: z.string().min(1) }),
    response: z.object({ name: z.string(), created: z.boolean() }),
    handle: async (ctx, { params, body }) => ({ name: params.name, ...(await ctx.orch.setSecret(params.name, body.value, { tenantId: ctx.tenantId as string, userId: ctx.userId })) }),
  }),
  defineOperation({
    name: "secrets.delete",
    method: "DELETE",
    path: "/api/v1/secrets/:name",
    summary: "Delete a secret",
    tag: "secrets",
    scope: "tenant",
    action: "write",
    resource: ({ params }) => `secret:${params.name}`,
    params: nameParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deleteSecret(params.name, { tenantId: ctx.tenantId as string, userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
];
