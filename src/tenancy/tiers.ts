// Tenant tiers and their quotas, exactly as seed 000's table gives them (SPEC F1).

export const TenantTier = {
  BASIC: "basic",
  PROFESSIONAL: "professional",
  ENTERPRISE: "enterprise",
} as const;
export type TenantTier = (typeof TenantTier)[keyof typeof TenantTier];
export const TENANT_TIERS: readonly TenantTier[] = Object.values(TenantTier);

export type TenantStatus = "active" | "suspended";

export interface ResourceQuota {
  maxConcurrentTasks: number;
  maxMemoryMb: number;
  maxCpuPercent: number;
  maxTasksPerHour: number;
  rateLimitPerSecond: number;
  /** LLM tokens (input + output) per UTC day; null = no daily budget (seed 004 token accounting). */
  maxTokensPerDay: number | null;
}

export const TIER_QUOTAS: Readonly<Record<TenantTier, Readonly<ResourceQuota>>> = Object.freeze({
  basic: Object.freeze({ maxConcurrentTasks: 5, maxMemoryMb: 512, maxCpuPercent: 50, maxTasksPerHour: 100, rateLimitPerSecond: 10, maxTokensPerDay: null }),
  professional: Object.freeze({ maxConcurrentTasks: 20, maxMemoryMb: 2048, maxCpuPercent: 75, maxTasksPerHour: 5000, rateLimitPerSecond: 100, maxTokensPerDay: null }),
  enterprise: Object.freeze({ maxConcurrentTasks: 100, maxMemoryMb: 8192, maxCpuPercent: 95, maxTasksPerHour: 100_000, rateLimitPerSecond: 1000, maxTokensPerDay: null }),
});

/** Features each tier enables; a higher tier has everything of the lower ones. */
export const TIER_FEATURES: Readonly<Record<TenantTier, readonly string[]>> = Object.freeze({
  basic: ["workflows", "manual_triggers", "webhooks", "audit_logs"],
  professional: ["workflows", "manual_triggers", "webhooks", "audit_logs", "schedules", "events", "llm", "audit_export"],
  enterprise: ["workflows", "manual_triggers", "webhooks", "audit_logs", "schedules", "events", "llm", "audit_export", "custom_executors", "policies", "scale_out"],
});

export interface Tenant {
  tenantId: string;
  tenantName: string;
  tier: TenantTier;
  status: TenantStatus;
  quota: ResourceQuota;
  featuresEnabled: string[];
  createdAt: Date;
  updatedAt: Date;
  /** Set by deleteTenant: the tenant is suspended and kept until purged. */
  deletedAt: Date | null;
}

/** What a step or task reserves while it runs (SPEC D defaults: 128 MB, 10 % CPU). */
export interface ResourceRequest {
  memoryMb: number;
  cpuPercent: number;
}

export const DEFAULT_RESOURCE_REQUEST: Readonly<ResourceRequest> = Object.freeze({ memoryMb: 128, cpuPercent: 10 });
