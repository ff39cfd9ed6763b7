// Shared by the executor tests: run a one-step workflow and read its step.
import assert from "node:assert/strict";
import type { Orchestrator } from "synergymesh";

export async function startWorkflow(orch: Orchestrator, yaml: string, input: Record<string, unknown>): Promise<string> {
  const { workflowId } = await orch.registerWorkflow(yaml);
  return (await orch.startExecution(workflowId, input)).executionId;
}

export async function finishFirstStep(orch: Orchestrator, executionId: string) {
  const done = await orch.waitForExecution(executionId);
  const step = done.steps[0];
  assert.ok(step);
  return { executionId, done, step };
}

export async function runFirstStep(orch: Orchestrator, yaml: string, input: Record<string, unknown>) {
  return finishFirstStep(orch, await startWorkflow(orch, yaml, input));
}
