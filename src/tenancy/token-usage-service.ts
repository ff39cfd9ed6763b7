// LLM token accounting per tenant and UTC day (seed 004 `record_token_usage`), with an optional
// daily budget from the tenant's quota: recording, reading, and a budget check before a call.
import type { Clock } from "../core/clock.js";
import { QuotaExceededError, ValidationError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import type { Metrics } from "../telemetry/metrics.js";
import type { TenantService } from "./tenant-service.js";

export interface TokenUsage {
  tenantId: string;
  /** UTC day, `YYYY-MM-DD`. */
  day: string;
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
  /** Null when the tenant has no daily budget. */
  remaining: number | null;
}
export class TokenUsageService {
  #store: Store;
  #clock: Clock;
  #tenants: TenantService;
  #metrics: Metrics;

  constructor(store: Store, clock: Clock, tenants: TenantService, metrics: Metrics) {
    this.#store = store;
    this.#clock = clock;
    this.#tenants = tenants;
    this.#metrics = metrics;
  }

  async record(tenantId: string, inputTokens: number, outputTokens: number): Promise<TokenUsage> {
    const issues = [
      ...(Number.isInteger(inputTokens) && inputTokens >= 0 ? [] : [{ path: "inputTokens", message: "must be a non-negative integer" }]),
      ...(Number.isInteger(outputTokens) && outputTokens >= 0 ? [] : [{ path: "outputTokens", message: "must be a non-negative integer" }]),
    ];
    if (issues.length) throw new ValidationError(issues);
    const tenant = await this.#tenants.getActiveRow(tenantId);
    const row = await this.#store.addTokenUsage(tenantId, this.#today(), inputTokens, outputTokens);
    this.#metrics.tokensTotal.inc({ tenant_id: tenantId, direction: "input" }, inputTokens);
    this.#metrics.tokensTotal.inc({ tenant_id: tenantId, direction: "output" }, outputTokens);
    return tokenUsage(row, tenant.quota.maxTokensPerDay);
  }

  async get(tenantId: string): Promise<TokenUsage> {
    const tenant = await this.#tenants.getRow(tenantId);
    return tokenUsage(await this.#store.getTokenUsage(tenantId, this.#today()), tenant.quota.maxTokensPerDay);
  }

  async checkBudget(tenantId: string, estimatedTokens = 0): Promise<TokenUsage> {
    if (!Number.isFinite(estimatedTokens) || estimatedTokens < 0) throw new ValidationError([{ path: "estimatedTokens", message: "must be a non-negative number" }]);
    const tenant = await this.#tenants.getActiveRow(tenantId);
    const usage = tokenUsage(await this.#store.getTokenUsage(tenantId, this.#today()), tenant.quota.maxTokensPerDay);
    if (usage.remaining !== null && (usage.remaining === 0 || usage.remaining < estimatedTokens)) {
      const now = this.#clock.now();
      const nextDay = (Math.floor(now / 86_400_000) + 1) * 86_400_000;
      this.#metrics.quotaRefusals.inc({ tenant_id: tenantId, quota: "tokens" });
      throw new QuotaExceededError(tenantId, "LLM tokens per day", tenant.quota.maxTokensPerDay ?? 0, nextDay - now);
    }
    return usage;
  }

  #today(): string {
    return new Date(this.#clock.now()).toISOString().slice(0, 10);
  }
}

function tokenUsage(row: { tenantId: string; day: string; inputTokens: number; outputTokens: number }, budget: number | null): TokenUsage {
  const totalTokens = row.inputTokens + row.outputTokens;
  return { ...row, totalTokens, remaining: budget === null ? null : Math.max(0, budget - totalTokens) };
}
