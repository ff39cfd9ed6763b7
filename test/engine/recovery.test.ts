// Leases, fencing and lost attempts, with real databases: a node that lost its lease cannot
// commit; a step whose attempts keep dying fails as crashed; ready steps really run in parallel.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { Orchestrator } from "synergymesh";
import { DIALECTS, FakeClock, rawQuery, tempDatabase, tempSqliteDatabase } from "synergymesh/testing";
import { createAuditSealer } from "../../src/audit/audit-chain.js";
import { WorkflowPlan } from "../../src/engine/workflow-plan.js";
import { openStore } from "../../src/store/open-store.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { parseDefinition } from "../../src/workflow/parse-definition.js";

for (const dialect of DIALECTS) {
  test(`${dialect}: a node whose lease expired cannot commit; the node that took the task over can`, async () => {
    const db = await tempDatabase(dialect);
    const store = await openStore({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), sealer: createAuditSealer(randomBytes(32)) });
    try {
      const definition = parseDefinition({ name: "one", steps: [{ id: "a", type: "noop" }] });
      await store.engine.saveWorkflow({ tenantId: "default", workflowId: "one", name: "one", definition: JSON.stringify(definition), hash: "h", now: 0, audit: [] });
      const plan = new WorkflowPlan(definition);
      const step = { stepExecutionId: "se-1", executionId: "ex-1", tenantId: "default", stepId: "a", status: "pending" as const, attempts: 0, failures: 0, lost: 0, output: null, error: null, startedAt: null, finishedAt: null };
      await store.engine.createExecution({
        execution: { executionId: "ex-1", tenantId: "default", workflowId: "one", version: 1, status: "pending", input: {}, output: null, error: null, priority: 5, createdAt: 0, startedAt: null, finishedAt: null, deadlineAt: null, idempotencyKey: null },
        steps: [step],
        tasks: plan.initialTasks(0, 5),
        logs: [],
        audit: [],
      });
      const [byA] = await store.engine.claimTasks("node-a", 10, 1010, 10);
      assert.ok(byA);
      assert.deepEqual(await store.engine.claimTasks("node-b", 500, 1500, 10), [], "the lease holds until it expires");
      const [byB] = await store.engine.claimTasks("node-b", 1010, 2010, 10);
      assert.ok(byB, "after expiry another node takes the task over");
      assert.equal(byB.fence, byA.fence + 1);
      assert.equal(byB.step.lost, 1, "the first attempt counts as lost");
      assert.equal(byB.step.failures, 0, "a lost attempt is not a failure: the idempotency key stays the same");
      const decide = (snapshot: Parameters<typeof plan.onOutcome>[0], c: { stepId: string }) => plan.onOutcome(snapshot, c.stepId, { kind: "completed", output: { by: "someone" } }, 1100);
      const late = await store.engine.completeTasks("node-a", [{ taskId: byA.taskId, fence: byA.fence, executionId: "ex-1", stepId: "a" }], decide);
      assert.equal(late.stale.length, 1, "node A's commit is refused by the fence");
      assert.equal((await store.engine.getExecution("default", "ex-1"))?.status, "running");
      const onTime = await store.engine.completeTasks("node-b", [{ taskId: byB.taskId, fence: byB.fence, executionId: "ex-1", stepId: "a" }], decide);
      assert.equal(onTime.applied.length, 1);
      assert.equal((await store.engine.getExecution("default", "ex-1"))?.status, "completed");
    } finally {
      await store.close();
      await db.cleanup();
    }
  });
  test(`${dialect}: a completion sees what another connection committed since this one last wrote the execution`, async () => {
    const db = await tempDatabase(dialect);
    const open = () => openStore({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), sealer: createAuditSealer(randomBytes(32)) });
    const [a, b] = [await open(), await open()];
    try {
      const definition = parseDefinition({ name: "two", steps: [{ id: "first", type: "noop" }, { id: "second", type: "noop", depends_on: ["first"] }] });
      await a.engine.saveWorkflow({ tenantId: "default", workflowId: "two", name: "two", definition: JSON.stringify(definition), hash: "h", now: 0, audit: [] });
      const plan = new WorkflowPlan(definition);
      const row = (stepId: string) => ({ stepExecutionId: `se-${stepId}`, executionId: "ex-2", tenantId: "default", stepId, status: "pending" as const, attempts: 0, failures: 0, lost: 0, output: null, error: null, startedAt: null, finishedAt: null });
      await a.engine.createExecution({
        execution: { executionId: "ex-2", tenantId: "default", workflowId: "two", version: 1, status: "pending", input: {}, output: null, error: null, priority: 5, createdAt: 0, startedAt: null, finishedAt: null, deadlineAt: null, idempotencyKey: null },
        steps: [row("first"), row("second")],
        tasks: plan.initialTasks(0, 5),
        logs: [],
        audit: [],
      });
      const decide = (snapshot: Parameters<typeof plan.onOutcome>[0], c: { stepId: string }) => plan.onOutcome(snapshot, c.stepId, { kind: "completed", output: c.stepId }, 20);
      const [first] = await a.engine.claimTasks("node-a", 10, 100_000, 10);
      assert.ok(first);
      // The completion leases `second` to node A at once; A now holds the execution in memory.
      const done = await a.engine.completeTasks("node-a", [{ taskId: first.taskId, fence: first.fence, executionId: "ex-2", stepId: "first" }], decide, { nodeId: "node-a", now: 20, leaseExpiresAt: 100_000, max: 10 });
      const second = done.claimed[0];
      assert.equal(second?.stepId, "second");
      // Another connection pauses the execution.
      const paused = await b.engine.updateExecution("default", "ex-2", (snapshot) => plan.pause(snapshot, 30));
      assert.equal(paused.found, true);
      await a.engine.completeTasks("node-a", [{ taskId: second.taskId, fence: second.fence, executionId: "ex-2", stepId: "second" }], decide);
      const execution = await a.engine.getExecution("default", "ex-2");
      assert.equal(execution?.status, "paused", "node A decided on the paused execution, not on what it held in memory");
      const steps = await a.engine.getSteps("default", "ex-2");
      assert.deepEqual(steps.map((s) => [s.stepId, s.status, s.attempts]), [["first", "completed", 1], ["second", "completed", 1]]);
    } finally {
      await a.close();
      await b.close();
      await db.cleanup();
    }
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: a cancel committed by another node reaches the running step through its lease renewal`, async () => {
    const db = await tempDatabase(dialect);
    const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
    const at = { database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys };
    const worker = await Orchestrator.open({ ...at, nodeId: "worker-node", leaseMs: 300 });
    const controller = await Orchestrator.open({ ...at, nodeId: "control-node", startWorkers: false });
    let keepAlive: NodeJS.Timeout | undefined;
    try {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      const aborted = new Promise<unknown>((resolve) => {
        worker.registerStepExecutor({
          type: "long",
          execute: (ctx) =>
            new Promise((_, reject) => {
              started();
              ctx.signal.addEventListener("abort", () => {
                resolve(ctx.signal.reason);
                reject(ctx.signal.reason);
              });
            }),
        });
      });
      controller.registerStepExecutor({ type: "long", execute: () => null });
      await worker.registerWorkflow({ id: "long", name: "long", steps: [{ id: "l", type: "long" }] });
      const { executionId } = await worker.startExecution("long");
      await running;
      // The step waits on nothing that keeps the process alive (the engine's timers are unref'd).
      keepAlive = setInterval(() => {}, 1000);
      const cancelled = await controller.cancelExecution(executionId, { userId: "ops" });
      assert.equal(cancelled.status, "cancelled");
      const reason = await aborted;
      assert.match(String((reason as Error).message), /cancelled or taken over by another node/);
      await worker.close();
      const final = await controller.getExecution(executionId);
      assert.equal(final.status, "cancelled");
      assert.equal(final.steps[0]?.status, "cancelled", "the aborted attempt's outcome did not overwrite the cancel");
    } finally {
      clearInterval(keepAlive);
      await worker.close();
      await controller.close();
      await db.cleanup();
    }
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: waitForExecution on one node sees an end committed by another`, async () => {
    const db = await tempDatabase(dialect);
    const at = { database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32) };
    // Only the runner runs steps (found by its poll); the watcher hears nothing of them in process.
    const runner = await Orchestrator.open({ ...at, nodeId: "runner-node", pollMs: 20 });
    const watcher = await Orchestrator.open({ ...at, nodeId: "watcher-node", startWorkers: false, pollMs: 20 });
    try {
      runner.registerStepExecutor({ type: "noop", execute: () => "done" });
      watcher.registerStepExecutor({ type: "noop", execute: () => "done" });
      await watcher.registerWorkflow({ id: "elsewhere", name: "elsewhere", steps: [{ id: "n", type: "noop" }] });
      const { executionId } = await watcher.startExecution("elsewhere");
      const seen = await watcher.waitForExecution(executionId);
      assert.equal(seen.status, "completed");
      assert.equal(seen.steps[0]?.output, "done");
    } finally {
      await runner.close();
      await watcher.close();
      await db.cleanup();
    }
  });
}

