// Prometheus metrics, one registry per orchestrator (never the global one). Names follow seed 001
// (`orchestrator_*`); labels come from bounded sets only (tenant, workflow, status), never ids of
// executions or attempts.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** One tenant's metric children, bound once: prom-client hashes a label object on every call otherwise. */
export interface TenantMetrics {
  activeTasks: { inc(): void; dec(): void };
  tasks: Record<"success" | "failed" | "timeout", { inc(): void }>;
  taskDuration: { observe(seconds: number): void };
  retries: { inc(n: number): void };
}

export class Metrics {
  readonly registry = new Registry();
  readonly executionsTotal = new Counter({ name: "orchestrator_executions_total", help: "Total number of workflow executions", labelNames: ["workflow_id", "status"], registers: [this.registry] });
  readonly executionDuration = new Histogram({
    name: "orchestrator_execution_duration_seconds",
    help: "Workflow execution duration",
    labelNames: ["workflow_id"],
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [this.registry],
  });
  /** Read from the store at scrape time (see `countActiveExecutionsWith`), so restarts and other nodes count. */
  readonly activeExecutions: Gauge;
  /** Where the active-executions gauge reads its value when scraped. */
  #activeSource: { count?: () => Promise<number> } = {};
  readonly tasksTotal = new Counter({ name: "orchestrator_tasks_total", help: "executeWithRetry calls by final status", labelNames: ["tenant_id", "status"], registers: [this.registry] });
  readonly taskDuration = new Histogram({
    name: "orchestrator_task_duration_seconds",
    help: "executeWithRetry duration, retries included",
    labelNames: ["tenant_id"],
    buckets: [0.001, 0.005, 0.025, 0.1, 0.5, 1, 5, 30, 120],
    registers: [this.registry],
  });
  readonly retriesTotal = new Counter({ name: "orchestrator_retries_total", help: "Retry attempts", labelNames: ["tenant_id"], registers: [this.registry] });
  readonly activeTasks = new Gauge({ name: "orchestrator_active_tasks", help: "Tasks holding a concurrency slot", labelNames: ["tenant_id"], registers: [this.registry] });
  readonly rateLimited = new Counter({ name: "orchestrator_rate_limited_total", help: "Requests refused by the per-second rate limit", labelNames: ["tenant_id"], registers: [this.registry] });
  readonly quotaRefusals = new Counter({ name: "orchestrator_quota_refusals_total", help: "Refusals by quota", labelNames: ["tenant_id", "quota"], registers: [this.registry] });
  readonly tokensTotal = new Counter({ name: "orchestrator_llm_tokens_total", help: "LLM tokens recorded", labelNames: ["tenant_id", "direction"], registers: [this.registry] });

  #tenants = new Map<string, TenantMetrics>();

  /** The tenant's bound metric children (tenant ids are a bounded label set: SPEC D). */
  forTenant(tenantId: string): TenantMetrics {
    let m = this.#tenants.get(tenantId);
    if (!m) {
      m = {
        activeTasks: this.activeTasks.labels(tenantId),
        tasks: { success: this.tasksTotal.labels(tenantId, "success"), failed: this.tasksTotal.labels(tenantId, "failed"), timeout: this.tasksTotal.labels(tenantId, "timeout") },
        taskDuration: this.taskDuration.labels(tenantId),
        retries: this.retriesTotal.labels(tenantId),
      };
      this.#tenants.set(tenantId, m);
    }
    return m;
  }

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const source = this.#activeSource;
    this.activeExecutions = new Gauge({
      name: "orchestrator_active_executions",
      help: "Number of currently active executions",
      registers: [this.registry],
      async collect() {
        if (source.count) this.set(await source.count());
      },
    });
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  countActiveExecutionsWith(count: () => Promise<number>): void {
    this.#activeSource.count = count;
  }

  /** Counts a finished execution under the seed 001 names. */
  executionFinished(workflowId: string, status: string, durationMs: number | undefined): void {
    this.executionsTotal.inc({ workflow_id: workflowId, status });
    if (durationMs !== undefined) this.executionDuration.observe({ workflow_id: workflowId }, durationMs / 1000);
  }

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
