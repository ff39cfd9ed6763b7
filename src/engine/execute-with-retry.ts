// executeWithRetry (seed 000): runs a function for a tenant under its quotas, retrying with
// exponential backoff, and commits one audit record and the tenant's statistics before returning.
// As SPEC D defines a task, every attempt takes a concurrency slot and counts as an hourly start;
// a backoff wait holds nothing. The call itself is one admission of the per-second rate limit.
import type { GroupCommitter } from "../audit/audit-log.js";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { sleep } from "../core/clock.js";
import { CancelledError, NonRetryableError, RetryAfterError, TimeoutError, ValidationError, errorMessage, isSynergyMeshError } from "../core/errors.js";
import type { ValidationIssue } from "../core/errors.js";
import type { RetryPolicy, RetryPolicyInput } from "../core/retry.js";
import { backoffDelay } from "../core/retry.js";
import type { QuotaGuard } from "../tenancy/quota-guard.js";
import type { Reservation } from "../tenancy/resource-ledger.js";
import type { TenantService } from "../tenancy/tenant-service.js";
import type { ResourceRequest } from "../tenancy/tiers.js";
import type { Logger } from "../telemetry/logger.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { TenantRow } from "../store/store.js";
import type { RetryPolicyRegistry } from "./retry-policy-registry.js";
import { validateRetryPolicy } from "./retry-policy-registry.js";

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
  /** `TIMEOUT`, `CANCELLED`, `NON_RETRYABLE`, another SynergyMeshError code, or `TASK_FAILED`; null on success. */
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
  /**
   * Memory and CPU each attempt reserves against the tenant's quota. executeWithRetry reserves
   * only a concurrency slot unless this is given.
   */
  resources?: Partial<ResourceRequest>;
  /** Recorded as the audit record's `user_id` (default `system`). */
  userId?: string;
}

const NO_RESOURCES: Readonly<ResourceRequest> = Object.freeze({ memoryMb: 0, cpuPercent: 0 });
const TIMED_OUT = Symbol("timed-out");
const CANCELLED = Symbol("cancelled");

export interface TaskRunnerParts {
  tenants: TenantService;
  guard: QuotaGuard;
  committer: GroupCommitter;
  clock: Clock;
  metrics: Metrics;
  logger: Logger;
  policies: RetryPolicyRegistry;
  random: () => number;
}

interface Outcome<T> {
  status: ExecutionStatus;
  output: T | null;
  error: unknown;
  retries: number;
}

export class TaskRunner {
  #p: TaskRunnerParts;
  /** Aborted by shutdown(): running calls end as cancelled. One controller, not a listener per call. */
  #shutdown = new AbortController();
  /** Signals of running attempts, aborted together on shutdown. */
  #live = new Set<LazyAbort>();

  constructor(parts: TaskRunnerParts) {
    this.#p = parts;
  }