test("a step whose attempts keep dying with their worker fails as crashed after the configured count", async () => {
  const db = tempSqliteDatabase();
  const clock = new FakeClock();
  try {
    const submitter = await Orchestrator.open({ database: db.database, logger: silentLogger, clock, startWorkers: false });
    submitter.registerStepExecutor({ type: "poison", execute: () => "never reached" });
    await submitter.registerWorkflow({ id: "poisoned", name: "poisoned", steps: [{ id: "p", type: "poison" }] });
    const { executionId } = await submitter.startExecution("poisoned");
    await submitter.close();
    // Two earlier workers claimed the step and died with it (as a kill -9 would leave it).
    await rawQuery(db, "UPDATE step_executions SET status = 'running', lost = 1, attempts = 2 WHERE execution_id = $1", [executionId]);
    const worker = await Orchestrator.open({ database: db.database, logger: silentLogger, clock, maxLostAttempts: 2 });
    let ran = false;
    worker.registerStepExecutor({ type: "poison", execute: () => (ran = true) });
    try {
      const done = await worker.waitForExecution(executionId);
      assert.equal(done.status, "failed");
      assert.equal(done.steps[0]?.status, "failed");
      assert.match(done.steps[0]?.error ?? "", /^crashed: 2 attempts were lost/);
      assert.equal(ran, false, "the poison step is not run a third time");
    } finally {
      await worker.close();
    }
  } finally {
    await db.cleanup();
  }
});

