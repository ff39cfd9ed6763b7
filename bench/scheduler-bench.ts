// Noisy-neighbour benchmark (scheduling issue): tenant A queues 20,000 one-step executions, more
// than the workers can run at once, then tenant B (same tier, same raised quota) runs executions
// one at a time. B's queue wait (through a claim) and start latency are compared with B alone.
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

/**
 * Two measures of B, each over 20 one-step executions run one at a time:
 * - start: B starts on the worker node. Start latency (the call to the step running) and the
 *   commit-to-running wait, which is 0 when the start's own commit leased the step (claim-on-commit).
 * - queue wait: B starts on the submitter node, which runs no workers, so every B task is ready in
 *   the queue and only a claim of the worker can lease it: ready (the start committed) to the step
 *   running on the worker. This is the wait that fair share decides, in both phases.
 */
export interface Latencies {
  /** Ready (committed by the submitter) to running on the worker, through a claim. */
  queueP50Ms: number;
  queueP99Ms: number;
  /** Start call on the worker to the step running. */
  startP50Ms: number;
  startP99Ms: number;
  /** Of B's starts on the worker, how many were leased by their own commit (the rest waited in the queue). */
  leasedOnCommit: number;
  /** Start committed to running, for B's starts on the worker (0 when leased on commit). */
  commitWaitP99Ms: number;
}

const RAISED = { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000, maxMemoryMb: 1_000_000_000, maxCpuPercent: 1_000_000_000 };
const BACKLOG = 20_000;
const SAMPLES = 20;
const WORKERS = 32;
/** Each step takes a little while, as real work does, so the backlog outlasts B's runs. */
const STEP_MS = 5;
/** The worker looks for work that another node queued this often (B's queue-wait runs). */
const POLL_MS = 10;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function sorted(values: number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

async function open(db: TestDatabase, keys: Pick<OrchestratorOptions, "auditKey" | "masterKey">, options: OrchestratorOptions): Promise<Orchestrator> {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys, ...options });
  orch.registerStepExecutor({ type: "work", execute: () => new Promise((resolve) => setTimeout(() => resolve(null), STEP_MS)) });
  return orch;
}

/**
 * One B execution started on `starter` and run by `worker`: the start call, the start's commit
 * (its promise resolved) and the step running on the worker, in performance.now() milliseconds.
 * `leasedOnCommit`: the step was dispatched before the start call returned, i.e. by its own commit.
 */
async function runOne(starter: Orchestrator, worker: Orchestrator, tenantId: string): Promise<{ startMs: number; waitMs: number; leasedOnCommit: boolean }> {
  let executionId = "";
  const early: Array<{ id: string; at: number }> = [];
  let resolveStep!: (at: number) => void;
  const stepped = new Promise<number>((resolve) => (resolveStep = resolve));
  const onStep = (e: { executionId: string }) => {
    const at = performance.now();
    if (executionId === "") early.push({ id: e.executionId, at });
    else if (e.executionId === executionId) resolveStep(at);
  };
  worker.events.on("step.started", onStep);
  try {
    const t0 = performance.now();
    const started = await starter.startExecution("one", {}, { tenantId });
    const committedAt = performance.now();
    executionId = started.executionId;
    const before = early.find((e) => e.id === executionId);
    if (before) resolveStep(before.at);
    const stepAt = await stepped;
    // The worker sees the end as an event; the submitter would only find it at its next poll.
    const done = await worker.waitForExecution(executionId, { tenantId });
    if (done.status !== "completed") throw new Error(`B's execution ${executionId} ${done.status}: ${done.error}`);
    return { startMs: stepAt - t0, waitMs: Math.max(0, stepAt - committedAt), leasedOnCommit: before !== undefined || stepAt - committedAt < 0.05 };
  } finally {
    worker.events.off("step.started", onStep);
  }
}

/** B's 20 starts on the worker and 20 on the submitter (queue wait), one at a time. */
async function runB(submitter: Orchestrator, worker: Orchestrator, tenantId: string): Promise<Latencies> {
  const start: number[] = [];
  const commitWait: number[] = [];
  let leasedOnCommit = 0;
  const queue: number[] = [];
  // Interleaved, so both measures see the same backlog.
  for (let i = 0; i < SAMPLES; i++) {
    const r = await runOne(worker, worker, tenantId);
    start.push(r.startMs);
    commitWait.push(r.waitMs);
    if (r.leasedOnCommit) leasedOnCommit += 1;
    queue.push((await runOne(submitter, worker, tenantId)).waitMs);
  }
  const q = sorted(queue);
  const s = sorted(start);
  return { queueP50Ms: percentile(q, 50), queueP99Ms: percentile(q, 99), startP50Ms: percentile(s, 50), startP99Ms: percentile(s, 99), leasedOnCommit, commitWaitP99Ms: percentile(sorted(commitWait), 99) };
}

function describe(l: Latencies): string {
  return `queue wait (ready -> claimed and running) p50 ${l.queueP50Ms.toFixed(2)} / p99 ${l.queueP99Ms.toFixed(2)} ms; start p50 ${l.startP50Ms.toFixed(2)} / p99 ${l.startP99Ms.toFixed(2)} ms (${l.leasedOnCommit}/${SAMPLES} leased by their own commit, commit -> running p99 ${l.commitWaitP99Ms.toFixed(2)} ms)`;
}

export async function schedulerBench(label: string, db: TestDatabase): Promise<SchedulerFigures> {
  const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
  const submitter = await open(db, keys, { nodeId: "submitter", startWorkers: false });
  let worker: Orchestrator | undefined;
  // The engine's poll timers do not keep the process alive; while B waits for a poll, this does.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    const a = await submitter.createTenant("Noisy", TenantTier.PROFESSIONAL);
    const b = await submitter.createTenant("Quiet", TenantTier.PROFESSIONAL);
    for (const tenantId of [a, b]) {
      await submitter.modifyQuota(tenantId, RAISED);
      await submitter.registerWorkflow({ id: "one", name: "one", steps: [{ id: "s", type: "work" }] }, { tenantId, status: "active" });
    }
    worker = await open(db, keys, { nodeId: "worker", concurrency: WORKERS, pollMs: POLL_MS });
    await runB(submitter, worker, b); // warm-up
    const alone = await runB(submitter, worker, b);
    await worker.close();

    // A's backlog is queued while no worker runs, then the worker starts draining it.
    for (let i = 0; i < BACKLOG; i += 1000) await Promise.all(Array.from({ length: 1000 }, () => submitter.startExecution("one", {}, { tenantId: a })));
    worker = await open(db, keys, { nodeId: "worker", concurrency: WORKERS, pollMs: POLL_MS });
    const contended = await runB(submitter, worker, b);
    const backlogLeft = (await submitter.listExecutions(a, { status: "pending", limit: BACKLOG })).length;
    console.log(`${label} (${WORKERS} workers, ${STEP_MS} ms steps, worker poll ${POLL_MS} ms):`);
    console.log(`  B alone: ${describe(alone)}`);
    console.log(`  B beside A's backlog of ${BACKLOG.toLocaleString("en")} (${backlogLeft.toLocaleString("en")} still queued after B's runs): ${describe(contended)}`);
    if (backlogLeft === 0) throw new Error("A's backlog drained before B's runs ended: the figures do not measure contention");
    return { alone, contended, backlogLeft };
  } finally {
    clearInterval(keepAlive);
    await worker?.close();
    await submitter.close();
    await db.cleanup();
  }
}
