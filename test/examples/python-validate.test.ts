// examples/python-validate.yaml runs as written: seed 001's validate_data.py in Pyodide.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";

test("examples/python-validate.yaml validates records with validate_data.py and routes on the result", async () => {
  const t = await openTestOrchestrator("sqlite", { scriptRoot: fileURLToPath(new URL("../../examples/", import.meta.url)), python: { warmWorkers: 0 } });
  try {
    const { workflowId } = await t.orch.registerWorkflow(readFileSync(new URL("../../examples/python-validate.yaml", import.meta.url), "utf8"));
    const { executionId } = await t.orch.startExecution(workflowId, { records: [{ id: 1, amount: 10, currency: "EUR" }, { id: 2, amount: -1, currency: "EUR" }, { id: 3 }] });
    const done = await t.orch.waitForExecution(executionId);
    assert.equal(done.status, "completed", done.error ?? "");
    const steps = Object.fromEntries(done.steps.map((s) => [s.stepId, s]));
    assert.deepEqual(steps.validate?.output, {
      valid: false,
      checked: 3,
      problems: [
        { record: 1, problem: "amount must be a non-negative number" },
        { record: 2, problem: "missing amount, currency" },
      ],
    });
    assert.deepEqual((steps.route?.output as { value: unknown }).value, { next: "reject", problems: (steps.validate?.output as { problems: unknown }).problems });
    const logs = await t.orch.getExecutionLogs(executionId, { stepId: "validate" });
    assert.ok(logs.some((l) => l.level === "info" && l.message === "checked 3 records, 2 problems"), JSON.stringify(logs.map((l) => l.message)));
  } finally {
    await t.dispose();
  }
});
