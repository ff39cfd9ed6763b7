// The `script` step end to end through an orchestrator: JavaScript in QuickJS inside a worker thread.
// Limits are real (real time, real memory): tests wait on the execution's end, never on a sleep.
import assert from "node:assert/strict";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { StepContext, StepExecutor } from "synergymesh";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createScriptExecutor } from "../../src/executors/script/script-executor.js";
import type { ScriptExecutor } from "../../src/executors/script/script-executor.js";

describe("script steps", () => {
  let t: TestOrchestrator;
  let scripts: ScriptExecutor;
  let dir: string;
  const libraryCalls: Array<[string, string]> = [];
  /** What the cancellation test's script logs once it is inside its endless loop. */
  let onScriptLog: ((message: string) => void) | undefined;
  let count = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "synergymesh-scripts-"));
    await mkdir(join(dir, "root", "lib"), { recursive: true });
    await writeFile(join(dir, "root", "transform.js"), "const rows = input.rows.map((r) => ({ ...r, total: r.qty * r.price }));\nreturn { rows, count: rows.length };\n");
    await writeFile(join(dir, "root", "lib", "greet.mjs"), "export function main(input) {\n  return `hello ${input.name}`;\n}\n");
    await writeFile(join(dir, "secret.js"), "return 'this file is outside the script folder';\n");
    await symlink(join(dir, "secret.js"), join(dir, "root", "escape.js"));
    t = await openTestOrchestrator("sqlite");
    scripts = createScriptExecutor({
      scriptRoot: join(dir, "root"),
      loadScript: async (tenantId, name) => {
        libraryCalls.push([tenantId, name]);
        return name === "library/answer.js" ? "return { answer: 42, asked: input.question }" : undefined;
      },
    });
    // Wrapped only to watch the script's console lines as they arrive (the cancellation test).
    const watched: StepExecutor = {
      type: "script",
      configSchema: scripts.configSchema,
      execute: (ctx: StepContext) =>
        scripts.execute({
          ...ctx,
          log: (level, message, data) => {
            onScriptLog?.(message);
            ctx.log(level, message, data);
          },
        }),
    };
    t.orch.registerStepExecutor(watched, { replace: true });
  });

  after(async () => {
    assert.equal(scripts.stats().busy, 0, "no script is left running");
    await scripts.close();
    await t.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  type Step = { id: string; config: Record<string, unknown>; input_mapping?: Record<string, string>; retry?: Record<string, unknown> };

  async function start(steps: Step[], input: Record<string, unknown> = {}) {
    const { workflowId } = await t.orch.registerWorkflow({ name: `scripts-${++count}`, steps: steps.map((s) => ({ type: "script", ...s })) });
    return (await t.orch.startExecution(workflowId, input)).executionId;
  }

  async function run(steps: Step[], input: Record<string, unknown> = {}) {
    const startedAt = performance.now();
    const executionId = await start(steps, input);
    const done = await t.orch.waitForExecution(executionId);
    return { ...done, ms: performance.now() - startedAt, byStep: Object.fromEntries(done.steps.map((s) => [s.stepId, s])) };
  }

  test("input in, JSON out: a top-level return, main(input), an exported main, an async main", async () => {
    const done = await run(
      [
        {
          id: "body",
          config: { code: "const total = input.items.reduce((sum, n) => sum + n, 0);\nreturn { total, label: input.label, unit: input.unit };", args: { label: "from args", unit: "eur" } },
          input_mapping: { items: "{{input.items}}", label: "{{input.label}}" },
        },
        { id: "main", config: { code: "function main(input) {\n  return input.items.map((n) => n * 2);\n}" }, input_mapping: { items: "{{input.items}}" } },
        { id: "module", config: { code: "export function main(input) {\n  return { first: input.items[0], nothing: null };\n}" }, input_mapping: { items: "{{input.items}}" } },
        { id: "async", config: { code: "async function main(input) {\n  const n = await Promise.resolve(input.n);\n  return n + 1;\n}" }, input_mapping: { n: "{{input.count}}" } },
        { id: "both", config: { code: "function main() { return 'main'; }\nreturn 'return wins';" } },
        { id: "nothing", config: { code: "const unused = 1;" } },
      ],
      { items: [1, 2, 3.5], label: "from input", count: 3 },
    );
    assert.equal(done.status, "completed", done.error ?? "");
    assert.deepEqual(done.byStep.body?.output, { total: 6.5, label: "from input", unit: "eur" }, "input_mapping wins over args");
    assert.deepEqual(done.byStep.main?.output, [2, 4, 7]);
    assert.deepEqual(done.byStep.module?.output, { first: 1, nothing: null });
    assert.equal(done.byStep.async?.output, 4);
    assert.equal(done.byStep.both?.output, "return wins", "a top-level return wins over main");
    assert.equal(done.byStep.nothing?.output, null);
  });

  test("console lines reach the execution's logs with their levels, bounded in count", async () => {
    const done = await run([
      { id: "talk", config: { code: "console.log('hello', { n: 1 }, [2]);\nconsole.warn('careful');\nconsole.error('bad', new Error('e1').message);\nconsole.debug('detail');\nreturn 1;" } },
      { id: "chatty", config: { code: "for (let i = 0; i < 150; i++) console.log('line ' + i);\nreturn 'done';" } },
    ]);
    assert.equal(done.status, "completed", done.error ?? "");
    const talk = await t.orch.getExecutionLogs(done.executionId, { stepId: "talk" });
    const lines = talk.map((l) => [l.level, l.message]);
    for (const line of [
      ["info", 'hello {"n":1} [2]'],
      ["warn", "careful"],
      ["error", "bad e1"],
      ["debug", "detail"],
    ]) {
      assert.ok(lines.some(([level, message]) => level === line[0] && message === line[1]), `${JSON.stringify(line)} in ${JSON.stringify(lines)}`);
    }
    const chatty = (await t.orch.getExecutionLogs(done.executionId, { stepId: "chatty" })).filter((l) => /^line \d+$|console output limit/.test(l.message));
    assert.equal(chatty.filter((l) => l.message.startsWith("line ")).length, 100, "the default limit keeps 100 lines");
    assert.ok(chatty.some((l) => l.level === "warn" && /console output limit of 100 lines reached/.test(l.message)));
  });

  test("a thrown error fails the step with its message, without retries", async () => {
    const done = await run([
      { id: "boom", config: { code: "if (input.ok !== true) throw new Error('boom: ' + input.why);\nreturn 1;" }, input_mapping: { why: "{{input.why}}" }, retry: { max_attempts: 3, initial_delay: "1s" } },
      { id: "reject", config: { code: "async function main() { throw new TypeError('async nope'); }" } },
      // Deep nesting overflows QuickJS's stack limit inside the sandbox, not the worker's own stack.
      { id: "deep", config: { code: "return eval('('.repeat(100000) + '1' + ')'.repeat(100000));" } },
      { id: "recursion", config: { code: "function down(n) { return down(n + 1) + 1; }\nreturn down(0);" } },
    ], { why: "bad data" });
    assert.equal(done.status, "failed");
    assert.equal(done.byStep.boom?.status, "failed");
    assert.match(done.byStep.boom?.error ?? "", /the script threw Error: boom: bad data/);
    assert.equal(done.byStep.boom?.attempts, 1, "errors in user code are not retried");
    assert.match(done.byStep.reject?.error ?? "", /the script threw TypeError: async nope/);
    assert.match(done.byStep.deep?.error ?? "", /the script threw SyntaxError: stack overflow/);
    assert.match(done.byStep.recursion?.error ?? "", /the script threw InternalError: stack overflow/);
  });

  test("runs past maxWorkers wait for a worker, and a warm worker serves the next run", async () => {
    const serial = createScriptExecutor({ maxWorkers: 1, poolSize: 1 });
    t.orch.registerStepExecutor({ ...serial, type: "script_serial" }, { replace: true });
    try {
      const steps = ["a", "b", "c"].map((id) => ({ id, type: "script_serial", config: { code: `return '${id}';` } }));
      const { workflowId } = await t.orch.registerWorkflow({ name: "serial", steps });
      const done = await t.orch.waitForExecution((await t.orch.startExecution(workflowId)).executionId);
      assert.equal(done.status, "completed", done.error ?? "");
      assert.deepEqual(done.output, { a: "a", b: "b", c: "c" });
      const stats = serial.stats();
      assert.deepEqual([stats.started, stats.runs, stats.warmRuns, stats.idle, stats.queued], [1, 3, 2, 1, 0]);
    } finally {
      await serial.close();
    }
  });

  test("an infinite loop is stopped by the time limit", async () => {
    const done = await run([{ id: "spin", config: { code: "let n = 0;\ntry { for (;;) n++; } catch (e) { return 'escaped'; }", timeout: "300ms" } }]);
    assert.equal(done.status, "failed");
    assert.ok(["failed", "timed_out"].includes(done.byStep.spin?.status ?? ""), done.byStep.spin?.status);
    assert.match(done.byStep.spin?.error ?? "", /time limit of 300 ms/);
    assert.ok(done.ms < 5000, `stopped after ${done.ms} ms`);
  });

  test("a memory bomb is stopped by the memory limit, arrays and strings alike", async () => {
    const done = await run([
      { id: "arrays", config: { code: "let a = [];\nfor (;;) a.push(new Array(1e6));", memory_limit_mb: 16, timeout: "20s" } },
      // Many 1 MB strings, each under the limit: QuickJS's own limit does not add these up in this build.
      { id: "strings", config: { code: "let a = [];\nfor (;;) a.push('x'.repeat(1e6) + a.length);", memory_limit_mb: 16, timeout: "20s" } },
    ]);
    assert.equal(done.status, "failed");
    for (const id of ["arrays", "strings"]) {
      assert.equal(done.byStep[id]?.status, "failed");
      assert.match(done.byStep[id]?.error ?? "", /ran out of memory: its limit is 16 MB/, id);
    }
    assert.ok(done.ms < 15_000, `stopped after ${done.ms} ms`);
  });

  test("a long native call that never reaches the interrupt check is ended by terminating its worker", async () => {
    // A BigInt power of this size is one native call (0.4-0.7 s here, then toString for seconds) in
    // which QuickJS does not poll its interrupt handler: only the wall-clock backstop, at 50 + 100 ms,
    // can stop it.
    const backstop = createScriptExecutor({ wallClockGraceMs: 100, poolSize: 0 });
    t.orch.registerStepExecutor({ ...backstop, type: "script_backstop" }, { replace: true });
    try {
      const { workflowId } = await t.orch.registerWorkflow({ name: "backstop", steps: [{ id: "bigint", type: "script_backstop", config: { code: "for (;;) String(7n ** 370000n);", timeout: "50ms" } }] });
      const startedAt = performance.now();
      const done = await t.orch.waitForExecution((await t.orch.startExecution(workflowId)).executionId);
      const ms = performance.now() - startedAt;
      assert.equal(done.steps[0]?.status, "failed");
      assert.match(done.steps[0]?.error ?? "", /did not stop at its time limit of 50 ms; its worker was terminated after 150 ms/);
      assert.ok(ms < 5000, `ended after ${ms} ms`);
      assert.deepEqual([backstop.stats().busy, backstop.stats().terminated], [0, 1]);
    } finally {
      await backstop.close();
    }
  });

  test("no host access: no require, process, fetch or timers, and no way out through constructors", async () => {
    const done = await run([
      {
        id: "probe",
        config: {
          code: [
            "const kinds = {};",
            "for (const name of ['require', 'process', 'fetch', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'Buffer', 'module', 'WebAssembly', 'std', 'os', 'XMLHttpRequest']) kinds[name] = typeof globalThis[name];",
            "kinds.requireIdentifier = typeof require;",
            "let escape;",
            "try { escape = String(globalThis.constructor.constructor('return process')()); } catch (e) { escape = e.name; }",
            "let viaFunction;",
            "try { viaFunction = typeof Function('return this')().process; } catch (e) { viaFunction = e.name; }",
            "return { kinds, escape, viaFunction, dateWorks: typeof Date.now() === 'number', mathWorks: Math.max(1, 2) === 2 };",
          ].join("\n"),
        },
      },
      { id: "import", config: { code: "import fs from 'fs';\nexport function main() { return typeof fs; }" } },
    ]);
    const probe = done.byStep.probe?.output as { kinds: Record<string, string>; escape: string; viaFunction: string; dateWorks: boolean; mathWorks: boolean };
    assert.equal(done.byStep.probe?.status, "completed", done.byStep.probe?.error ?? "");
    for (const [name, kind] of Object.entries(probe.kinds)) assert.equal(kind, "undefined", name);
    assert.equal(probe.escape, "ReferenceError");
    assert.equal(probe.viaFunction, "undefined");
    assert.deepEqual([probe.dateWorks, probe.mathWorks], [true, true]);
    assert.equal(done.byStep.import?.status, "failed");
    assert.match(done.byStep.import?.error ?? "", /could not load module 'fs'/);
  });

  test("a result that is not JSON is an error", async () => {
    const done = await run([
      { id: "fn", config: { code: "return () => 1;" } },
      { id: "nested", config: { code: "return { ok: true, callback() {} };" } },
      { id: "cycle", config: { code: "const a = {};\na.self = a;\nreturn a;" } },
    ]);
    assert.equal(done.status, "failed");
    assert.match(done.byStep.fn?.error ?? "", /result is not JSON: TypeError: the result holds a function/);
    assert.match(done.byStep.nested?.error ?? "", /result is not JSON: .*function at key "callback"/);
    assert.match(done.byStep.cycle?.error ?? "", /result is not JSON: TypeError: circular reference/);
  });

  test("script: files come from the tenant's library, then the script folder", async () => {
    const done = await run(
      [
        { id: "file", config: { script: "transform.js" }, input_mapping: { rows: "{{input.rows}}" } },
        { id: "module", config: { script: "lib/greet.mjs", args: { name: "world" } } },
        { id: "templated", config: { script: "{{input.which}}", args: { name: "templates" } } },
        { id: "library", config: { script: "library/answer.js", args: { question: "why" } } },
        { id: "missing", config: { script: "nope.js" } },
      ],
      { rows: [{ qty: 2, price: 1.5 }], which: "lib/greet.mjs" },
    );
    assert.deepEqual(done.byStep.file?.output, { rows: [{ qty: 2, price: 1.5, total: 3 }], count: 1 });
    assert.equal(done.byStep.module?.output, "hello world");
    assert.equal(done.byStep.templated?.output, "hello templates");
    assert.deepEqual(done.byStep.library?.output, { answer: 42, asked: "why" });
    assert.ok(libraryCalls.some(([tenant, name]) => tenant === "default" && name === "library/answer.js"), JSON.stringify(libraryCalls));
    assert.match(done.byStep.missing?.error ?? "", /script "nope.js" was not found/);
  });

  test("path traversal and absolute names are refused, at validation and when rendered; symlinks cannot leave the folder", async () => {
    for (const script of ["../secret.js", "lib/../../secret.js", "/etc/passwd", "C:\\Windows\\win.ini"]) {
      await assert.rejects(t.orch.registerWorkflow({ name: "traversal", steps: [{ id: "s", type: "script", config: { script } }] }), (error: Error & { code?: string }) => {
        assert.equal(error.code, "VALIDATION_FAILED", script);
        assert.match(error.message, /steps\[0\]\.config\.script/);
        return true;
      });
    }
    const done = await run([{ id: "rendered", config: { script: "{{input.name}}" } }, { id: "symlink", config: { script: "escape.js" } }], { name: "../secret.js" });
    assert.equal(done.byStep.rendered?.status, "failed");
    assert.match(done.byStep.rendered?.error ?? "", /config\.script: "\.\.\/secret\.js" leaves the script folder/);
    assert.match(done.byStep.symlink?.error ?? "", /resolves outside the script folder/);
  });

  test("config is checked: one of code or script, known runtimes; seed 001's steps run as written", async () => {
    await assert.rejects(t.orch.registerWorkflow({ name: "both", steps: [{ id: "s", type: "script", config: { code: "return 1", script: "a.js" } }] }), /exactly one of code or script/);
    await assert.rejects(t.orch.registerWorkflow({ name: "ruby", steps: [{ id: "s", type: "script", config: { code: "1", runtime: "ruby" } }] }), /steps\[0\]\.config\.runtime/);
    await assert.rejects(t.orch.registerWorkflow({ name: "timeout", steps: [{ id: "s", type: "script", config: { code: "1", timeout: "soon" } }] }), /steps\[0\]\.config\.timeout/);
    // Seed 001's script steps load as written; a .py file runs as Python (script-python.test.ts), here it is missing.
    const done = await run([
      { id: "python", config: { script: "validate_data.py", timeout: "5m" } },
      { id: "node", config: { code: "return 'node means JavaScript here'", runtime: "node" } },
    ]);
    assert.match(done.byStep.python?.error ?? "", /script "validate_data\.py" was not found/);
    assert.equal(done.byStep.node?.output, "node means JavaScript here");
  });

  test("cancelling the execution terminates a running script's worker", async () => {
    const before = scripts.stats();
    const inLoop = new Promise<void>((resolve) => {
      onScriptLog = (message) => message === "spinning" && resolve();
    });
    const startedAt = performance.now();
    const executionId = await start([{ id: "forever", config: { code: "console.log('spinning');\nfor (;;) {}", timeout: "60s" } }]);
    await inLoop;
    onScriptLog = undefined;
    await t.orch.cancelExecution(executionId);
    const done = await t.orch.waitForExecution(executionId);
    const ms = performance.now() - startedAt;
    assert.equal(done.status, "cancelled");
    assert.equal(done.steps[0]?.status, "cancelled");
    assert.ok(ms < 10_000, `cancelled after ${ms} ms of a 60 s limit`);
    const after = scripts.stats();
    assert.equal(after.busy, 0);
    assert.equal(after.terminated - before.terminated, 1, "the running worker was terminated");
  });
});
