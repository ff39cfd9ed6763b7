// The request pipeline shared by REST and WebSocket RPC: resolve the tenant from the key (a header
// only selects one for the admin key), admit the request against the tenant's rate limit, validate
// every input part at once, check the policy (RPC: also as `method:<name>`), then run the handler.
import { SynergyMeshError, ValidationError } from "../core/errors.js";
import type { ValidationIssue } from "../core/errors.js";
import { zodIssues } from "../core/parse-input.js";
import type { Orchestrator } from "../orchestrator.js";
import type { ApiPrincipal } from "../tenancy/api-key-service.js";
import type { LimitDecision } from "../tenancy/rate-limiter.js";
import type { Operation, OperationContext, OperationInput } from "./operation.js";

export interface Caller {
  principal: ApiPrincipal;
  /** X-Tenant-ID / `tenant_id` (REST) or the hello's `tenant_id` (WebSocket). */
  requestedTenant: string | undefined;
  idempotencyKey: string | undefined;
  /** True for WebSocket RPC: the call is also checked as `method:<name>`. */
  rpc: boolean;
  /** Facts for policy conditions (`ip`, `transport`). */
  facts: Record<string, unknown>;
}

export interface OperationOutcome {
  result: unknown;
  /** The admission that let the request through (for RateLimit headers), when a tenant was charged. */
  admission: (LimitDecision & { tenantId: string }) | undefined;
}

export class ForbiddenError extends SynergyMeshError {
  constructor(message: string) {
    super("FORBIDDEN", message);
  }
}

export function resolveTenant(op: Operation, caller: Caller): string | undefined {
  const { principal, requestedTenant } = caller;
  if (principal.tenantId !== null) {
    if (op.scope === "admin") throw new ForbiddenError(`${op.method} ${op.path} needs the platform admin key`);
    if (requestedTenant !== undefined && requestedTenant !== principal.tenantId) throw new ForbiddenError("This API key belongs to another tenant; a tenant key acts only for its own tenant (drop X-Tenant-ID / tenant_id)");
    return principal.tenantId;
  }
  if (op.scope === "admin") return undefined;
  if (op.scope === "tenant" && requestedTenant === undefined) {
    throw new ValidationError([{ path: "headers.x-tenant-id", message: "the admin key must name the tenant to act for (X-Tenant-ID header or tenant_id query parameter)" }]);
  }
  return requestedTenant;
}

export async function runOperation(orch: Orchestrator, op: Operation, caller: Caller, raw: OperationInput): Promise<OperationOutcome> {
  if (caller.idempotencyKey !== undefined && caller.idempotencyKey.length > 200) throw new ValidationError([{ path: "headers.idempotency-key", message: "must be at most 200 characters" }]);
  const tenantId = resolveTenant(op, caller);
  let admission: OperationOutcome["admission"];
  if (tenantId !== undefined) admission = { ...(await orch.admitRequest(tenantId)), tenantId };
  const input = validate(op, raw);
  const ctx: OperationContext = { orch, principal: caller.principal, tenantId, userId: `key:${caller.principal.keyId}`, idempotencyKey: caller.idempotencyKey };
  const policyTenant = tenantId ?? "platform";
  const base = { tenantId: policyTenant, principal: { id: caller.principal.keyId, role: caller.principal.role }, action: op.action, context: caller.facts };
  await orch.requirePermission({ ...base, resource: op.resource(input, ctx) });
  if (caller.rpc) await orch.requirePermission({ ...base, resource: `method:${op.name}` });
  return { result: await op.handle(ctx, input), admission };
}

function validate(op: Operation, raw: OperationInput): { params: never; query: never; body: never } {
  const issues: ValidationIssue[] = [];
  const parse = (schema: Operation["params"], value: unknown, base: string): unknown => {
    if (!schema) return value;
    const result = schema.safeParse(value);
    if (result.success) return result.data;
    issues.push(...zodIssues(result.error, base));
    return undefined;
  };
  const params = parse(op.params, raw.params ?? {}, "params");
  const query = parse(op.query, raw.query ?? {}, "query");
  const body = op.body ? parse(op.body, raw.body, "body") : undefined;
  if (issues.length) throw new ValidationError(issues);
  return { params, query, body } as { params: never; query: never; body: never };
}
