// The one error registry: every error the product raises has a stable code, an HTTP status and
// a retry meaning. docs/errors.md lists the same table; test/core/errors.test.ts keeps them in step.

export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly description: string;
}

export const ERROR_REGISTRY = {
  VALIDATION_FAILED: { status: 400, retryable: false, description: "The input is invalid; `details.issues` lists every problem with its path." },
  UNAUTHENTICATED: { status: 401, retryable: false, description: "No valid credential was presented." },
  FORBIDDEN: { status: 403, retryable: false, description: "The credential may not act for the tenant or object named." },
  TENANT_INACTIVE: { status: 403, retryable: false, description: "The tenant is suspended or deleted; resume it first." },
  POLICY_DENIED: { status: 403, retryable: false, description: "A policy denies the action on the resource." },
  EGRESS_DENIED: { status: 403, retryable: false, description: "The tenant's egress policy refuses an outbound connection; the message names the host, the address and the rule." },
  TENANT_NOT_FOUND: { status: 404, retryable: false, description: "No tenant has this id (or it is not visible to the caller)." },
  NOT_FOUND: { status: 404, retryable: false, description: "The object does not exist (or belongs to another tenant)." },
  METHOD_NOT_ALLOWED: { status: 405, retryable: false, description: "The endpoint (a webhook trigger's path) does not accept this HTTP method; `details.allowed` lists the one it does." },
  CONFLICT: { status: 409, retryable: false, description: "The object's state does not allow the operation." },
  PAYLOAD_TOO_LARGE: { status: 413, retryable: false, description: "The request body is larger than the configured limit." },
  QUOTA_EXCEEDED: { status: 429, retryable: true, description: "A tenant quota (hourly tasks, memory, CPU, daily tokens) is used up; `retryAfterMs` says when room is expected." },
  RATE_LIMITED: { status: 429, retryable: true, description: "The tenant's per-second request rate is used up; retry after `retryAfterMs`." },
  CONCURRENT_LIMIT: { status: 429, retryable: true, description: "The tenant already runs its maximum of concurrent tasks." },
  TEMPLATE_ERROR: { status: 400, retryable: false, description: "A template names a value that does not exist." },
  EXPRESSION_ERROR: { status: 400, retryable: false, description: "An expression (a `when`, decision or loop condition) does not compile or fails to evaluate." },
  TASK_FAILED: { status: 500, retryable: true, description: "A task failed; the error carries the task's own message." },
  NON_RETRYABLE: { status: 500, retryable: false, description: "A task failed in a way that retrying cannot fix." },
  RETRY_AFTER: { status: 503, retryable: true, description: "A task asks to be retried after `retryAfterMs`." },
  TIMEOUT: { status: 504, retryable: true, description: "A task or operation ran past its timeout." },
  CANCELLED: { status: 499, retryable: false, description: "The operation was cancelled." },
  CONFIG_INVALID: { status: 500, retryable: false, description: "The configuration or an option is invalid; the path names the field." },
  STORE_UNAVAILABLE: { status: 503, retryable: true, description: "The database could not be reached or is closed." },
  INTERNAL: { status: 500, retryable: false, description: "An unexpected error; the message is generic and the details are logged." },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_REGISTRY;

export interface ValidationIssue {
  /** Path of the bad field, e.g. `steps[2].depends_on[0]` or `quota.maxConcurrentTasks`. */
  path: string;
  message: string;
  code?: string;
}

export interface ErrorJSON {
  code: ErrorCode;
  message: string;
  status: number;
  retryable: boolean;
  details?: Record<string, unknown>;
}

/** Base of every error the library throws on purpose. Callers switch on `code`, never on `message`. */
export class SynergyMeshError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_REGISTRY[this.code].status;
  }

  get retryable(): boolean {
    return ERROR_REGISTRY[this.code].retryable;
  }

  toJSON(): ErrorJSON {
    const json: ErrorJSON = { code: this.code, message: this.message, status: this.status, retryable: this.retryable };
    if (this.details !== undefined) json.details = this.details;
    return json;
  }
}

