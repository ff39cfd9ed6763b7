// examples/script-transform.yaml runs as written: two script steps, a function body and a module.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import { createScriptExecutor } from "../../src/executors/script/script-executor.js";

test("examples/script-transform.yaml prices order lines and summarises them", async () => {
  const t = await openTestOrchestrator("sqlite");
  const scripts = createScriptExecutor();
  try {
    t.orch.registerStepExecutor(scripts, { replace: true });
    const { workflowId } = await t.orch.registerWorkflow(readFileSync(new URL("../../examples/script-transform.yaml", import.meta.url), "utf8"));
    const { executionId } = await t.orch.startExecution(workflowId, {
      orders: [
        { customer: "acme", lines: [{ sku: "A-1", qty: 2, unit_price: 10 }, { sku: "B-2", qty: 1, unit_price: 5.5 }] },
        { customer: "globex", lines: [{ sku: "A-1", qty: 1, unit_price: 10 }] },
      ],
    });
    const done = await t.orch.waitForExecution(executionId);
    assert.equal(done.status, "completed", done.error ?? "");
    const priced = done.steps.find((s) => s.stepId === "price_lines")?.output as { currency: string; lines: Array<{ gross: number }> };
    assert.equal(priced.currency, "EUR");
    assert.deepEqual(priced.lines.map((l) => l.gross), [24, 6.6, 12]);
    assert.deepEqual(done.output, { summarise: { currency: "EUR", customers: { acme: { lines: 2, gross: 30.6 }, globex: { lines: 1, gross: 12 } }, top_customer: "acme" } });
    const logs = await t.orch.getExecutionLogs(executionId, { stepId: "price_lines" });
    assert.ok(logs.some((l) => l.level === "info" && l.message === "priced 3 lines in EUR"), JSON.stringify(logs.map((l) => l.message)));
  } finally {
    await scripts.close();
    await t.dispose();
  }
});
