// executeWithRetry (seed 000): runs a function for a tenant under its quotas, retrying with
// exponential backoff, and commits one audit record and the tenant's statistics before returning.
import type { GroupCommitter } from "../audit/audit-log.js";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { sleep } from "../core/clock.js";
import { NonRetryableError, RetryAfterError, TimeoutError, ValidationError, errorMessage, isSynergyMeshError } from "../core/errors.js";
import type { RetryPolicy, RetryPolicyInput } from "../core/retry.js";
import { DEFAULT_RETRY_POLICY, backoffDelay } from "../core/retry.js";
import type { QuotaGuard } from "../tenancy/quota-guard.js";
import type { TenantService } from "../tenancy/tenant-service.js";
import type { ResourceRequest } from "../tenancy/tiers.js";
import { DEFAULT_RESOURCE_REQUEST } from "../tenancy/tiers.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { RetryPolicyRegistry } from "./retry-policy-registry.js";

export type ExecutionStatus = "success" | "failed" | "timeout";

export interface TaskContext {
  /** Aborted on timeout or cancellation; pass it to fetch, timers and child work. */
  signal: AbortSignal;
  /** 0 for the first try, 1 for the first retry, ... */
  attempt: number;
  tenantId: string;
  componentId: string;
}

export type TaskFunction<T> = (context: TaskContext) => T | Promise<T>;

export interface ExecutionResult<T = unknown> {
  componentId: string;
  status: ExecutionStatus;
  output: T | null;
  /** The last attempt's error message; null on success. */
  error: string | null;
  /** The last attempt's error code when it was a SynergyMeshError (e.g. `NON_RETRYABLE`). */
  errorCode: string | null;
  durationMs: number;
  retryCount: number;
}

export interface ExecuteOptions {
  /** Overrides the component's policy (seed 000 `max_retries`). */
  maxRetries?: number;
  /** Per-attempt timeout in ms; overrides the component's policy. */
  timeout?: number;
  /** Cancels the call: the running attempt is aborted and no retry follows. */
  signal?: AbortSignal;
  /** What the task reserves while it runs (default 128 MB, 10 % CPU). */
  resources?: Partial<ResourceRequest>;
  /** Recorded as the audit record's `user_id` (default `system`). */
  userId?: string;
}

const TIMED_OUT = Symbol("timed-out");

export interface TaskRunnerParts {
  tenants: TenantService;
  guard: QuotaGuard;
  committer: GroupCommitter;
  clock: Clock;
  metrics: Metrics;
  policies: RetryPolicyRegistry;
  random: () => number;
}

export class TaskRunner {
  #p: TaskRunnerParts;

  constructor(parts: TaskRunnerParts) {
    this.#p = parts;
  }

