// The quota guard: per-second request admissions, hourly task starts, and concurrency / memory /
// CPU reservations for one tenant at a time (seed 004 QuotaGuard). Refusals are typed errors with
// the time after which a retry can succeed.
import type { Clock } from "../core/clock.js";
import { ConcurrentLimitError, QuotaExceededError, RateLimitedError, ValidationError } from "../core/errors.js";
import type { Metrics } from "../telemetry/metrics.js";
import { HourlyCounter } from "./hourly-counter.js";
import type { LimitDecision, RateLimiter } from "./rate-limiter.js";
import type { Reservation } from "./resource-ledger.js";
import { ResourceLedger } from "./resource-ledger.js";
import type { ResourceQuota, ResourceRequest } from "./tiers.js";
import { DEFAULT_RESOURCE_REQUEST } from "./tiers.js";

export type QuotaKind = "concurrent" | "memory" | "cpu" | "rate_limit" | "hourly";
export const QUOTA_KINDS: readonly QuotaKind[] = ["concurrent", "memory", "cpu", "rate_limit", "hourly"];

interface QuotaSubject {
  tenantId: string;
  quota: ResourceQuota;
}

export class QuotaGuard {
  readonly ledger = new ResourceLedger();
  readonly hourly = new HourlyCounter();
  #limiter: RateLimiter;
  #clock: Clock;
  #metrics: Metrics;

  constructor(limiter: RateLimiter, clock: Clock, metrics: Metrics) {
    this.#limiter = limiter;
    this.#clock = clock;
    this.#metrics = metrics;
  }

  /** One admission of the per-second rate limit; throws RateLimitedError with the exact wait. */
  async admit(tenant: QuotaSubject): Promise<LimitDecision> {
    const decision = await this.#limiter.tryAcquire(tenant.tenantId, tenant.quota.rateLimitPerSecond, this.#clock.now());
    if (!decision.allowed) {
      this.#metrics.rateLimited.inc({ tenant_id: tenant.tenantId });
      throw new RateLimitedError(tenant.tenantId, tenant.quota.rateLimitPerSecond, decision.retryAfterMs);
    }
    return decision;
  }

  /** Reserves a slot, memory and CPU and counts one hourly start; the caller must release it. */
  startTask(tenant: QuotaSubject, request: ResourceRequest = DEFAULT_RESOURCE_REQUEST): Reservation {
    const { tenantId, quota } = tenant;
    const now = this.#clock.now();
    const hourly = this.hourly.peek(tenantId, quota.maxTasksPerHour, now);
    if (!hourly.allowed) throw this.#refused(tenantId, "hourly", new QuotaExceededError(tenantId, "tasks per hour", quota.maxTasksPerHour, hourly.retryAfterMs));
    const reservation = this.ledger.tryReserve(tenantId, quota, request);
    if (reservation === "concurrent") throw this.#refused(tenantId, "concurrent", new ConcurrentLimitError(tenantId, quota.maxConcurrentTasks));
    if (reservation === "memory") throw this.#refused(tenantId, "memory", new QuotaExceededError(tenantId, "memory (MB)", quota.maxMemoryMb, 1000));
    if (reservation === "cpu") throw this.#refused(tenantId, "cpu", new QuotaExceededError(tenantId, "CPU (%)", quota.maxCpuPercent, 1000));
    this.hourly.tryAcquire(tenantId, quota.maxTasksPerHour, now);
    const gauge = this.#metrics.forTenant(tenantId).activeTasks;
    gauge.inc();
    let released = false;
    return {
      tenantId,
      request: reservation.request,
      release: () => {
        if (released) return;
        released = true;
        reservation.release();
        gauge.dec();
      },
    };
  }

  /** Whether one more request or task would be admitted now, without taking anything. */
  async check(tenant: QuotaSubject, kind: QuotaKind, request: ResourceRequest = DEFAULT_RESOURCE_REQUEST): Promise<boolean> {
    const { tenantId, quota } = tenant;
    const usage = this.ledger.usage(tenantId);
    for (const [key, value] of Object.entries(request)) {
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) throw new ValidationError([{ path: `request.${key}`, message: `must be a non-negative number, got ${JSON.stringify(value)}` }]);
    }
    switch (kind) {
      case "concurrent":
        return usage.tasks + 1 <= quota.maxConcurrentTasks;
      case "memory":
        return usage.memoryMb + request.memoryMb <= quota.maxMemoryMb;
      case "cpu":
        return usage.cpuPercent + request.cpuPercent <= quota.maxCpuPercent;
      case "rate_limit":
        return (await this.#limiter.peek(tenantId, quota.rateLimitPerSecond, this.#clock.now())).allowed;
      case "hourly":
        return this.hourly.peek(tenantId, quota.maxTasksPerHour, this.#clock.now()).allowed;
      default:
        throw new ValidationError([{ path: "quotaType", message: `must be one of ${QUOTA_KINDS.join(", ")}, got ${JSON.stringify(kind)}` }]);
    }
  }

  async forget(tenantId: string): Promise<void> {
    await this.#limiter.forget(tenantId);
    this.hourly.forget(tenantId);
  }

  #refused<E extends Error>(tenantId: string, quota: string, error: E): E {
    this.#metrics.quotaRefusals.inc({ tenant_id: tenantId, quota });
    return error;
  }
}
