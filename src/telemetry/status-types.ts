// The shapes of the orchestrator's status answers: seed 000's metrics and tenant health, and the
// scheduler status behind `/api/v1/scheduler/status`.
import type { ResourceQuota } from "../tenancy/tiers.js";

/** Seed 000 `get_metrics()`, in camelCase. */
export interface OrchestratorMetrics {
  totalExecutions: number;
  successfulExecutions: number;
  /** Failed and timed-out executions. */
  failedExecutions: number;
  /** Percent, 0-100; 0 when nothing ran. */
  successRate: number;
  averageExecutionTimeMs: number;
  totalRetryAttempts: number;
  /** Tasks holding a concurrency slot in this process now. */
  activeTasks: number;
  registeredTenants: number;
}

export interface TenantHealth {
  tenantId: string;
  status: string;
  /** Successful executions as a percent of all (100 when nothing ran yet). */
  uptimePercent: number;
  totalExecutions: number;
  successful: number;
  failed: number;
  timeouts: number;
  retryAttempts: number;
  averageExecutionTimeMs: number;
  activeTasks: number;
  usage: { concurrentTasks: number; memoryMb: number; cpuPercent: number; tasksLastHour: number };
  quota: ResourceQuota;
}

/** `/api/v1/scheduler/status`: this node's workers, the queue per tenant, and leases per node. */
