// The policy vocabulary shared by the REST API, the WebSocket gateway and the policy engine
// (SPEC D "Policies"): statements, the request being decided, and the decision with its reason.

/** Who acts: `admin` is the platform admin key; the others are tenant key roles. */
export type PolicyRole = "admin" | "owner" | "operator" | "viewer";

/** SPEC D's actions. */
export type PolicyAction = "read" | "write" | "execute" | "admin";

export interface PolicyStatement {
  effect: "allow" | "deny";
  /** `role:<role>`, `key:<api key id>`, or `*`; `*` wildcards match within a value. */
  principals: string[];
  /** `read`, `write`, `execute`, `admin`, or `*`. */
  actions: string[];
  /** `workflow:<id>`, `execution:<id>`, `trigger:<id>`, `secret:<name>`, `tenant:<id>`, `method:<rpc name>`; `*` wildcards (`workflow:prod-*`). */
  resources: string[];
  /** Optional facts the request context must match (documented with the engine). */
  conditions?: Record<string, unknown>;
}

export interface PolicyPrincipal {
  /** The API key id (or `admin`). */
  id: string;
  role: PolicyRole;
}

export interface PolicyRequest {
  tenantId: string;
  principal: PolicyPrincipal;
  action: PolicyAction;
  /** One resource string of the vocabulary above. */
  resource: string;
  /** Facts for `conditions` (e.g. `ip`, `time`). */
  context?: Record<string, unknown>;
}

export interface PolicyDecision {
  allowed: boolean;
  /** Why, in words a user can act on ("denied by statement 2 of the tenant's policy", "no statement allows"). */
  reason: string;
  /** The statement that decided, or null when nothing matched (default deny). */
  matched: PolicyStatement | null;
}

/** Where the engine reads a tenant's own statements from (the server stores them). */
export type PolicyStatementSource = (tenantId: string) => Promise<PolicyStatement[]>;
