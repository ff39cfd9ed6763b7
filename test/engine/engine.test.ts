// The durable engine end to end through the library API, on SQLite and PostgreSQL: control flow,
// templates between steps, retries as timed tasks, timeouts, cancellation, versions, idempotency.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { NonRetryableError } from "synergymesh";
import type { StepContext, StepExecutor } from "synergymesh";
import { DIALECTS, openTestOrchestrator, rawQuery } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

/** Step types the tests register, as a user would. */
function testExecutors(calls: Array<{ step: string; key: string; input: unknown; config: unknown }>): StepExecutor[] {
  return [
    {
      type: "echo",
      execute(ctx: StepContext) {
        calls.push({ step: ctx.stepId, key: ctx.idempotencyKey, input: ctx.input, config: ctx.config });
        return { ...ctx.config, ...ctx.input };
      },
    },
    {
      type: "flaky",
      execute(ctx: StepContext) {
        calls.push({ step: ctx.stepId, key: ctx.idempotencyKey, input: ctx.input, config: ctx.config });
        if (ctx.attempt < Number(ctx.config.fail_times ?? 0)) throw new Error(`flaky failure ${ctx.attempt + 1}`);
        return { attempt: ctx.attempt };
      },
    },
    {
      type: "broken",
      execute() {
        throw new NonRetryableError("this step is broken");
      },
    },
    {
      type: "hang",
      execute(ctx: StepContext) {
        return new Promise((_, reject) => ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason)));
      },
    },
  ];
}

