// `script` steps with `runtime: python` in Pyodide worker threads: the same input / output contract as
// JavaScript, errors, no host access (the js bridge, Pyodide's API, sockets, host files, host
// environment, code generation in the worker), nothing shared between runs, time limit, cancellation.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import type { StepContext } from "../../src/engine/step-executor.js";
import { createScriptExecutor } from "../../src/executors/script/script-executor.js";

type Step = { id: string; config: Record<string, unknown>; input_mapping?: Record<string, string>; timeout?: string; retry?: Record<string, unknown> };

describe("script step, runtime: python", () => {
  let t: TestOrchestrator;
  let count = 0;

  before(async () => {
    process.env.SYNERGYMESH_TEST_MARKER = "host-secret-value";
    t = await openTestOrchestrator("sqlite", { python: { warmWorkers: 1 } });
  });
  after(async () => {
    delete process.env.SYNERGYMESH_TEST_MARKER;
    await t.dispose();
  });

  async function start(step: Step, input: Record<string, unknown> = {}) {
    const { workflowId } = await t.orch.registerWorkflow({ name: `python-${++count}`, steps: [{ type: "script", ...step }] });
    return (await t.orch.startExecution(workflowId, input)).executionId;
  }
  async function run(step: Step, input: Record<string, unknown> = {}) {
    const executionId = await start(step, input);
    const done = await t.orch.waitForExecution(executionId);
    const result = done.steps[0];
    assert.ok(result);
    return { executionId, step: result };
  }

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

  test("no host access: js, pyodide, sockets, host files and environment, and no way back through Pyodide's globals", async () => {
    const code = `
import os
def attempt(fn):
    try:
        return "allowed: " + repr(fn())
    except BaseException as error:
        return "refused: " + type(error).__name__

def via_globals():
    import asyncio
    loop = asyncio.get_event_loop()
    proxy = type(loop).call_later.__globals__["scheduleCallback"]
    return proxy.constructor("return process")()

def via_import(name):
    return lambda: __import__(name)

result = {
    "js": attempt(via_import("js")),
    "pyodide": attempt(via_import("pyodide")),
    "pyodide_js": attempt(via_import("pyodide_js")),
    "socket": attempt(via_import("socket")),
    "etc_file": attempt(lambda: open("/etc/passwd").read()),
    "host_root": sorted(os.listdir("/")),
    "marker": os.environ.get("SYNERGYMESH_TEST_MARKER"),
    "globals_escape": attempt(via_globals),
    "frames": attempt(lambda: __import__("sys")._getframe(1)),
    "gc": attempt(lambda: __import__("gc").get_objects()),
}
`;
    const { step } = await run({ id: "probe", config: { runtime: "python", code } });
    assert.equal(step.status, "completed", step.error ?? "");
    const output = step.output as Record<string, unknown>;
    assert.deepEqual(output, {
      js: "refused: ImportError",
      pyodide: "refused: ImportError",
      pyodide_js: "refused: ImportError",
      socket: "refused: ImportError",
      etc_file: "refused: FileNotFoundError",
      host_root: ["dev", "home", "lib", "proc", "tmp"],
      marker: null,
      globals_escape: "refused: JsException",
      frames: "refused: RuntimeError",
      gc: "refused: RuntimeError",
    });
  });

  test("nothing of one run reaches the next: each run has its own interpreter", async () => {
    const first = await run({ id: "set", config: { runtime: "python", code: "import builtins, json\nbuiltins.leftover = 'tenant A'\njson.dumps = None\nresult = 1" } });
    assert.equal(first.step.status, "completed", first.step.error ?? "");
    const second = await run({ id: "get", config: { runtime: "python", code: "import builtins, json\nresult = [hasattr(builtins, 'leftover'), json.dumps is None]" } });
    assert.deepEqual(second.step.output, [false, false]);
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
