// One operation = one REST route and its WebSocket RPC twin. Both paths run the same pipeline
// (run-operation.ts): validate input, check the policy (SPEC D: same action and resource), call the
// library. Handlers only translate input to library calls and rows to JSON.
import type * as z from "zod";
import type { Orchestrator } from "../orchestrator.js";
import type { ApiPrincipal } from "../tenancy/api-key-service.js";
import type { PolicyAction } from "../tenancy/policy-types.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/**
 * `tenant`: acts inside one tenant (a tenant key's own; an admin key names one with X-Tenant-ID).
 * `admin`: platform administration, the admin key only. `any`: a tenant key sees its tenant, the admin key all.
 */
export type OperationScope = "tenant" | "admin" | "any";

export interface OperationInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
}

export interface OperationContext {
  orch: Orchestrator;
  principal: ApiPrincipal;
  /** The tenant acted for; undefined only for `admin` / `any` operations without one. */
  tenantId: string | undefined;
  /** Recorded in audit records: `key:<id>`. */
  userId: string;
  /** The `Idempotency-Key` header (REST) or `idempotencyKey` param (RPC). */
  idempotencyKey: string | undefined;
}

/** A non-JSON answer (CSV export). */
export interface RawResult {
  raw: true;
  contentType: string;
  body: string;
  filename?: string;
}

export interface Operation<P extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType, B extends z.ZodType = z.ZodType> {
  /** RPC method name, e.g. `workflows.list`. */
  name: string;
  method: HttpMethod;
  /** Fastify path with `:param`s, e.g. `/api/v1/workflows/:id`. */
  path: string;
  summary: string;
  tag: string;
  scope: OperationScope;
  action: PolicyAction;
  /** The policy resource, from the validated input. */
  resource: (input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }, ctx: OperationContext) => string;
  params?: P;
  query?: Q;
  body?: B;
  /** Documentation of the success answer. */
  response?: z.ZodType;
  /** HTTP status of a success (default 200). */
  status?: number;
  handle: (ctx: OperationContext, input: { params: z.output<P>; query: z.output<Q>; body: z.output<B> }) => Promise<unknown>;
}

/** Keeps the schema types of one operation together (inference helper). */
export function defineOperation<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType>(op: Operation<P, Q, B>): Operation {
  return op as unknown as Operation;
}

export function isRawResult(value: unknown): value is RawResult {
  return typeof value === "object" && value !== null && (value as RawResult).raw === true;
}