for (const dialect of DIALECTS) {
  describe(`engine on ${dialect}`, () => {
    let t: TestOrchestrator;
    const calls: Array<{ step: string; key: string; input: unknown; config: unknown }> = [];
    before(async () => {
      t = await openTestOrchestrator(dialect, { leaseMs: 60_000 });
      for (const executor of testExecutors(calls)) t.orch.registerStepExecutor(executor);
    });
    after(() => t.dispose());

    async function run(yaml: string, input: Record<string, unknown> = {}) {
      const { workflowId } = await t.orch.registerWorkflow(yaml);
      const { executionId } = await t.orch.startExecution(workflowId, input);
      const done = await t.orch.waitForExecution(executionId);
      return { ...done, byStep: Object.fromEntries(done.steps.map((s) => [s.stepId, s])) };
    }

    test("a linear workflow passes outputs along through templates and completes", async () => {
      calls.length = 0;
      const done = await run(
        `
name: linear
variables: { greeting: hello }
steps:
  - id: a
    type: echo
    config: { word: "{{variables.greeting}}", n: "{{input.n}}" }
  - id: b
    type: echo
    depends_on: [a]
    input_mapping: { from_a: "{{steps.a.output.word}}", n: "{{steps.a.output.n}}" }
`,
        { n: 7 },
      );
      assert.equal(done.status, "completed");
      assert.deepEqual(done.byStep.a?.output, { word: "hello", n: 7 }, "a whole-string template keeps the number");
      assert.deepEqual(done.byStep.b?.output, { from_a: "hello", n: 7 });
      assert.deepEqual(done.output, { b: { from_a: "hello", n: 7 } }, "the execution's output is its last steps' outputs");
      assert.equal(calls[0]?.key, `${done.executionId}:a:0`, "idempotency key {execution}:{step}:{attempt}");
      const logs = await t.orch.getExecutionLogs(done.executionId);
      assert.deepEqual(logs.map((l) => [l.stepId, l.level, l.message.replace(/\(.*\)/, "")]), [
        [null, "info", "execution started "],
        [null, "info", "execution completed"],
      ]);
    });

    test("fan-out and fan-in: the join waits for every branch", async () => {
      const done = await run(`
name: fan
steps:
  - { id: start, type: echo, config: { v: 1 } }
  - { id: left, type: echo, depends_on: [start], config: { side: left } }
  - { id: right, type: echo, depends_on: [start], config: { side: right } }
  - { id: join, type: echo, depends_on: [left, right], input_mapping: { l: "{{steps.left.output.side}}", r: "{{steps.right.output.side}}" } }
`);
      assert.equal(done.status, "completed");
      assert.deepEqual(done.byStep.join?.output, { l: "left", r: "right" });
    });

    test("a failure runs its on_failure branch, skips what it blocked, and fails the execution", async () => {
      const done = await run(`
id: branching
name: branching
steps:
  - id: collect
    type: broken
    on_success: [analyse]
    on_failure: [notify_failure]
  - { id: analyse, type: echo, on_success: [notify_success] }
  - { id: notify_success, type: echo }
  - { id: notify_failure, type: echo, config: { message: "needs a human" } }
`);
      assert.equal(done.status, "failed");
      assert.match(done.error ?? "", /step collect failed: this step is broken/);
      assert.equal(done.byStep.collect?.status, "failed");
      assert.equal(done.byStep.notify_failure?.status, "completed");
      assert.equal(done.byStep.analyse?.status, "skipped");
      assert.equal(done.byStep.notify_success?.status, "skipped");
    });

    test("when: false skips a step, and what depends on it still runs; continue_on_error keeps going", async () => {
      const done = await run(
        `
name: conditions
steps:
  - { id: maybe, type: echo, when: "input.go == true" }
  - { id: after_maybe, type: echo, depends_on: [maybe] }
  - { id: shaky, type: broken, continue_on_error: true }
  - { id: after_shaky, type: echo, depends_on: [shaky] }
`,
        { go: false },
      );
      assert.equal(done.byStep.maybe?.status, "skipped");
      assert.equal(done.byStep.after_maybe?.status, "completed");
      assert.equal(done.byStep.shaky?.status, "failed");
      assert.equal(done.byStep.after_shaky?.status, "completed");
      assert.equal(done.status, "completed");
    });

    test("a decision starts only the branch it chooses; a value becomes its output", async () => {
      const decisionFlow = (name: string) => `
name: ${name}
steps:
  - { id: analysis, type: echo, config: { analysis: { root_cause: "{{input.cause}}" } } }
  - id: decide
    type: decision
    depends_on: [analysis]
    config:
      conditions:
        - { if: "analysis.root_cause == 'OOM'", then: increase_memory }
        - { if: "analysis.root_cause == 'Config'", then: "notify-owner" }
  - { id: increase_memory, type: echo }
`;
      const done = await run(decisionFlow("decide-branch"), { cause: "OOM" });
      assert.equal(done.byStep.decide?.status, "completed");
      assert.deepEqual(done.byStep.decide?.output, { matched: 0, value: null, branch: "increase_memory" });
      assert.equal(done.byStep.increase_memory?.status, "completed");
      const other = await run(decisionFlow("decide-value"), { cause: "Config" });
      assert.deepEqual(other.byStep.decide?.output, { matched: 1, value: "notify-owner", branch: null });
      assert.equal(other.byStep.increase_memory?.status, "skipped");
      assert.equal(other.status, "completed");
    });

    test("retries are timed tasks on the clock: 1 s then 2 s, then success", async () => {
      calls.length = 0;
      const { workflowId } = await t.orch.registerWorkflow(`
name: retrying
steps:
  - id: shaky
    type: flaky
    config: { fail_times: 2 }
    retry: { max_attempts: 3, initial_delay: 1s, max_delay: 10s, backoff_factor: 2 }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      // The backoff timers themselves, not whatever timer is pending first (an earlier test on
      // this shared orchestrator may have left one).
      for (const backoff of [1000, 2000]) {
        const timer = await t.clock.timerOf(backoff);
        await t.clock.advance(timer.at - t.clock.now());
      }
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed");
      const step = done.steps[0];
      assert.equal(step?.attempts, 3);
      assert.equal(step?.failures, 2);
      assert.deepEqual(calls.map((c) => c.key), [`${executionId}:shaky:0`, `${executionId}:shaky:1`, `${executionId}:shaky:2`]);
    });

    test("a step timeout aborts the step and ends it timed_out", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
name: timeout
steps:
  - { id: slow, type: hang, timeout: 5s }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      // The step's own 5 s timer (not whatever other timer an earlier test left pending).
      const timer = await t.clock.timerOf(5_000);
      await t.clock.advance(timer.at - t.clock.now());
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.steps[0]?.status, "timed_out");
      assert.equal(done.status, "failed");
    });

    test("cancel ends a running execution and aborts its step", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
name: cancellable
steps:
  - { id: forever, type: hang }
  - { id: never, type: echo, depends_on: [forever] }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      await new Promise<void>((resolve) => {
        const check = async () => ((await t.orch.getExecution(executionId)).status === "running" ? resolve() : setImmediate(check));
        void check();
      });
      await t.orch.cancelExecution(executionId);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "cancelled");
      assert.equal(done.steps.find((s) => s.stepId === "forever")?.status, "cancelled");
      assert.equal(done.steps.find((s) => s.stepId === "never")?.status, "skipped");
      await assert.rejects(t.orch.cancelExecution(executionId), { code: "CONFLICT" });
    });

    test("the same idempotency key starts one execution; versions are pinned", async () => {
      const v1 = await t.orch.registerWorkflow(`
id: versioned
name: versioned
steps: [{ id: a, type: echo, config: { v: 1 } }]
`);
      assert.equal(v1.version, 1);
      const first = await t.orch.startExecution("versioned", {}, { idempotencyKey: "order-42" });
      const again = await t.orch.startExecution("versioned", {}, { idempotencyKey: "order-42" });
      assert.equal(again.executionId, first.executionId);
      assert.equal(again.created, false);
      const same = await t.orch.registerWorkflow(`
id: versioned
name: versioned
steps: [{ id: a, type: echo, config: { v: 1 } }]
`);
      assert.deepEqual([same.version, same.changed], [1, false], "an unchanged definition makes no version");
      const v2 = await t.orch.registerWorkflow(`
id: versioned
name: versioned
steps: [{ id: a, type: echo, config: { v: 2 } }]
`);
      assert.equal(v2.version, 2);
      const pinned = await t.orch.startExecution("versioned", {}, { version: 1 });
      const current = await t.orch.startExecution("versioned");
      assert.deepEqual((await t.orch.waitForExecution(pinned.executionId)).steps[0]?.output, { v: 1 });
      assert.deepEqual((await t.orch.waitForExecution(current.executionId)).steps[0]?.output, { v: 2 });
      assert.deepEqual((await t.orch.listWorkflowVersions("versioned")).map((v) => v.version), [1, 2]);
      assert.equal((await t.orch.getExecution(pinned.executionId)).version, 1);
    });

    test("bad definitions are refused with every problem and nothing is stored", async () => {
      await assert.rejects(
        t.orch.registerWorkflow(`
id: bad
name: bad
steps:
  - { id: a, type: teleport, depends_on: [ghost] }
  - { id: a, type: echo, timeout: "5 minutes" }
`),
        (e: Error & { code?: string; details?: { issues: Array<{ path: string; message: string }> } }) => {
          assert.equal(e.code, "VALIDATION_FAILED");
          const paths = e.details?.issues.map((i) => i.path) ?? [];
          assert.ok(paths.includes("steps[1].timeout"), paths.join(", "));
          return true;
        },
      );
      await assert.rejects(t.orch.getWorkflow("bad"), { code: "NOT_FOUND" });
    });

    test("pause lets running steps finish but starts nothing new; resume continues", async () => {
      let release!: () => void;
      t.orch.registerStepExecutor({ type: "gate", execute: () => new Promise((resolve) => (release = () => resolve({ opened: true }))) }, { replace: true });
      const { workflowId } = await t.orch.registerWorkflow(`
name: pausable
steps:
  - { id: gate, type: gate }
  - { id: next, type: echo, depends_on: [gate] }
`);
      // Subscribed before the start: with claim-on-commit the first step starts inside that call.
      const gateStarted = new Promise<void>((resolve) => t.orch.events.on("step.started", function started(e) {
        if (e.stepId === "gate") {
          t.orch.events.off("step.started", started);
          resolve();
        }
      }));
      const { executionId } = await t.orch.startExecution(workflowId);
      await gateStarted;
      assert.equal((await t.orch.pauseExecution(executionId)).status, "paused");
      await assert.rejects(t.orch.pauseExecution(executionId), { code: "CONFLICT" });
      const gateDone = new Promise<void>((resolve) => t.orch.events.on("step.finished", function finished(e) {
        if (e.executionId === executionId && e.stepId === "gate") {
          t.orch.events.off("step.finished", finished);
          resolve();
        }
      }));
      release();
      await gateDone;
      const paused = await t.orch.getExecution(executionId);
      assert.equal(paused.status, "paused");
      assert.deepEqual(paused.steps.map((s) => [s.stepId, s.status]).sort(), [["gate", "completed"], ["next", "pending"]]);
      await t.orch.resumeExecution(executionId);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed");
      assert.equal(done.steps.find((s) => s.stepId === "next")?.status, "completed");
    });

    test("retry runs the failed steps again and keeps finished outputs; one step can be retried alone", async () => {
      let healthy = false;
      let firstRuns = 0;
      const sickKeys: string[] = [];
      t.orch.registerStepExecutor({ type: "counted", execute: () => ({ run: ++firstRuns }) }, { replace: true });
      t.orch.registerStepExecutor({ type: "sick", execute: (ctx: StepContext) => {
        sickKeys.push(ctx.idempotencyKey);
        if (!healthy) throw new NonRetryableError("still sick");
        return { ok: true };
      } }, { replace: true });
      const yaml = `
name: retriable
steps:
  - { id: first, type: counted }
  - { id: sick, type: sick, depends_on: [first] }
  - { id: last, type: echo, depends_on: [sick] }
`;
      const { workflowId } = await t.orch.registerWorkflow(yaml);
      const { executionId } = await t.orch.startExecution(workflowId);
      const failed = await t.orch.waitForExecution(executionId);
      assert.equal(failed.status, "failed");
      assert.equal(failed.steps.find((s) => s.stepId === "last")?.status, "skipped");
      await assert.rejects(t.orch.resumeExecution(executionId), { code: "CONFLICT" });
      healthy = true;
      await t.orch.retryExecution(executionId);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed");
      assert.deepEqual(done.steps.find((s) => s.stepId === "first")?.output, { run: 1 }, "the finished step did not run again");
      assert.equal(done.steps.find((s) => s.stepId === "last")?.status, "completed");
      assert.deepEqual(sickKeys, [`${executionId}:sick:0`, `${executionId}:sick:1`], "a manual retry is a new attempt with its own key");
      await assert.rejects(t.orch.retryExecution(executionId), { code: "CONFLICT" });

      healthy = false;
      const second = await t.orch.startExecution(workflowId);
      const failedAgain = await t.orch.waitForExecution(second.executionId);
      const sickStep = failedAgain.steps.find((s) => s.stepId === "sick");
      assert.ok(sickStep);
      healthy = true;
      await t.orch.retryStepExecution(sickStep.stepExecutionId);
      const fixed = await t.orch.waitForExecution(second.executionId);
      assert.equal(fixed.status, "completed");
      await assert.rejects(t.orch.retryStepExecution("00000000-0000-0000-0000-000000000000"), { code: "NOT_FOUND" });
    });

    test("approval waits without a worker until approved; a rejection runs on_failure; a timeout ends it timed_out", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
name: approve-me
steps:
  - { id: ask, type: approval, config: { message: "Restart the payments pod?" }, on_success: [act], on_failure: [escalate] }
  - { id: act, type: echo, config: { done: true } }
  - { id: escalate, type: echo, config: { escalated: true } }
`);
      const waiting = (executionId: string) =>
        new Promise<void>((resolve) => {
          const check = async () => ((await t.orch.getExecution(executionId)).steps.find((s) => s.stepId === "ask")?.status === "waiting" ? resolve() : setImmediate(check));
          void check();
        });
      const yes = await t.orch.startExecution(workflowId);
      await waiting(yes.executionId);
      await assert.rejects(t.orch.decideApproval(yes.executionId, "act", { approved: true }), { code: "CONFLICT" });
      await t.orch.decideApproval(yes.executionId, "ask", { approved: true, userId: "alice", comment: "go" });
      const approved = await t.orch.waitForExecution(yes.executionId);
      assert.equal(approved.status, "completed");
      assert.deepEqual(approved.steps.find((s) => s.stepId === "ask")?.output, { approved: true, decided_by: "alice", comment: "go", decided_at: t.clock.now() });
      assert.equal(approved.steps.find((s) => s.stepId === "escalate")?.status, "skipped");
      assert.equal((await t.orch.getAuditLogs("default", { action: "approve_step" })).length >= 1, true);

      const no = await t.orch.startExecution(workflowId);
      await waiting(no.executionId);
      await t.orch.decideApproval(no.executionId, "ask", { approved: false, userId: "bob", comment: "not now" });
      const rejected = await t.orch.waitForExecution(no.executionId);
      assert.equal(rejected.steps.find((s) => s.stepId === "ask")?.error, "rejected by bob: not now");
      assert.equal(rejected.steps.find((s) => s.stepId === "escalate")?.status, "completed");

      const { workflowId: timed } = await t.orch.registerWorkflow(`
name: approve-in-time
steps: [{ id: ask, type: approval, config: { timeout: 1h } }]
`);
      const late = await t.orch.startExecution(timed);
      await waiting(late.executionId);
      await t.clock.advance(3_600_000);
      const expired = await t.orch.waitForExecution(late.executionId);
      assert.equal(expired.steps[0]?.status, "timed_out");
    });

    test("an approval with approvers refuses anyone else (FORBIDDEN) and stays waiting", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
name: approvers-only
steps: [{ id: ask, type: approval, config: { approvers: [alice, carol] } }]
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      await new Promise<void>((resolve) => {
        const check = async () => ((await t.orch.getExecution(executionId)).steps[0]?.status === "waiting" ? resolve() : setImmediate(check));
        void check();
      });
      await assert.rejects(t.orch.decideApproval(executionId, "ask", { approved: true, userId: "mallory" }), { code: "FORBIDDEN", message: /mallory is not among the approvers of step ask/ });
      await assert.rejects(t.orch.decideApproval(executionId, "ask", { approved: true }), { code: "FORBIDDEN" }, "no user is not an approver either");
      assert.equal((await t.orch.getExecution(executionId)).steps[0]?.status, "waiting");
      await t.orch.decideApproval(executionId, "ask", { approved: true, userId: "carol" });
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed");
      assert.equal((done.steps[0]?.output as { decided_by?: string }).decided_by, "carol");
    });

    test("subworkflow starts a child, waits for it without a slot, and returns its output", async () => {
      await t.orch.registerWorkflow(`
id: child
name: child
steps: [{ id: c, type: echo, config: { from: child, got: "{{input.x}}" } }]
`);
      const { workflowId } = await t.orch.registerWorkflow(`
name: parent
steps:
  - { id: call, type: subworkflow, config: { workflow_id: child, input: { x: 42 }, poll_interval: 1s } }
  - { id: after, type: echo, depends_on: [call], input_mapping: { child_said: "{{steps.call.output.output.c.got}}" } }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      const childFinished = new Promise<void>((resolve) => t.orch.events.on("execution.finished", function done(e) {
        if (e.workflowId === "child") {
          t.orch.events.off("execution.finished", done);
          resolve();
        }
      }));
      await childFinished;
      await t.clock.advance(1000);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed");
      assert.deepEqual(done.steps.find((s) => s.stepId === "after")?.output, { child_said: 42 });
      const children = await t.orch.listExecutions("default", { workflowId: "child" });
      assert.equal(children.filter((c) => c.idempotencyKey?.startsWith(executionId)).length, 1, "one child, keyed by the parent's step");
    });

    test("loop runs its body per item with loop.item and loop.index; while loops stop on the condition; parallel joins branches", async () => {
      const done = await run(
        `
name: loops
steps:
  - id: each
    type: loop
    config:
      items: "{{input.names}}"
      concurrency: 2
      step: { type: echo, config: { name: "{{loop.item}}", position: "{{loop.index}}" } }
  - id: count
    type: loop
    config:
      while: "loop.index < 3"
      step: { type: echo, config: { i: "{{loop.index}}" } }
  - id: both
    type: parallel
    config:
      branches:
        - { type: echo, config: { side: left } }
        - { type: echo, config: { side: right } }
`,
        { names: ["ann", "bo", "cy"] },
      );
      assert.equal(done.status, "completed");
      assert.deepEqual(done.byStep.each?.output, { results: [{ name: "ann", position: 0 }, { name: "bo", position: 1 }, { name: "cy", position: 2 }], count: 3 });
      assert.deepEqual(done.byStep.count?.output, { results: [{ i: 0 }, { i: 1 }, { i: 2 }], count: 3 });
      assert.deepEqual(done.byStep.both?.output, { results: [{ side: "left" }, { side: "right" }] });
    });

    test("a workflow timeout ends the execution timed_out and aborts its running step", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
name: deadline
timeout: 10s
steps:
  - { id: slow, type: hang }
  - { id: never, type: echo, depends_on: [slow] }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      await t.clock.advance(10_000);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.status, "timed_out");
      assert.equal(done.steps.find((s) => s.stepId === "slow")?.status, "timed_out");
      assert.equal(done.steps.find((s) => s.stepId === "never")?.status, "skipped");
    });

    test("plugin hooks see starts and completions after they are committed", async () => {
      const seen: string[] = [];
      t.orch.use({
        onWorkflowStart: (e) => void seen.push(`start ${e.workflowId}`),
        onStepStart: (e) => void seen.push(`step ${e.stepId}`),
        onStepComplete: (e) => void seen.push(`done ${e.stepId} ${e.status}`),
        onWorkflowComplete: (e) => void seen.push(`end ${e.status}`),
      });
      await run(`
id: hooked
name: hooked
steps: [{ id: only, type: echo }]
`);
      assert.deepEqual(seen.filter((l) => l.includes("hooked") || l.includes("only") || l.startsWith("end")).slice(0, 4), ["start hooked", "step only", "done only completed", "end completed"]);
    });

    test("seed 001's execution metrics: totals by workflow and status, durations, active executions", async () => {
      const { workflowId } = await t.orch.registerWorkflow(`
id: metered
name: metered
steps: [{ id: hold, type: hang }]
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      assert.match(await t.orch.prometheus.text(), /^orchestrator_active_executions [1-9]\d*$/m, "the running execution is counted");
      await t.orch.cancelExecution(executionId);
      await run(`
id: metered_ok
name: metered_ok
steps: [{ id: a, type: echo }]
`);
      const text = await t.orch.prometheus.text();
      assert.match(text, /^orchestrator_executions_total\{workflow_id="metered",status="cancelled"\} 1$/m);
      assert.match(text, /^orchestrator_executions_total\{workflow_id="metered_ok",status="completed"\} 1$/m);
      assert.match(text, /^orchestrator_execution_duration_seconds_count\{workflow_id="metered_ok"\} 1$/m);
      assert.ok(!text.includes(executionId) && !text.includes("execution_id="), "no execution ids as labels (SPEC D: bounded label sets)");
    });

    test("another tenant's workflow and execution answer like missing ones", async () => {
      const other = await t.orch.createTenant("Other", "basic");
      const { executionId } = await t.orch.startExecution("versioned");
      await assert.rejects(t.orch.getExecution(executionId, other), { code: "NOT_FOUND" });
      await assert.rejects(t.orch.startExecution("versioned", {}, { tenantId: other }), { code: "NOT_FOUND" });
      await assert.rejects(t.orch.cancelExecution(executionId, { tenantId: other }), { code: "NOT_FOUND" });
    });
  });
}