test("ready steps overlap: ten parallel 200 ms waits finish in under 600 ms", async () => {
  const db = tempSqliteDatabase();
  const orch = await Orchestrator.open({ database: db.database, logger: silentLogger, concurrency: 10 });
  try {
    await orch.registerWorkflow({
      id: "overlap",
      name: "overlap",
      steps: [{ id: "start", type: "wait", config: { duration: "0s" } }, ...Array.from({ length: 10 }, (_, i) => ({ id: `w${i}`, type: "wait", depends_on: ["start"], config: { duration: "200ms" } }))],
    });
    const started = performance.now();
    const { executionId } = await orch.startExecution("overlap");
    const done = await orch.waitForExecution(executionId);
    const elapsed = performance.now() - started;
    assert.equal(done.status, "completed");
    assert.ok(elapsed < 600, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(elapsed >= 200, "and they did wait");
  } finally {
    await orch.close();
    await db.cleanup();
  }
});

test("closing a node hands its running steps back instead of failing them", async () => {
  const db = tempSqliteDatabase();
  try {
    const first = await Orchestrator.open({ database: db.database, logger: silentLogger, nodeId: "closing-node" });
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    first.registerStepExecutor({ type: "long", execute: (ctx) => new Promise((_, reject) => {
      started();
      ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason));
    }) });
    await first.registerWorkflow({ id: "handover", name: "handover", steps: [{ id: "l", type: "long" }] });
    const { executionId } = await first.startExecution("handover");
    await running;
    await first.close();
    const second = await Orchestrator.open({ database: db.database, logger: silentLogger, nodeId: "closing-node" });
    const keys: string[] = [];
    second.registerStepExecutor({ type: "long", execute: (ctx) => void keys.push(ctx.idempotencyKey) });
    try {
      const done = await second.waitForExecution(executionId);
      assert.equal(done.status, "completed", "the step ran again instead of failing at shutdown");
      assert.equal(done.steps[0]?.lost, 1, "the interrupted attempt counts as lost");
      assert.deepEqual(keys, [`${executionId}:l:0`], "and keeps its idempotency key");
    } finally {
      await second.close();
    }
  } finally {
    await db.cleanup();
  }
});
