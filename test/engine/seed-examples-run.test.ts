// Seed 002's task list runs once its task types are registered (its types are the seed's own
// vocabulary: analysis, design, ...), and seed 003's diagnosis workflow runs with stand-in types.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import type { StepContext } from "synergymesh";
import { openTestOrchestrator } from "synergymesh/testing";

const seedsDir = new URL("../../examples/seeds/", import.meta.url);

test("seed 002's tasks run in dependency order once their types are registered", async () => {
  const t = await openTestOrchestrator("sqlite");
  try {
    const file = readFileSync(new URL("002-full-stack-development.json", seedsDir), "utf8");
    const types = [...new Set((JSON.parse(file) as { tasks: Array<{ type: string }> }).tasks.map((task) => task.type))];
    await assert.rejects(t.orch.registerWorkflow(file), { code: "VALIDATION_FAILED" }, "unknown types before registration");
    const order: string[] = [];
    for (const type of types) t.orch.registerStepExecutor({ type, execute: (ctx: StepContext) => void order.push(ctx.stepId) });
    const { workflowId } = await t.orch.registerWorkflow(file);
    const { executionId } = await t.orch.startExecution(workflowId);
    const done = await t.orch.waitForExecution(executionId);
    assert.equal(done.status, "completed");
    assert.equal(order.length, done.steps.length);
    const definition = (await t.orch.getWorkflowDefinition(workflowId)).definition;
    for (const step of definition.steps) {
      for (const dep of step.dependsOn) assert.ok(order.indexOf(dep) < order.indexOf(step.id), `${dep} runs before ${step.id}`);
    }
    const priority = (id: string) => definition.steps.find((s) => s.id === id)?.priority;
    assert.equal(priority("analyze_requirements"), 8, "high is 8");
    assert.equal(priority("implement_frontend"), 5, "medium is 5");
  } finally {
    await t.dispose();
  }
});
