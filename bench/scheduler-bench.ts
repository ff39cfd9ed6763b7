// Noisy-neighbour benchmark (scheduling issue): tenant A queues 20,000 one-step executions, more
// than the workers can run at once, then tenant B (same tier, same raised quota) starts 20
// executions one at a time. B's queue wait and start latency are compared with B alone.
import { randomBytes } from "node:crypto";
import { Orchestrator, TenantTier } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../src/telemetry/logger.js";

export interface SchedulerFigures {
  alone: Latencies;
  contended: Latencies;
  backlogLeft: number;
}

export interface Latencies {
  queueP50Ms: number;
  queueP99Ms: number;
  startP50Ms: number;
  startP99Ms: number;
}

const RAISED = { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000, maxMemoryMb: 1_000_000_000, maxCpuPercent: 1_000_000_000 };
const BACKLOG = 20_000;
const SAMPLES = 20;
const WORKERS = 32;
/** Each step takes a little while, as real work does, so the backlog outlasts B's runs. */
const STEP_MS = 5;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function summary(queue: number[], start: number[]): Latencies {
  queue.sort((a, b) => a - b);
  start.sort((a, b) => a - b);
  return { queueP50Ms: percentile(queue, 50), queueP99Ms: percentile(queue, 99), startP50Ms: percentile(start, 50), startP99Ms: percentile(start, 99) };
}

async function open(db: TestDatabase, keys: Pick<OrchestratorOptions, "auditKey" | "masterKey">, options: OrchestratorOptions): Promise<Orchestrator> {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys, ...options });
  orch.registerStepExecutor({ type: "work", execute: () => new Promise((resolve) => setTimeout(() => resolve(null), STEP_MS)) });
  return orch;
}

/**
 * B's executions one at a time. Start latency: the start call to the step running on a worker.
 * Queue wait: the start committed (the task is ready in the queue) to the step running; a step
 * leased by the start's own commit waited 0.
 */
async function runB(orch: Orchestrator, tenantId: string): Promise<Latencies> {
  const queue: number[] = [];
  const start: number[] = [];
  for (let i = 0; i < SAMPLES; i++) {
    let executionId = "";
    let stepAt = -1;
    const onStep = (e: { executionId: string }) => {
      if (e.executionId === executionId || executionId === "") stepAt = performance.now();
    };
    orch.events.on("step.started", onStep);
    const t0 = performance.now();
    const started = await orch.startExecution("one", {}, { tenantId });
    const committedAt = performance.now();
    executionId = started.executionId;
    const stepped = stepAt >= 0 ? Promise.resolve() : new Promise<void>((resolve) => orch.events.on("step.started", (e) => e.executionId === executionId && resolve()));
    await stepped;
    if (stepAt < 0) stepAt = performance.now();
    orch.events.off("step.started", onStep);
    start.push(stepAt - t0);
    queue.push(Math.max(0, stepAt - committedAt));
    const done = await orch.waitForExecution(executionId, { tenantId });
    if (done.status !== "completed") throw new Error(`B's execution ${executionId} ${done.status}: ${done.error}`);
  }
  return summary(queue, start);
}

export async function schedulerBench(label: string, db: TestDatabase): Promise<SchedulerFigures> {
  const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
  const submitter = await open(db, keys, { nodeId: "submitter", startWorkers: false });
  let worker: Orchestrator | undefined;
  try {
    const a = await submitter.createTenant("Noisy", TenantTier.PROFESSIONAL);
    const b = await submitter.createTenant("Quiet", TenantTier.PROFESSIONAL);
    for (const tenantId of [a, b]) {
      await submitter.modifyQuota(tenantId, RAISED);
      await submitter.registerWorkflow({ id: "one", name: "one", steps: [{ id: "s", type: "work" }] }, { tenantId, status: "active" });
    }
    worker = await open(db, keys, { nodeId: "worker", concurrency: WORKERS });
    await runB(worker, b); // warm-up
    const alone = await runB(worker, b);
    await worker.close();

    // A's backlog is queued while no worker runs, then the worker starts draining it.
    for (let i = 0; i < BACKLOG; i += 1000) await Promise.all(Array.from({ length: 1000 }, () => submitter.startExecution("one", {}, { tenantId: a })));
    worker = await open(db, keys, { nodeId: "worker", concurrency: WORKERS });
    const contended = await runB(worker, b);
    const backlogLeft = (await submitter.listExecutions(a, { status: "pending", limit: BACKLOG })).length;
    console.log(
      `${label}: B alone: queue wait p50 ${alone.queueP50Ms.toFixed(2)} / p99 ${alone.queueP99Ms.toFixed(2)} ms, start p50 ${alone.startP50Ms.toFixed(2)} / p99 ${alone.startP99Ms.toFixed(2)} ms; ` +
        `B beside A's backlog of ${BACKLOG.toLocaleString("en")} (${backlogLeft.toLocaleString("en")} still queued after B's runs, ${WORKERS} workers, ${STEP_MS} ms steps): ` +
        `queue wait p50 ${contended.queueP50Ms.toFixed(2)} / p99 ${contended.queueP99Ms.toFixed(2)} ms, start p50 ${contended.startP50Ms.toFixed(2)} / p99 ${contended.startP99Ms.toFixed(2)} ms`,
    );
    if (backlogLeft === 0) throw new Error("A's backlog drained before B's runs ended: the figures do not measure contention");
    return { alone, contended, backlogLeft };
  } finally {
    await worker?.close();
    await submitter.close();
    await db.cleanup();
  }
}
