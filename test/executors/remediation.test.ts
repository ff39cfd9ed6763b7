// The `remediation` step on both store dialects: seed 003's execute_remediation waits for an approval
// through decideApproval, then runs its allow-listed action and writes an audit record of what it did;
// rejection, no-approval mode, failures audited, and a retry after approval that does not ask again.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { makePrograms, startReportServer } from "./programs/make-programs.js";
import type { TestPrograms } from "./programs/make-programs.js";
import { finishFirstStep, startWorkflow } from "./run-step.js";

for (const dialect of DIALECTS) {
  describe(`remediation step (${dialect})`, () => {
    let t: TestOrchestrator;
    let bin: TestPrograms;

    before(async () => {
      bin = makePrograms();
      t = await openTestOrchestrator(dialect, { leaseMs: 60_000, commands: { programs: bin.programs } });
    });
    after(async () => {
      await t.dispose();
      bin.cleanup();
    });

    /** Resolves on the step's next committed `step.finished` event with that status. */
    function stepEvent(executionId: string, stepId: string, status: string): Promise<void> {
      return new Promise<void>((resolve) => {
        const listener = (e: { executionId: string; stepId: string; status: string }) => {
          if (e.executionId !== executionId || e.stepId !== stepId || e.status !== status) return;
          t.orch.events.off("step.finished", listener);
          resolve();
        };
        t.orch.events.on("step.finished", listener);
      });
    }

    /** Resolves once the step is waiting for a decision (its committed `step.finished` event), with its state. */
    async function waitingState(executionId: string, stepId: string): Promise<Record<string, unknown>> {
      const read = async () => (await t.orch.getExecution(executionId)).steps.find((s) => s.stepId === stepId);
      await new Promise<void>((resolve) => {
        const done = () => {
          t.orch.events.off("step.finished", listener);
          resolve();
        };
        const listener = (e: { executionId: string; stepId: string; status: string }) => {
          if (e.executionId === executionId && e.stepId === stepId && e.status === "waiting") done();
        };
        t.orch.events.on("step.finished", listener);
        // It may have started waiting before the listener was added.
        void read().then((step) => (step?.status === "waiting" ? done() : undefined));
      });
      return (await read())?.output as Record<string, unknown>;
    }

    test("seed 003's execute_remediation waits for approval, then runs and audits what it did", async () => {
      const executionId = await startWorkflow(t.orch, `
id: remediate-approved
name: remediate
steps:
  - id: "execute_remediation"
    type: "remediation"
    name: "执行修复"
    config:
      action_type: "kubectl"
      action: "patch_deployment"
      args: ["{{input.deployment}}", "--memory=512Mi"]
      message: "Raise the memory of {{input.deployment}}?"
      approvers: [sre-oncall]
`, { deployment: "api" });
      const state = await waitingState(executionId, "execute_remediation");
      assert.equal(state.status, "pending");
      assert.equal(state.message, "Raise the memory of api?");
      assert.deepEqual(state.approvers, ["sre-oncall"]);
      assert.deepEqual(state.action, { tool: "kubectl", args: ["patch_deployment", "api", "--memory=512Mi"] });

      await t.orch.decideApproval(executionId, "execute_remediation", { approved: true, userId: "alice", groups: ["sre-oncall"], comment: "go" });
      const { done, step } = await finishFirstStep(t.orch, executionId);
      assert.equal(done.status, "completed", done.error ?? "");
      const output = step.output as Record<string, unknown>;
      assert.equal(output.stdout, "patch_deployment\napi\n--memory=512Mi\n");
      assert.equal(output.approved_by, "alice");
      assert.equal(output.approved_at, t.clock.now());

      const records = await t.orch.getAuditLogs("default", { action: "remediation" });
      const record = records.find((r) => r.metadata.execution_id === executionId);
      assert.ok(record, "a remediation audit record");
      assert.equal(record.status, "success");
      assert.equal(record.userId, "alice");
      assert.equal(record.componentId, "remediate-approved");
      assert.deepEqual(
        { ...record.metadata, duration_ms: 0 },
        { execution_id: executionId, step_id: "execute_remediation", attempt: 0, tool: "kubectl", args: ["patch_deployment", "api", "--memory=512Mi"], approved_by: "alice", exit_code: 0, ran_on: "local", duration_ms: 0 },
      );
      assert.ok((await t.orch.getAuditLogs("default", { action: "approve_step" })).some((r) => r.metadata.execution_id === executionId));
      assert.equal((await t.orch.verifyAuditChain("default")).ok, true);
    });

    test("a rejected remediation does not run: the step fails without a retry and on_failure runs", async () => {
      const marker = join(bin.dir, `rejected-${dialect}`);
      const executionId = await startWorkflow(t.orch, `
name: remediate-rejected
steps:
  - id: fix
    type: remediation
    config: { action_type: flaky, args: ["${marker}"] }
    retry: { max_attempts: 3, initial_delay: 1s }
    on_failure: [escalate]
  - { id: escalate, type: wait, config: { duration: 0s } }
`, {});
      await waitingState(executionId, "fix");
      await t.orch.decideApproval(executionId, "fix", { approved: false, userId: "bob", comment: "not in business hours" });
      const done = await t.orch.waitForExecution(executionId);
      const fix = done.steps.find((s) => s.stepId === "fix");
      assert.equal(fix?.status, "failed");
      // Not retried: the runs are the one that asked and the one that read the decision.
      assert.equal(fix?.attempts, 2);
      assert.equal(fix?.error, "remediation rejected by bob: not in business hours");
      assert.equal(done.steps.find((s) => s.stepId === "escalate")?.status, "completed");
      assert.equal(existsSync(marker), false, "the action never ran");
      assert.equal((await t.orch.getAuditLogs("default", { action: "remediation" })).filter((r) => r.metadata.execution_id === executionId).length, 0);
    });

    test("approved once: a failed action is retried without asking again, and each run is audited", async () => {
      const marker = join(bin.dir, `retry-${dialect}`);
      const executionId = await startWorkflow(t.orch, `
name: remediate-retry
steps:
  # The run that asked for approval is one attempt of the budget: 3 leave one retry of the action.
  - { id: fix, type: remediation, config: { action_type: flaky, args: ["${marker}"] }, retry: { max_attempts: 3, initial_delay: 5s } }
`, {});
      await waitingState(executionId, "fix");
      const retrying = stepEvent(executionId, "fix", "retrying");
      await t.orch.decideApproval(executionId, "fix", { approved: true, userId: "carol" });
      await retrying;
      await t.clock.advance(60_000); // past the backoff delay, whatever attempt it counts from
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.equal((step.output as { approved_by: string }).approved_by, "carol");
      const asked = (await t.orch.getExecutionLogs(executionId)).filter((l) => /waits for approval/.test(l.message));
      assert.equal(asked.length, 1, "asked once");
      const records = (await t.orch.getAuditLogs("default", { action: "remediation" })).filter((r) => r.metadata.execution_id === executionId).sort((a, b) => Number(a.metadata.attempt) - Number(b.metadata.attempt));
      assert.deepEqual(records.map((r) => [r.status, r.metadata.attempt, r.metadata.exit_code]), [["failed", 0, 3], ["success", 1, 0]]);
      assert.equal(records[0]?.metadata.error, "flaky exited with code 3: not yet");
    });

    test("require_approval: false runs at once; an action that is not allowed fails and is audited as failed", async () => {
      const executionId = await startWorkflow(t.orch, `
name: remediate-now
steps:
  - { id: fix, type: remediation, config: { action_type: kubectl, action: rollout, args: [restart], require_approval: false } }
  - { id: forbidden, type: remediation, depends_on: [fix], config: { action_type: rm, args: ["-rf", "/"], require_approval: false } }
`, {});
      const done = await t.orch.waitForExecution(executionId);
      assert.equal(done.steps.find((s) => s.stepId === "fix")?.status, "completed");
      const forbidden = done.steps.find((s) => s.stepId === "forbidden");
      assert.equal(forbidden?.status, "failed");
      assert.match(forbidden?.error ?? "", /^config\.action_type: "rm" is not an allowed program/);
      const records = (await t.orch.getAuditLogs("default", { action: "remediation" })).filter((r) => r.metadata.execution_id === executionId);
      assert.deepEqual(records.map((r) => [r.metadata.step_id, r.status, r.userId]).sort(), [["fix", "success", "system"], ["forbidden", "failed", "system"]]);
    });

    test("a secret in the action's arguments is redacted from the waiting state, the output and the audit record", async () => {
      await t.orch.setSecret("patch_token", "tok-secret-98765");
      const executionId = await startWorkflow(t.orch, `
name: remediate-secret
steps:
  - { id: fix, type: remediation, config: { action_type: kubectl, action: patch, args: ["--token={{secrets.patch_token}}"] } }
`, {});
      const state = await waitingState(executionId, "fix");
      assert.deepEqual(state.action, { tool: "kubectl", args: ["patch", "--token=[REDACTED]"] });
      await t.orch.decideApproval(executionId, "fix", { approved: true, userId: "dave" });
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.equal((step.output as { stdout: string }).stdout, "patch\n--token=[REDACTED]\n");
      const records = (await t.orch.getAuditLogs("default", { action: "remediation" })).filter((r) => r.metadata.execution_id === executionId);
      assert.deepEqual(records.map((r) => r.metadata.args), [["patch", "--token=[REDACTED]"]]);
      assert.doesNotMatch(JSON.stringify(await t.orch.getExecution(executionId)), /tok-secret-98765/);
    });

    test("cancelling the execution while the action runs kills it and what it started", async () => {
      const report = await startReportServer();
      try {
        const executionId = await startWorkflow(t.orch, `
name: remediate-cancel
steps: [{ id: fix, type: remediation, config: { action_type: linger, args: ["${report.port}"], require_approval: false } }]
`, {});
        await report.bothReported;
        await t.orch.cancelExecution(executionId);
        const { done } = await finishFirstStep(t.orch, executionId);
        assert.equal(done.status, "cancelled");
        await report.bothGone();
      } finally {
        await report.close();
      }
    });

    test("decideApproval refuses a step type that does not wait for approval", async () => {
      const executionId = await startWorkflow(t.orch, `
name: not-approvable
steps: [{ id: w, type: wait, config: { duration: 1h } }]
`, {});
      await assert.rejects(t.orch.decideApproval(executionId, "w", { approved: true }), { code: "CONFLICT", message: /has no approval step w/ });
      await t.orch.cancelExecution(executionId);
    });
  });
}