  /** Cancels every running call: attempts abort now, backoff waits end, no retry starts. */
  shutdown(reason: unknown): void {
    this.#shutdown.abort(reason);
    for (const controller of this.#live) controller.abort(cancelledBy(this.#shutdown.signal));
  }

  async execute<T>(fn: TaskFunction<T>, componentId: string, tenantId: string, options: ExecuteOptions = {}): Promise<ExecutionResult<T>> {
    const { request, policy } = this.#validateCall(fn, componentId, options);
    const { tenants, guard, committer, clock, metrics } = this.#p;
    const tenant = await tenants.getActiveRow(tenantId);
    const userId = options.userId ?? "system";
    let first: Reservation;
    try {
      await guard.admit(tenant);
      first = guard.startTask(tenant, request);
    } catch (error) {
      // A refusal writes nothing but its own audit record (SPEC D).
      const code = isSynergyMeshError(error) ? error.code : "INTERNAL";
      await tenants.recordOnly(tenantId, "execute_with_retry", "refused", { reason: code, retry_after_ms: (error as { retryAfterMs?: number }).retryAfterMs ?? null }, { userId }, componentId);
      throw error;
    }
    const signal = options.signal ? AbortSignal.any([options.signal, this.#shutdown.signal]) : this.#shutdown.signal;
    const started = clock.now();
    const outcome = await this.#attempts(fn, componentId, tenant, request, policy, signal, first);
    const durationMs = clock.now() - started;
    const cancelled = outcome.error instanceof CancelledError;
    const result: ExecutionResult<T> = {
      componentId,
      status: outcome.status,
      output: outcome.output,
      error: outcome.status === "success" ? null : errorMessage(outcome.error),
      errorCode: outcome.status === "success" ? null : isSynergyMeshError(outcome.error) ? outcome.error.code : "TASK_FAILED",
      durationMs,
      retryCount: outcome.retries,
    };
    if (result.status !== "success") this.#p.logger.debug({ tenantId, componentId, errorCode: result.errorCode, retryCount: result.retryCount }, "executeWithRetry did not succeed");
    const tenantMetrics = metrics.forTenant(tenantId);
    tenantMetrics.tasks[result.status].inc();
    tenantMetrics.taskDuration.observe(durationMs / 1000);
    if (result.retryCount) tenantMetrics.retries.inc(result.retryCount);
    const metadata: Record<string, unknown> = { status: result.status, duration_ms: durationMs, retry_count: result.retryCount };
    if (result.error !== null) metadata.error = result.error;
    if (cancelled) metadata.cancelled = true;
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

  /** Every problem of the call at once (SPEC: bad input gets every problem with its path). */
  #validateCall(fn: unknown, componentId: unknown, options: ExecuteOptions): { request: ResourceRequest; policy: RetryPolicy } {
    const issues: ValidationIssue[] = [];
    if (typeof fn !== "function") issues.push({ path: "taskFunc", message: "must be a function" });
    if (typeof componentId !== "string" || componentId === "") issues.push({ path: "componentId", message: "must be a non-empty string" });
    const overrides: RetryPolicyInput = {};
    if (options.maxRetries !== undefined) overrides.maxRetries = options.maxRetries;
    if (options.timeout !== undefined) overrides.timeout = options.timeout;
    issues.push(...validateRetryPolicy(overrides, "options"));
    const request = { ...NO_RESOURCES };
    for (const [key, value] of Object.entries(options.resources ?? {})) {
      const path = `options.resources.${key}`;
      if (key !== "memoryMb" && key !== "cpuPercent") issues.push({ path, message: "is not a resource; known: memoryMb, cpuPercent" });
      else if (typeof value !== "number" || !Number.isFinite(value) || value < 0) issues.push({ path, message: `must be a non-negative number, got ${JSON.stringify(value)}` });
      else request[key] = value;
    }
    if (issues.length) throw new ValidationError(issues);
    return { request, policy: this.#p.policies.resolve(componentId as string, overrides) };
  }

  async #attempts<T>(fn: TaskFunction<T>, componentId: string, tenant: TenantRow, request: ResourceRequest, policy: RetryPolicy, outer: AbortSignal, first: Reservation): Promise<Outcome<T>> {
    const { clock, random } = this.#p;
    let retries = 0;
    let reservation: Reservation | undefined = first;
    for (let attempt = 0; ; attempt++) {
      if (outer.aborted) {
        reservation?.release();
        return { status: "failed", output: null, error: cancelledBy(outer), retries };
      }
      if (!reservation) {
        const next = await this.#reserveForRetry(tenant, request, outer);
        if ("error" in next) return { status: "failed", output: null, error: next.error, retries };
        reservation = next.reservation;
      }
      let outcome: { status: ExecutionStatus; output?: T; error?: unknown };
      try {
        outcome = await this.#attempt(fn, componentId, tenant.tenantId, policy, attempt, outer);
      } finally {
        reservation.release();
        reservation = undefined;
      }
      if (outcome.status === "success") return { status: "success", output: outcome.output as T, error: null, retries };
      if (outer.aborted) return { status: "failed", output: null, error: cancelledBy(outer), retries };
      if (outcome.error instanceof NonRetryableError || attempt >= policy.maxRetries) return { status: outcome.status, output: null, error: outcome.error, retries };
      const delay = outcome.error instanceof RetryAfterError ? Math.max(0, outcome.error.retryAfterMs) : backoffDelay(policy, attempt, random);
      retries += 1;
      try {
        await sleep(clock, delay, outer);
      } catch {
        return { status: "failed", output: null, error: cancelledBy(outer), retries };
      }
    }
  }

  /**
   * One attempt under its timeout; the attempt's signal aborts on timeout or cancellation. The
   * AbortController is made only when the task reads `signal` (creating one costs more than the
   * rest of a short attempt); an abort before that is remembered and applied on first read.
   */
  async #attempt<T>(fn: TaskFunction<T>, componentId: string, tenantId: string, policy: RetryPolicy, attempt: number, outer: AbortSignal) {
    const { clock } = this.#p;
    const attemptSignal = new LazyAbort();
    // The shutdown signal reaches attempts through #live; only a caller's own signal needs a listener.
    const onOuterAbort = () => attemptSignal.abort(cancelledBy(outer));
    const listens = outer !== this.#shutdown.signal;
    if (listens) outer.addEventListener("abort", onOuterAbort, { once: true });
    this.#live.add(attemptSignal);
    let timer: ReturnType<Clock["setTimeout"]> | undefined;
    try {
      const context: TaskContext = {
        get signal() {
          return attemptSignal.signal;
        },
        attempt,
        tenantId,
        componentId,
      };
      const run = Promise.resolve().then(() => fn(context));
      run.catch(() => {}); // an attempt given up on (timeout, cancel) may still fail later; nobody awaits it then
      // A cancelled call does not wait for a task that ignores its signal.
      const cancelled = new Promise<typeof CANCELLED>((resolve) => attemptSignal.onAbort(() => resolve(CANCELLED)));
      const racers: Array<Promise<T | typeof TIMED_OUT | typeof CANCELLED>> = [run, cancelled];
      if (policy.timeout > 0) {
        racers.push(
          new Promise<typeof TIMED_OUT>((resolve) => {
            timer = clock.setTimeout(() => resolve(TIMED_OUT), policy.timeout);
          }),
        );
      }
      const raced = await Promise.race(racers);
      if (raced === CANCELLED) return { status: "failed" as const, error: attemptSignal.reason };
      if (raced !== TIMED_OUT) return { status: "success" as const, output: raced };
      const error = new TimeoutError(`Attempt ${attempt + 1} of ${componentId}`, policy.timeout);
      attemptSignal.abort(error);
      return { status: "timeout" as const, error };
    } catch (error) {
      return { status: "failed" as const, error };
    } finally {
      if (timer !== undefined) clock.clearTimeout(timer);
      this.#live.delete(attemptSignal);
      if (listens) outer.removeEventListener("abort", onOuterAbort);
    }
  }

  /**
   * A retry waits, holding nothing, until the tenant has room again. It ends the call instead when
   * the call is cancelled or the tenant was suspended, deleted or purged meanwhile: the task has
   * run before, so the call still reports a result (and commits its record) rather than throwing.
   */
  async #reserveForRetry(tenant: TenantRow, request: ResourceRequest, outer: AbortSignal): Promise<{ reservation: Reservation } | { error: unknown }> {
    for (;;) {
      try {
        const current = await this.#p.tenants.getActiveRow(tenant.tenantId);
        return { reservation: this.#p.guard.startTask(current, request) };
      } catch (error) {
        const wait = (error as { retryAfterMs?: number }).retryAfterMs;
        if (wait === undefined) return { error };
        try {
          await sleep(this.#p.clock, wait, outer);
        } catch {
          return { error: cancelledBy(outer) };
        }
      }
    }
  }
}

/** An AbortController made on first use of its signal. */
class LazyAbort {
  #controller: AbortController | undefined;
  #reason: unknown;
  #aborted = false;
  #listeners: Array<() => void> = [];

  get reason(): unknown {
    return this.#reason;
  }

  /** Calls `listener` once on abort (at once if already aborted); cheaper than the signal's listeners. */
  onAbort(listener: () => void): void {
    if (this.#aborted) listener();
    else this.#listeners.push(listener);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    for (const listener of this.#listeners.splice(0)) listener();
  }
}

function cancelledBy(signal: AbortSignal): CancelledError {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError) return reason;
  return new CancelledError(reason === undefined ? "The call was cancelled" : errorMessage(reason), { cause: reason });
}

