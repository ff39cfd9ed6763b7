// A tenant's own policies: named sets of statements in SPEC D's vocabulary, stored per tenant,
// audited as sensitive changes, and read by the policy engine (whose cache a change invalidates).
import * as z from "zod";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { NotFoundError } from "../core/errors.js";
import { parseInput } from "../core/parse-input.js";
import { DOCUMENT_NAME } from "../content/document-names.js";
import type { AccessStore } from "../store/access-store.js";
import type { PolicyEngine } from "./policy-engine.js";
import type { PolicyStatement } from "./policy-types.js";

export interface TenantPolicy {
  name: string;
  description?: string;
  statements: PolicyStatement[];
  createdAt: number;
  updatedAt: number;
}

const RESOURCE = /^(\*|(workflow|execution|step|trigger|secret|tenant|method|script|template|key|policy):.+)$/;
const PRINCIPAL = /^(\*|role:(\*|owner|operator|viewer)|key:.+)$/;

export const policyStatementSchema = z.object({
  effect: z.enum(["allow", "deny"]),
  principals: z.array(z.string().regex(PRINCIPAL, "must be role:<owner|operator|viewer>, key:<api key id> or *")).min(1),
  actions: z.array(z.enum(["read", "write", "execute", "admin", "*"])).min(1),
  resources: z.array(z.string().max(300).regex(RESOURCE, "must be <kind>:<id or pattern> (workflow, execution, step, trigger, secret, tenant, method, script, template, key, policy) or *")).min(1),
  conditions: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number(), z.boolean()]))])).optional(),
});

const policySchema = z.object({
  name: DOCUMENT_NAME,
  description: z.string().max(1000).optional(),
  statements: z.array(policyStatementSchema).min(1).max(100),
});

export class PolicyService {
  #store: AccessStore;
  #clock: Clock;
  #engine: PolicyEngine;

  constructor(store: AccessStore, clock: Clock, engine: PolicyEngine) {
    this.#store = store;
    this.#clock = clock;
    this.#engine = engine;
  }

  async set(tenantId: string, policy: { name: string; description?: string; statements: PolicyStatement[] }, userId = "system"): Promise<{ created: boolean }> {
    const { name, ...body } = parseInput(policySchema, policy);
    const existing = await this.#store.getDocument(tenantId, "policy", name);
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: existing ? "update_policy" : "create_policy", status: "success", componentId: `policy:${name}`, userId, metadata: { statements: body.statements.length } })];
    const created = await this.#store.putDocument({ tenantId, kind: "policy", name, body }, this.#clock.now(), audit);
    this.#engine.invalidate(tenantId);
    return { created };
  }

  async get(tenantId: string, name: string): Promise<TenantPolicy> {
    const row = await this.#store.getDocument(tenantId, "policy", name);
    if (!row) throw new NotFoundError("policy", name);
    return toPolicy(row);
  }

  async list(tenantId: string): Promise<TenantPolicy[]> {
    return (await this.#store.listDocuments(tenantId, "policy")).map(toPolicy);
  }

  async delete(tenantId: string, name: string, userId = "system"): Promise<void> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_policy", status: "success", componentId: `policy:${name}`, userId })];
    if (!(await this.#store.deleteDocument(tenantId, "policy", name, audit))) throw new NotFoundError("policy", name);
    this.#engine.invalidate(tenantId);
  }

  /** Every statement of the tenant's policies, in name order (the engine's statement source). */
  async statements(tenantId: string): Promise<PolicyStatement[]> {
    return (await this.#store.listDocuments(tenantId, "policy")).flatMap((row) => (row.body as { statements: PolicyStatement[] }).statements);
  }
}

function toPolicy(row: { name: string; body: unknown; createdAt: number; updatedAt: number }): TenantPolicy {
  const body = row.body as { description?: string; statements: PolicyStatement[] };
  return { name: row.name, ...(body.description !== undefined ? { description: body.description } : {}), statements: body.statements, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
