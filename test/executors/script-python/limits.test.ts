// Python scripts end at their time limit and on cancellation: the worker is terminated.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { StepContext } from "../../../src/engine/step-executor.js";
import { createScriptExecutor } from "../../../src/executors/script/script-executor.js";
import { pythonSuite } from "./python-suite.js";

describe("script step, runtime: python: limits", () => {
  const s = pythonSuite(0);
  let t: typeof s.t;
  const { run } = s;
  before(async () => {
    await s.open();
    t = s.t;
  });
  after(async () => {
    await t.dispose();
  });

  test("a script past its time limit is ended by terminating its worker", async () => {
    const { step } = await run({ id: "spin", config: { runtime: "python", timeout: "1s", code: "while True:\n    pass\n" } });
    assert.equal(step.status, "failed");
    assert.equal(step.error, "the script ran past its time limit of 1000 ms; its worker was terminated");
  });

  test("cancelling the execution terminates the running script", async () => {
    // Step logs are committed with the step's end, so the script's first line is watched here as it arrives.
    const scripts = createScriptExecutor({ python: { warmWorkers: 0 } });
    let spinning!: () => void;
    const started = new Promise<void>((resolve) => (spinning = resolve));
    t.orch.registerStepExecutor({ type: "python_watched", execute: (ctx: StepContext) => scripts.execute({ ...ctx, log: (level, message, data) => (message === "spinning" ? spinning() : ctx.log(level, message, data)) }) });
    try {
      const { workflowId } = await t.orch.registerWorkflow({ name: "python-cancel", steps: [{ id: "spin", type: "python_watched", config: { runtime: "python", code: "print('spinning', flush=True)\nwhile True:\n    pass\n" } }] });
      const { executionId } = await t.orch.startExecution(workflowId, {});
      await started;
      const cancelledAt = performance.now();
      await t.orch.cancelExecution(executionId);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.steps[0]?.status, "cancelled");
      assert.ok(performance.now() - cancelledAt < 20_000, "the worker was terminated, not waited for");
    } finally {
      await scripts.close();
    }
  });
});
