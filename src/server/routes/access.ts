// Access routes of a tenant: API keys (created and shown once, listed without values, revoked) and
// the tenant's own policies, plus an evaluation endpoint that explains a decision.
import * as z from "zod";
import { policyStatementSchema } from "../../tenancy/policy-service.js";
import { defineOperation } from "../operation.js";
import type { Operation } from "../operation.js";
import { apiKeySchema, idParams, nameParams } from "../schemas/common.js";
import { apiKeyJson } from "../schemas/to-json.js";

const policyBody = z.object({ description: z.string().max(1000).optional(), statements: z.array(z.unknown()).min(1).max(100) });
const policySchema = z.object({ name: z.string(), description: z.string().optional(), statements: z.array(policyStatementSchema), created_at: z.string(), updated_at: z.string() });

function policyJson(p: { name: string; description?: string; statements: unknown[]; createdAt: number; updatedAt: number }) {
  return { name: p.name, ...(p.description !== undefined ? { description: p.description } : {}), statements: p.statements, created_at: new Date(p.createdAt).toISOString(), updated_at: new Date(p.updatedAt).toISOString() };
}

export const accessOperations: Operation[] = [
  defineOperation({
    name: "apiKeys.create",
    method: "POST",
    path: "/api/v1/api-keys",
    summary: "Create an API key; the answer's `key` is shown this once",
    tag: "api-keys",
    scope: "tenant",
    action: "admin",
    resource: (_input, ctx) => `tenant:${ctx.tenantId}`,
    body: z.object({ name: z.string().max(200).default(""), role: z.enum(["owner", "operator", "viewer"]), expires_at: z.iso.datetime({ offset: true }).optional() }),
    response: apiKeySchema.extend({ key: z.string() }),
    status: 201,
    handle: async (ctx, { body }) => {
      const created = await ctx.orch.createApiKey(ctx.tenantId as string, { name: body.name, role: body.role, ...(body.expires_at ? { expiresAt: Date.parse(body.expires_at) } : {}) }, { userId: ctx.userId });
      return { ...apiKeyJson(created), key: created.key };
    },
  }),
  defineOperation({
    name: "apiKeys.list",
    method: "GET",
    path: "/api/v1/api-keys",
    summary: "The tenant's API keys (never their values)",
    tag: "api-keys",
    scope: "tenant",
    action: "admin",
    resource: (_input, ctx) => `tenant:${ctx.tenantId}`,
    response: z.object({ items: z.array(apiKeySchema) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listApiKeys(ctx.tenantId as string)).map(apiKeyJson) }),
  }),
  defineOperation({
    name: "apiKeys.revoke",
    method: "DELETE",
    path: "/api/v1/api-keys/:id",
    summary: "Revoke an API key",
    tag: "api-keys",
    scope: "tenant",
    action: "admin",
    resource: ({ params }) => `key:${params.id}`,
    params: idParams,
    response: apiKeySchema,
    handle: async (ctx, { params }) => apiKeyJson(await ctx.orch.revokeApiKey(ctx.tenantId as string, params.id, { userId: ctx.userId })),
  }),
  defineOperation({
    name: "policies.list",
    method: "GET",
    path: "/api/v1/policies",
    summary: "The tenant's policies",
    tag: "policies",
    scope: "tenant",
    action: "read",
    resource: () => "policy:*",
    response: z.object({ items: z.array(policySchema) }),
    handle: async (ctx) => ({ items: (await ctx.orch.listPolicies(ctx.tenantId as string)).map(policyJson) }),
  }),
  defineOperation({
    name: "policies.get",
    method: "GET",
    path: "/api/v1/policies/:name",
    summary: "One policy",
    tag: "policies",
    scope: "tenant",
    action: "read",
    resource: ({ params }) => `policy:${params.name}`,
    params: nameParams,
    response: policySchema,
    handle: async (ctx, { params }) => policyJson(await ctx.orch.getPolicy(ctx.tenantId as string, params.name)),
  }),
  defineOperation({
    name: "policies.put",
    method: "PUT",
    path: "/api/v1/policies/:name",
    summary: "Create or replace a policy (statements: effect, principals, actions, resources, conditions)",
    tag: "policies",
    scope: "tenant",
    action: "admin",
    resource: ({ params }) => `policy:${params.name}`,
    params: nameParams,
    body: policyBody,
    response: policySchema,
    handle: async (ctx, { params, body }) => {
      await ctx.orch.setPolicy(ctx.tenantId as string, { name: params.name, ...(body.description !== undefined ? { description: body.description } : {}), statements: body.statements as never }, { userId: ctx.userId });
      return policyJson(await ctx.orch.getPolicy(ctx.tenantId as string, params.name));
    },
  }),
  defineOperation({
    name: "policies.delete",
    method: "DELETE",
    path: "/api/v1/policies/:name",
    summary: "Delete a policy",
    tag: "policies",
    scope: "tenant",
    action: "admin",
    resource: ({ params }) => `policy:${params.name}`,
    params: nameParams,
    response: z.object({ deleted: z.literal(true) }),
    handle: async (ctx, { params }) => {
      await ctx.orch.deletePolicy(ctx.tenantId as string, params.name, { userId: ctx.userId });
      return { deleted: true as const };
    },
  }),
  defineOperation({
    name: "policies.evaluate",
    method: "POST",
    path: "/api/v1/policies/evaluate",
    summary: "Explain a decision: would this role (or key) be allowed the action on the resource?",
    tag: "policies",
    scope: "tenant",
    action: "read",
    resource: () => "policy:*",
    body: z.object({ role: z.enum(["owner", "operator", "viewer"]), key_id: z.string().max(200).optional(), action: z.enum(["read", "write", "execute", "admin"]), resource: z.string().min(1).max(300), context: z.record(z.string(), z.unknown()).optional() }),
    response: z.object({ allowed: z.boolean(), reason: z.string(), matched: policyStatementSchema.nullable() }),
    handle: async (ctx, { body }) =>
      ctx.orch.evaluatePolicy({ tenantId: ctx.tenantId as string, principal: { id: body.key_id ?? "(any)", role: body.role }, action: body.action, resource: body.resource, ...(body.context ? { context: body.context } : {}) }),
  }),
];
