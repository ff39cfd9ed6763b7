// Runs examples/approval-flow.yaml and examples/loop-and-branch.yaml through the library with the
// built-in step types only, and checks which steps ran, which were skipped, and what came out.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { ExecutionDetails } from "synergymesh";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

function example(name: string): string {
  return readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8");
}

/** Resolves once the step is `waiting` (an event-loop turn between reads, no sleep). */
function stepWaiting(t: TestOrchestrator, executionId: string, stepId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = async () => {
      const execution = await t.orch.getExecution(executionId);
      if (execution.steps.find((s) => s.stepId === stepId)?.status === "waiting") resolve();
      else if (execution.finishedAt !== null) reject(new Error(`execution ended ${execution.status} before ${stepId} waited`));
      else setImmediate(() => void check().catch(reject));
    };
    void check().catch(reject);
  });
}

function byStep(done: ExecutionDetails) {
  return Object.fromEntries(done.steps.map((s) => [s.stepId, s]));
}

test("examples/approval-flow.yaml: approved, rejected, and below the threshold", async () => {
  const t = await openTestOrchestrator("sqlite");
  try {
    const { workflowId } = await t.orch.registerWorkflow(example("approval-flow.yaml"));
    assert.equal(workflowId, "approval-flow");

    // Above the threshold: the approval waits; a manager approves; fulfil runs.
    const big = await t.orch.startExecution(workflowId, { order_id: "A-1", amount: 5000 });
    await stepWaiting(t, big.executionId, "manager_approval");
    const waiting = byStep(await t.orch.getExecution(big.executionId));
    assert.equal((waiting.manager_approval?.output as { message?: string }).message, "Order A-1 for 5000 needs a manager's approval");
    await t.orch.decideApproval(big.executionId, "manager_approval", { approved: true, userId: "maria", comment: "ok" });
    const approved = await t.orch.waitForExecution(big.executionId);
    const a = byStep(approved);
    assert.equal(approved.status, "completed");
    assert.deepEqual(a.route?.output, { matched: 0, value: null, branch: "manager_approval" });
    assert.deepEqual(a.manager_approval?.output, { approved: true, decided_by: "maria", comment: "ok", decided_at: t.clock.now() });
    assert.deepEqual(a.fulfil?.output, { matched: 0, value: { order_id: "A-1", approval: "manager" }, branch: null });
    assert.deepEqual([a.record_rejection?.status, a.record_rejection?.error], ["skipped", "skipped: not reached"]);
    assert.deepEqual(approved.output, { fulfil: a.fulfil?.output }, "the output holds the completed steps that nothing follows");

    // Rejected: the approval fails, continue_on_error keeps the execution going, on_failure runs.
    const refused = await t.orch.startExecution(workflowId, { order_id: "A-2", amount: 2500 });
    await stepWaiting(t, refused.executionId, "manager_approval");
    await t.orch.decideApproval(refused.executionId, "manager_approval", { approved: false, userId: "maria", comment: "over budget" });
    const rejected = await t.orch.waitForExecution(refused.executionId);
    const r = byStep(rejected);
    assert.equal(rejected.status, "completed");
    assert.deepEqual([r.manager_approval?.status, r.manager_approval?.error], ["failed", "rejected by maria: over budget"]);
    assert.deepEqual(r.record_rejection?.output, { matched: null, value: { order_id: "A-2", outcome: "rejected" }, branch: null });
    assert.equal(r.fulfil?.status, "skipped");

    // Below the threshold: the route's default branches straight to fulfil; no approval is asked.
    const small = await t.orch.startExecution(workflowId, { order_id: "A-3", amount: 20 });
    const automatic = await t.orch.waitForExecution(small.executionId);
    const s = byStep(automatic);
    assert.equal(automatic.status, "completed");
    assert.deepEqual(s.route?.output, { matched: null, value: null, branch: "fulfil" });
    assert.deepEqual(s.fulfil?.output, { matched: null, value: { order_id: "A-3", approval: "automatic" }, branch: null });
    assert.deepEqual([s.manager_approval?.status, s.record_rejection?.status], ["skipped", "skipped"]);
  } finally {
    await t.dispose();
  }
});

test("examples/loop-and-branch.yaml: the loop labels every item and the condition picks one path", async () => {
  const t = await openTestOrchestrator("sqlite");
  try {
    const { workflowId } = await t.orch.registerWorkflow(example("loop-and-branch.yaml"));
    const items = [
      { sku: "pen", qty: 3 },
      { sku: "ink", qty: 1 },
      { sku: "pad", qty: 12 },
    ];

    const many = await t.orch.startExecution(workflowId, { items });
    const bulk = await t.orch.waitForExecution(many.executionId);
    const b = byStep(bulk);
    assert.equal(bulk.status, "completed");
    assert.deepEqual(b.label_items?.output, {
      count: 3,
      results: items.map((item, line) => ({ matched: 0, value: { line, ...item }, branch: null })),
    });
    assert.deepEqual(b.route?.output, { result: true, branch: "bulk" });
    assert.deepEqual(b.bulk?.output, {
      results: [
        { matched: 0, value: "reserve the whole batch", branch: null },
        { matched: 0, value: "book one pallet", branch: null },
      ],
    });
    assert.deepEqual([b.single?.status, b.single?.error], ["skipped", "skipped: not reached"]);
    assert.deepEqual(bulk.output, { summary: { matched: 0, value: { path: "bulk", items: 3 }, branch: null } });

    const one = await t.orch.startExecution(workflowId, { items: [{ sku: "pen", qty: 1 }] });
    const single = await t.orch.waitForExecution(one.executionId);
    const s = byStep(single);
    assert.equal(single.status, "completed");
    assert.deepEqual(s.route?.output, { result: false, branch: "single" });
    assert.equal(s.bulk?.status, "skipped");
    assert.deepEqual(s.single?.output, { matched: 0, value: "ship as a parcel", branch: null });
    assert.deepEqual(single.output, { summary: { matched: null, value: { path: "single", items: 1 }, branch: null } });
  } finally {
    await t.dispose();
  }
});