  async execute<T>(fn: TaskFunction<T>, componentId: string, tenantId: string, options: ExecuteOptions = {}): Promise<ExecutionResult<T>> {
    if (typeof fn !== "function") throw new ValidationError([{ path: "taskFunc", message: "must be a function" }]);
    if (typeof componentId !== "string" || componentId === "") throw new ValidationError([{ path: "componentId", message: "must be a non-empty string" }]);
    const { tenants, guard, committer, clock, metrics } = this.#p;
    const policy = this.#policyFor(componentId, options);
    const tenant = await tenants.getActiveRow(tenantId);
    const userId = options.userId ?? "system";
    let reservation;
    try {
      await guard.admit(tenant);
      reservation = guard.startTask(tenant, { ...DEFAULT_RESOURCE_REQUEST, ...options.resources });
    } catch (error) {
      // A refusal writes nothing but its own audit record (SPEC D).
      const code = isSynergyMeshError(error) ? error.code : "INTERNAL";
      await tenants.recordOnly(tenantId, "execute_with_retry", "refused", { reason: code, retry_after_ms: (error as { retryAfterMs?: number }).retryAfterMs ?? null }, { userId }, componentId);
      throw error;
    }
    const started = clock.now();
    let outcome: { status: ExecutionStatus; output: T | null; error: unknown; retries: number };
    try {
      outcome = await this.#attempts(fn, componentId, tenantId, policy, options.signal);
    } finally {
      reservation.release();
    }
    const durationMs = clock.now() - started;
    const result: ExecutionResult<T> = {
      componentId,
      status: outcome.status,
      output: outcome.output,
      error: outcome.status === "success" ? null : errorMessage(outcome.error),
      errorCode: outcome.status === "success" ? null : isSynergyMeshError(outcome.error) ? outcome.error.code : outcome.status === "timeout" ? "TIMEOUT" : "TASK_FAILED",
      durationMs,
      retryCount: outcome.retries,
    };
    metrics.tasksTotal.inc({ tenant_id: tenantId, status: result.status });
    metrics.taskDuration.observe({ tenant_id: tenantId }, durationMs / 1000);
    if (result.retryCount) metrics.retriesTotal.inc({ tenant_id: tenantId }, result.retryCount);
    const metadata: Record<string, unknown> = { status: result.status, duration_ms: durationMs, retry_count: result.retryCount };
    if (result.error !== null) metadata.error = result.error;
    await committer.submit(makeAuditEntry(clock, { tenantId, action: "execute_with_retry", status: result.status, componentId, userId, metadata }), {
      tenantId,
      total: 1,
      successful: result.status === "success" ? 1 : 0,
      failed: result.status === "success" ? 0 : 1,
      timeouts: result.status === "timeout" ? 1 : 0,
      retries: result.retryCount,
      durationMs,
    });
    return result;
  }

  #policyFor(componentId: string, options: ExecuteOptions): RetryPolicy {
    const overrides: RetryPolicyInput = {};
    if (options.maxRetries !== undefined) overrides.maxRetries = options.maxRetries;
    if (options.timeout !== undefined) overrides.timeout = options.timeout;
    return this.#p.policies.resolve(componentId, overrides);
  }

  async #attempts<T>(fn: TaskFunction<T>, componentId: string, tenantId: string, policy: RetryPolicy, outer: AbortSignal | undefined) {
    const { clock, random } = this.#p;
    let retries = 0;
    for (let attempt = 0; ; attempt++) {
      const controller = new AbortController();
      const onOuterAbort = () => controller.abort(outer?.reason);
      outer?.addEventListener("abort", onOuterAbort, { once: true });
      let timer: ReturnType<Clock["setTimeout"]> | undefined;
      let status: ExecutionStatus;
      let error: unknown;
      try {
        const run = Promise.resolve().then(() => fn({ signal: controller.signal, attempt, tenantId, componentId }));
        let raced: T | typeof TIMED_OUT;
        if (policy.timeout > 0) {
          const timedOut = new Promise<typeof TIMED_OUT>((resolve) => {
            timer = clock.setTimeout(() => resolve(TIMED_OUT), policy.timeout);
          });
          run.catch(() => {}); // a timed-out attempt may still fail later; nobody awaits it then
          raced = await Promise.race([run, timedOut]);
        } else {
          raced = await run;
        }
        if (raced !== TIMED_OUT) return { status: "success" as const, output: raced, error: null, retries };
        status = "timeout";
        error = new TimeoutError(`Attempt ${attempt + 1} of ${componentId}`, policy.timeout);
        controller.abort(error);
      } catch (thrown) {
        status = "failed";
        error = thrown;
      } finally {
        if (timer !== undefined) clock.clearTimeout(timer);
        outer?.removeEventListener("abort", onOuterAbort);
      }
      if (error instanceof NonRetryableError || outer?.aborted || attempt >= policy.maxRetries) {
        return { status, output: null, error: outer?.aborted ? (outer.reason ?? error) : error, retries };
      }
      const delay = error instanceof RetryAfterError ? Math.max(0, error.retryAfterMs) : backoffDelay(policy, attempt, random);
      retries += 1;
      try {
        await sleep(clock, delay, outer);
      } catch (reason) {
        return { status, output: null, error: reason ?? error, retries };
      }
    }
  }
}

export { DEFAULT_RETRY_POLICY };