export class ValidationError extends SynergyMeshError {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[], message?: string) {
    const first = issues[0];
    super(
      "VALIDATION_FAILED",
      message ?? (issues.length === 1 && first ? `${first.path}: ${first.message}` : `${issues.length} problems in the input`),
      { issues },
    );
    this.issues = issues;
  }
}

export class TenantNotFoundError extends SynergyMeshError {
  constructor(tenantId: string) {
    super("TENANT_NOT_FOUND", `Tenant ${JSON.stringify(tenantId)} was not found`, { tenantId });
  }
}

export class TenantInactiveError extends SynergyMeshError {
  constructor(tenantId: string, status: string) {
    const hint = status === "deleted" ? "deleted tenants stay read-only until purged" : "resume it before using it";
    super("TENANT_INACTIVE", `Tenant ${tenantId} is ${status}; ${hint}`, { tenantId, status });
  }
}

export class NotFoundError extends SynergyMeshError {
  constructor(kind: string, id: string) {
    super("NOT_FOUND", `${kind} ${JSON.stringify(id)} was not found`, { kind, id });
  }
}

export class ConflictError extends SynergyMeshError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("CONFLICT", message, details);
  }
}

/** Refusals carry `retryAfterMs` so HTTP can answer `Retry-After` and callers can wait exactly. */
abstract class RefusalError extends SynergyMeshError {
  readonly retryAfterMs: number;
  constructor(code: ErrorCode, message: string, retryAfterMs: number, details: Record<string, unknown>) {
    super(code, message, { ...details, retryAfterMs });
    this.retryAfterMs = retryAfterMs;
  }
}

export class RateLimitedError extends RefusalError {
  constructor(tenantId: string, limit: number, retryAfterMs: number) {
    super("RATE_LIMITED", `Tenant ${tenantId} is over its rate limit of ${limit} requests per second; retry in ${retryAfterMs} ms`, retryAfterMs, { tenantId, limit });
  }
}

export class QuotaExceededError extends RefusalError {
  constructor(tenantId: string, quota: string, limit: number, retryAfterMs: number) {
    super("QUOTA_EXCEEDED", `Tenant ${tenantId} has used up its ${quota} quota of ${limit}`, retryAfterMs, { tenantId, quota, limit });
  }
}

export class ConcurrentLimitError extends RefusalError {
  constructor(tenantId: string, limit: number) {
    super("CONCURRENT_LIMIT", `Tenant ${tenantId} already runs its maximum of ${limit} concurrent tasks`, 1000, { tenantId, limit });
  }
}

export class PolicyDeniedError extends SynergyMeshError {
  constructor(reason: string, details?: Record<string, unknown>) {
    super("POLICY_DENIED", reason, details);
  }
}

export class ConfigError extends SynergyMeshError {
  constructor(path: string, message: string) {
    super("CONFIG_INVALID", `${path}: ${message}`, { path });
  }
}

export class TimeoutError extends SynergyMeshError {
  constructor(what: string, timeoutMs: number) {
    super("TIMEOUT", `${what} timed out after ${timeoutMs} ms`, { timeoutMs });
  }
}

export class CancelledError extends SynergyMeshError {
  constructor(message = "The operation was cancelled", options?: { cause?: unknown }) {
    super("CANCELLED", message, undefined, options);
  }
}

/** Thrown by a task to stop retrying at once (inngest `NonRetriableError`, temporal `nonRetryable`). */
export class NonRetryableError extends SynergyMeshError {
  constructor(message: string, options?: { cause?: unknown }) {
    super("NON_RETRYABLE", message, undefined, options);
  }
}

/** Thrown by a task to be retried after exactly `retryAfterMs` instead of the backoff delay. */
export class RetryAfterError extends SynergyMeshError {
  readonly retryAfterMs: number;
  constructor(message: string, retryAfterMs: number, options?: { cause?: unknown }) {
    super("RETRY_AFTER", message, { retryAfterMs }, options);
    this.retryAfterMs = retryAfterMs;
  }
}

export function isSynergyMeshError(error: unknown): error is SynergyMeshError {
  return error instanceof SynergyMeshError;
}

/** A printable message for anything thrown, without stack traces. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
