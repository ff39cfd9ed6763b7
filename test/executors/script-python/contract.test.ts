// `script` steps with `runtime: python` (Pyodide): the same input / output contract as JavaScript, print() to
// the step's log, errors with their line, results that are not JSON.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pythonSuite } from "./python-suite.js";

describe("script step, runtime: python: contract", () => {
  const s = pythonSuite();
  let t: typeof s.t;
  const { run } = s;
  before(async () => {
    await s.open();
    t = s.t;
  });
  after(async () => {
    await t.dispose();
  });

  test("main(input) gives the output; args under input_mapping; print() lines go to the step's log", async () => {
    const { executionId, step } = await run(
      {
        id: "double",
        config: { runtime: "python", args: { factor: 2, unit: "kg" }, code: "def main(input):\n    print('doubling', len(input['values']), 'values')\n    return {'values': [v * input['factor'] for v in input['values']], 'unit': input['unit']}\n" },
        input_mapping: { values: "{{input.values}}", factor: "{{input.factor}}" },
      },
      { values: [1, 2.5], factor: 3 },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual(step.output, { values: [3, 7.5], unit: "kg" });
    const logs = await t.orch.getExecutionLogs(executionId);
    assert.ok(logs.some((l) => l.level === "info" && l.message === "doubling 2 values"), JSON.stringify(logs.map((l) => l.message)));
  });

  test("without main, the global `result` is the output", async () => {
    const { step } = await run({ id: "r", config: { runtime: "python", code: "import statistics\nresult = {'mean': statistics.mean(input['xs'])}" }, input_mapping: { xs: "{{input.xs}}" } }, { xs: [1, 2, 3, 6] });
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual(step.output, { mean: 3 });
  });

  test("an exception fails the step without retrying, with its type, message and line", async () => {
    const { step } = await run({ id: "boom", retry: { max_attempts: 3 }, config: { runtime: "python", code: "x = 1\nraise ValueError('bad record 7')\n" } });
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, "the script raised ValueError: bad record 7 (line 2)");
  });

  test("a result that is not JSON fails clearly", async () => {
    const { step } = await run({ id: "set", config: { runtime: "python", code: "result = {1, 2}" } });
    assert.equal(step.status, "failed");
    assert.match(step.error ?? "", /the script's result is not JSON: Object of type set is not JSON serializable/);
  });
});
