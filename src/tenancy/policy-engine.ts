// The policy engine (SPEC D "Policies", seed 004 PolicyEngine): statements of principals, actions,
// resources and conditions with `*` wildcards; default deny, deny wins. Roles bring default
// statements; tenant owners add their own. Decisions are cached (5 min, at most 1,000 entries) and
// dropped when a tenant's policies change; an error while evaluating is a denial.
import type { Clock } from "../core/clock.js";
import { PolicyDeniedError } from "../core/errors.js";
import type { PolicyDecision, PolicyRequest, PolicyRole, PolicyStatement, PolicyStatementSource } from "./policy-types.js";

/** What each role may do before tenant statements are applied (admin: the platform admin key). */
export const ROLE_STATEMENTS: Readonly<Record<PolicyRole, readonly PolicyStatement[]>> = {
  admin: [{ effect: "allow", principals: ["role:admin"], actions: ["*"], resources: ["*"] }],
  owner: [{ effect: "allow", principals: ["role:owner"], actions: ["*"], resources: ["*"] }],
  operator: [{ effect: "allow", principals: ["role:operator"], actions: ["read", "write", "execute"], resources: ["*"] }],
  viewer: [{ effect: "allow", principals: ["role:viewer"], actions: ["read"], resources: ["*"] }],
};

export interface PolicyEngineOptions {
  /** How long a decision is reused (default 5 min, seed 004). */
  cacheTtlMs?: number;
  /** Most cached decisions (default 1,000, seed 004). */
  cacheSize?: number;
  /** Called for every denial enforced by requirePermission (the orchestrator audits it). */
  onDenied?: (request: PolicyRequest, decision: PolicyDecision) => void;
}

export class PolicyEngine {
  #source: PolicyStatementSource;
  #clock: Clock;
  #ttlMs: number;
  #size: number;
  #onDenied: ((request: PolicyRequest, decision: PolicyDecision) => void) | undefined;
  #cache = new Map<string, { decision: PolicyDecision; until: number }>();
  #patterns = new Map<string, RegExp>();

  constructor(source: PolicyStatementSource, clock: Clock, options: PolicyEngineOptions = {}) {
    this.#source = source;
    this.#clock = clock;
    this.#ttlMs = options.cacheTtlMs ?? 5 * 60_000;
    this.#size = options.cacheSize ?? 1000;
    this.#onDenied = options.onDenied;
  }

  /** The decision for the request with its reason and the statement that decided (null: default deny). */
  async evaluate(request: PolicyRequest): Promise<PolicyDecision> {
    const key = cacheKey(request);
    const now = this.#clock.now();
    const hit = this.#cache.get(key);
    if (hit && hit.until > now) return hit.decision;
    let decision: PolicyDecision;
    try {
      const tenantStatements = request.principal.role === "admin" ? [] : await this.#source(request.tenantId);
      decision = this.#decide(request, ROLE_STATEMENTS[request.principal.role] ?? [], tenantStatements);
    } catch (error) {
      // Fail closed, and do not cache: the next request tries again.
      return { allowed: false, reason: `policy evaluation failed (${error instanceof Error ? error.message : String(error)}); denied`, matched: null };
    }
    this.#cache.delete(key);
    this.#cache.set(key, { decision, until: now + this.#ttlMs });
    if (this.#cache.size > this.#size) this.#cache.delete(this.#cache.keys().next().value as string);
    return decision;
  }

  async checkPermission(request: PolicyRequest): Promise<boolean> {
    return (await this.evaluate(request)).allowed;
  }

  /** Throws PolicyDeniedError (403) with the reason; the denial is reported to `onDenied`. */
  async requirePermission(request: PolicyRequest): Promise<PolicyDecision> {
    const decision = await this.evaluate(request);
    if (decision.allowed) return decision;
    this.#onDenied?.(request, decision);
    throw new PolicyDeniedError(`${request.action} on ${request.resource} is denied: ${decision.reason}`, { action: request.action, resource: request.resource });
  }

  /** Forgets cached decisions of one tenant (its policies changed), or of every tenant. */
  invalidate(tenantId?: string): void {
    if (tenantId === undefined) {
      this.#cache.clear();
      return;
    }
    const prefix = `${tenantId}\u0000`;
    for (const key of this.#cache.keys()) if (key.startsWith(prefix)) this.#cache.delete(key);
  }

  #decide(request: PolicyRequest, roleStatements: readonly PolicyStatement[], tenantStatements: readonly PolicyStatement[]): PolicyDecision {
    const principals = [`role:${request.principal.role}`, `key:${request.principal.id}`];
    let allow: { statement: PolicyStatement; where: string } | undefined;
    const sources: Array<[string, readonly PolicyStatement[]]> = [
      ["the role's defaults", roleStatements],
      ["the tenant's policies", tenantStatements],
    ];
    for (const [where, statements] of sources) {
      for (const [index, statement] of statements.entries()) {
        if (!this.#matches(statement, principals, request)) continue;
        // Deny wins over any allow, wherever it is.
        if (statement.effect === "deny") return { allowed: false, reason: `denied by statement ${index + 1} of ${where}`, matched: statement };
        allow ??= { statement, where: `statement ${index + 1} of ${where}` };
      }
    }
    if (allow) return { allowed: true, reason: `allowed by ${allow.where}`, matched: allow.statement };
    return { allowed: false, reason: `no statement allows ${request.action} on ${request.resource} for role ${request.principal.role}`, matched: null };
  }

  #matches(statement: PolicyStatement, principals: string[], request: PolicyRequest): boolean {
    return (
      statement.principals.some((p) => principals.some((mine) => this.#glob(p, mine))) &&
      statement.actions.some((a) => this.#glob(a, request.action)) &&
      statement.resources.some((r) => this.#glob(r, request.resource)) &&
      conditionsHold(statement.conditions, request.context)
    );
  }

  #glob(pattern: string, value: string): boolean {
    if (pattern === "*" || pattern === value) return true;
    if (!pattern.includes("*")) return false;
    let re = this.#patterns.get(pattern);
    if (!re) {
      re = new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`, "s");
      if (this.#patterns.size > 10_000) this.#patterns.clear();
      this.#patterns.set(pattern, re);
    }
    return re.test(value);
  }
}

/**
 * Conditions: every key names a fact of the request context; the fact must equal the value, or be
 * one of the values of an array. A fact that is missing makes the statement not apply.
 */
function conditionsHold(conditions: Record<string, unknown> | undefined, context: Record<string, unknown> | undefined): boolean {
  if (!conditions) return true;
  for (const [fact, expected] of Object.entries(conditions)) {
    const actual = context?.[fact];
    if (actual === undefined) return false;
    const options = Array.isArray(expected) ? expected : [expected];
    if (!options.some((o) => String(o) === String(actual))) return false;
  }
  return true;
}

function cacheKey(r: PolicyRequest): string {
  return [r.tenantId, r.principal.id, r.principal.role, r.action, r.resource, r.context ? JSON.stringify(r.context) : ""].join("\u0000");
}