describe("secrets in steps", () => {
  test("a secret renders into a step, never into its output, logs or errors, and is never readable", async () => {
    const t = await openTestOrchestrator("sqlite");
    try {
      const seen: unknown[] = [];
      t.orch.registerStepExecutor({
        type: "leaky",
        execute(ctx: StepContext) {
          seen.push(ctx.config.token);
          ctx.log("info", `calling with ${String(ctx.config.token)}`);
          if (ctx.config.fail) throw new Error(`upstream refused token ${String(ctx.config.token)}`);
          return { echoed: ctx.config.token, note: `token was ${String(ctx.config.token)}` };
        },
      });
      assert.deepEqual(await t.orch.setSecret("api_token", "s3cr3t-value-123"), { created: true });
      assert.deepEqual(await t.orch.setSecret("api_token", "s3cr3t-value-123"), { created: false });
      const { workflowId } = await t.orch.registerWorkflow(`
name: secretive
steps:
  - { id: use, type: leaky, config: { token: "{{secrets.api_token}}" } }
  - { id: fail, type: leaky, depends_on: [use], config: { token: "{{secrets.api_token}}", fail: true } }
  - id: mapped
    type: leaky
    config: { token: plain }
    output_mapping: { header: "Bearer {{secrets.api_token}}" }
`);
      const { executionId } = await t.orch.startExecution(workflowId);
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(seen[0], "s3cr3t-value-123", "the executor got the clear value");
      const everything = JSON.stringify([done, await t.orch.getExecutionLogs(executionId), await t.orch.listSecrets(), await t.orch.getAuditLogs("default", { hours: 1 })]);
      assert.ok(!everything.includes("s3cr3t-value-123"), "the value appears nowhere");
      assert.deepEqual(done.steps.find((s) => s.stepId === "use")?.output, { echoed: "[REDACTED]", note: "token was [REDACTED]" });
      assert.equal(done.steps.find((s) => s.stepId === "fail")?.error, "upstream refused token [REDACTED]");
      assert.deepEqual(done.steps.find((s) => s.stepId === "mapped")?.output, { header: "Bearer [REDACTED]" }, "secrets rendered by output_mapping are redacted too");
      assert.deepEqual((await t.orch.listSecrets()).map((s) => s.name), ["api_token"]);
      const stored = await rawQuery<{ ciphertext: string }>(t.db, "SELECT ciphertext FROM secrets");
      assert.ok(!stored[0]?.ciphertext.includes("s3cr3t"), "encrypted at rest");
      assert.equal((await t.orch.getAuditLogs("default", { action: "set_secret" })).length, 2);
      await t.orch.deleteSecret("api_token");
      await assert.rejects(t.orch.deleteSecret("api_token"), { code: "NOT_FOUND" });
      await assert.rejects(t.orch.setSecret("bad name", "x"), { code: "VALIDATION_FAILED" });
    } finally {
      await t.dispose();
    }
  });
});
