// Shared by the Python script tests: an orchestrator whose `script` steps run Python, and one-step runs.
import assert from "node:assert/strict";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

export type Step = { id: string; config: Record<string, unknown>; input_mapping?: Record<string, string>; timeout?: string; retry?: Record<string, unknown> };

/** `warmWorkers`: 1 loads the next run's Pyodide while the current one runs; 0 when runs are few. */
export function pythonSuite(warmWorkers = 1) {
  let count = 0;
  const suite = {
    t: undefined as unknown as TestOrchestrator,
    async open() {
      suite.t = await openTestOrchestrator("sqlite", { python: { warmWorkers } });
    },
    async start(step: Step, input: Record<string, unknown> = {}) {
      const { workflowId } = await suite.t.orch.registerWorkflow({ name: `python-${++count}`, steps: [{ type: "script", ...step }] });
      return (await suite.t.orch.startExecution(workflowId, input)).executionId;
    },
    async run(step: Step, input: Record<string, unknown> = {}) {
      const executionId = await suite.start(step, input);
      const done = await suite.t.orch.waitForExecution(executionId);
      const result = done.steps[0];
      assert.ok(result);
      return { executionId, step: result };
    },
  };
  return suite;
}
