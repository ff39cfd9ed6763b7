// Event triggers and diagnosis strategies through publishEvent, on both dialects: name globs and CEL
// filters, re-sent event ids, tenancy, the rate limit, strategy CRUD with coded errors, the four
// built-in Kubernetes strategies running their examples/diagnosis workflows (stand-in step types
// `command`, `ai_analysis`, `remediation`, since the real ones are built elsewhere), priority and
// the de-duplication window under an event storm.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { isSynergyMeshError } from "synergymesh";
import type { StepContext } from "synergymesh";
import { DIALECTS, FakeClock, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";

const FLOW = (id: string) => ({ id, name: id, steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] });
const DIAGNOSES = ["diagnose_pod_crashloop", "diagnose_node_not_ready", "diagnose_oom_killed", "diagnose_pvc_pending"];

function example(id: string): string {
  return readFileSync(new URL(`../../examples/diagnosis/${id}.yaml`, import.meta.url), "utf8");
}

function issuePaths(error: unknown): string[] {
  assert.ok(isSynergyMeshError(error) && error.code === "VALIDATION_FAILED", String(error));
  return (error.details?.issues as Array<{ path: string }>).map((i) => i.path).sort();
}

for (const dialect of DIALECTS) {
  describe(`event triggers: ${dialect}`, () => {
    let t: TestOrchestrator;
    before(async () => {
      t = await openTestOrchestrator(dialect, { startWorkers: false, triggers: { enabled: false } });
      await t.orch.registerWorkflow(FLOW("orders"), { status: "active" });
      await t.orch.registerWorkflow(FLOW("drafty"));
    });
    after(() => t.dispose());

    test("a name glob and a CEL filter over the payload pick the events; a re-sent id starts nothing new", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "orders", type: "event", config: { event: "order.*", filter: "payload.total > 100.0", input: { source: "shop" } } });
      const big = await t.orch.publishEvent("default", { name: "order.created", payload: { total: 150 }, id: "evt-1" });
      assert.equal(big.executions.length, 1);
      assert.deepEqual([big.executions[0]?.triggerId, big.executions[0]?.duplicate], [trigger.triggerId, false]);
      const input = (await t.orch.getExecution(big.executions[0]?.executionId as string)).input as { source: string; event: { name: string; payload: unknown; id: string } };
      assert.deepEqual([input.source, input.event.name, input.event.payload, input.event.id], ["shop", "order.created", { total: 150 }, "evt-1"]);
      assert.deepEqual((await t.orch.publishEvent("default", { name: "order.created", payload: { total: 50 } })).executions, []);
      assert.deepEqual((await t.orch.publishEvent("default", { name: "invoice.created", payload: { total: 500 } })).executions, []);
      const again = await t.orch.publishEvent("default", { name: "order.created", payload: { total: 150 }, id: "evt-1" });
      assert.deepEqual([again.executions[0]?.executionId, again.executions[0]?.duplicate], [big.executions[0]?.executionId, true]);
      // A filter that fails on an event (a missing field) skips that trigger with the reason.
      const odd = await t.orch.publishEvent("default", { name: "order.created", payload: { note: "no total" } });
      assert.equal(odd.executions.length, 0);
      assert.match(odd.skipped[0]?.reason ?? "", /EXPRESSION_ERROR/);
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("a trigger of a draft workflow starts nothing and says why", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "drafty", type: "event", config: { event: "ping" } });
      const result = await t.orch.publishEvent("default", { name: "ping" });
      assert.deepEqual(result.executions, []);
      assert.match(result.skipped[0]?.reason ?? "", /CONFLICT: Workflow drafty is draft/);
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("one tenant's event never starts another tenant's workflow", async () => {
      const other = await t.orch.createTenant("other", "basic" as never);
      await t.orch.registerWorkflow(FLOW("orders"), { status: "active", tenantId: other });
      await t.orch.createTrigger({ workflowId: "orders", type: "event", config: { event: "shared.*" } }, { tenantId: other });
      const mine = await t.orch.publishEvent("default", { name: "shared.thing" });
      assert.deepEqual(mine.executions, []);
      const theirs = await t.orch.publishEvent(other, { name: "shared.thing" });
      assert.equal(theirs.executions.length, 1);
      assert.equal((await t.orch.listExecutions(other)).length, 1);
    });

    test("bad events are refused with paths; each event takes one admission of the rate limit", async () => {
      assert.deepEqual(issuePaths(await t.orch.publishEvent("default", { name: "", payload: [] as never }).catch((e: unknown) => e)), ["name", "payload"]);
      const tenant = await t.orch.createTenant("limited", "basic" as never);
      await t.orch.modifyQuota(tenant, { rateLimitPerSecond: 2 });
      await t.orch.publishEvent(tenant, { name: "a" });
      await t.orch.publishEvent(tenant, { name: "a" });
      await assert.rejects(t.orch.publishEvent(tenant, { name: "a" }), { code: "RATE_LIMITED" });
      await t.clock.advance(1000);
      await t.orch.publishEvent(tenant, { name: "a" });
    });
  });

  describe(`diagnosis strategies: ${dialect}`, () => {
    let t: TestOrchestrator;
    let slack: LocalServer;
    let rootCause = "OOM";
    const commands: string[] = [];
    before(async () => {
      slack = await startLocalServer();
      t = await openTestOrchestrator(dialect, { clock: new FakeClock(Date.UTC(2026, 5, 1)), notificationChannels: { slack: { url: `${slack.origin}/hook`, egress: { allow: ["127.0.0.1"] } } } });
      // Stand-ins for the real command, ai_analysis and remediation types (no kubectl, no model here).
      t.orch.registerStepExecutor({
        type: "command",
        execute: (ctx: StepContext) => {
          const c = ctx.config as { tool: string; action: string; args?: string[] };
          commands.push([c.tool, c.action, ...(c.args ?? [])].join(" "));
          return { stdout: `${c.tool} ${c.action} ok`, exit_code: 0 };
        },
      }, { replace: true });
      t.orch.registerStepExecutor({ type: "ai_analysis", execute: () => ({ analysis: { root_cause: rootCause, summary: `root cause ${rootCause}` } }) }, { replace: true });
      t.orch.registerStepExecutor({ type: "remediation", execute: (ctx: StepContext) => ({ applied: true, action: (ctx.config as { action: string }).action }) }, { replace: true });
      for (const id of DIAGNOSES) await t.orch.registerWorkflow(example(id), { status: "active" });
    });
    after(async () => {
      await t.dispose();
      await slack.close();
    });

    test("strategy CRUD: coded errors with paths, priority order, tenancy", async () => {
      assert.deepEqual(issuePaths(await t.orch.createStrategy({ name: "x", symptoms: [{ type: "metric", pattern: "restarts", conditions: { operator: "~", threshold: "3" } }] }).catch((e: unknown) => e)), [
        "symptoms[0].conditions.operator",
        "symptoms[0].conditions.threshold",
        "workflowId",
      ]);
      assert.deepEqual(issuePaths(await t.orch.createStrategy({ name: "x", workflow_id: "w", symptoms: [], dedup_window: "soon" }).catch((e: unknown) => e)), ["dedupWindow", "symptoms"]);
      const low = await t.orch.createStrategy({ strategy_id: "restarts", name: "Many restarts", workflow_id: "diagnose_pod_crashloop", priority: 3, symptoms: [{ type: "metric", pattern: "restart_count", conditions: { operator: ">=", threshold: 5 } }] });
      await assert.rejects(t.orch.createStrategy({ strategyId: "restarts", name: "again", workflowId: "diagnose_pod_crashloop", symptoms: [{ type: "log", pattern: "x" }] }), { code: "CONFLICT" });
      // A strategy starts only a workflow of its own tenant.
      await assert.rejects(t.orch.createStrategy({ name: "nowhere", workflowId: "no-such-workflow", symptoms: [{ type: "log", pattern: "x" }] }), { code: "NOT_FOUND" });
      const updated = await t.orch.updateStrategy(low.strategyId, { priority: 4, enabled: false });
      assert.deepEqual([updated.priority, updated.enabled], [4, false]);
      const other = await t.orch.createTenant("other", "basic" as never);
      await assert.rejects(t.orch.getStrategy(low.strategyId, other), { code: "NOT_FOUND" });
      await assert.rejects(t.orch.deleteStrategy(low.strategyId, { tenantId: other }), { code: "NOT_FOUND" });
      await t.orch.deleteStrategy(low.strategyId);
      await assert.rejects(t.orch.getStrategy(low.strategyId), { code: "NOT_FOUND" });
    });

    test("the four built-in strategies start their diagnosis workflows, which run to the end", async () => {
      const installed = await t.orch.installBuiltinStrategies();
      assert.deepEqual(installed.map((s) => [s.strategyId, s.workflowId, s.priority]), [
        ["k8s-crashloopbackoff", "diagnose_pod_crashloop", 10],
        ["k8s-nodenotready", "diagnose_node_not_ready", 9],
        ["k8s-oomkilling", "diagnose_oom_killed", 10],
        ["k8s-failedbinding", "diagnose_pvc_pending", 7],
      ]);
      assert.equal((await t.orch.installBuiltinStrategies()).length, 4, "installing again adds nothing");
      const events = [
        { reason: "CrashLoopBackOff", namespace: "shop", pod: "api-1" },
        { reason: "NodeNotReady", node: "worker-3" },
        { reason: "OOMKilling", namespace: "shop", pod: "api-2" },
        { reason: "FailedBinding", namespace: "shop", pvc: "data-0" },
      ];
      for (const [i, payload] of events.entries()) {
        const result = await t.orch.publishEvent("default", { name: "k8s.event", payload: { ...payload, severity: "high" } });
        assert.equal(result.executions.length, 1, `event ${payload.reason}`);
        const run = result.executions[0];
        assert.deepEqual([run?.strategyId, run?.workflowId], [installed[i]?.strategyId, DIAGNOSES[i]]);
        const done = await t.orch.waitForExecution(run?.executionId as string);
        assert.equal(done.status, "completed", `${DIAGNOSES[i]}: ${done.error}`);
      }
      const crash = (await t.orch.listExecutions("default", { workflowId: "diagnose_pod_crashloop" }))[0];
      const steps = Object.fromEntries((await t.orch.getExecution(crash?.executionId as string)).steps.map((s) => [s.stepId, s.status]));
      assert.deepEqual([steps.execute_remediation, steps.notify_success, steps.notify_owner, steps.notify_failure], ["completed", "completed", "skipped", "skipped"]);
      assert.ok(commands.includes("kubectl logs --tail=100 --previous --namespace=shop api-1"));
      assert.ok(slack.requests.some((r) => r.body.includes("api-1 was repaired automatically")));
    });

    test("an event storm starts one run per fingerprint and window; a new fingerprint or a closed window starts another", async () => {
      const storm = await Promise.all(Array.from({ length: 40 }, () => t.orch.publishEvent("default", { name: "k8s.event", payload: { reason: "CrashLoopBackOff", namespace: "shop", pod: "web-7" } })));
      const ids = new Set(storm.map((r) => r.executions[0]?.executionId));
      assert.equal(ids.size, 1, "one execution for the whole storm");
      assert.equal(storm.filter((r) => r.executions[0]?.duplicate === false).length, 1);
      const otherPod = await t.orch.publishEvent("default", { name: "k8s.event", payload: { reason: "CrashLoopBackOff", namespace: "shop", pod: "web-8" } });
      assert.ok(!ids.has(otherPod.executions[0]?.executionId));
      await t.clock.advance(5 * 60_000);
      const later = await t.orch.publishEvent("default", { name: "k8s.event", payload: { reason: "CrashLoopBackOff", namespace: "shop", pod: "web-7" } });
      assert.equal(later.executions[0]?.duplicate, false);
      assert.ok(!ids.has(later.executions[0]?.executionId));
    });

    test("the highest-priority enabled match wins; symptoms combine event, metric and log patterns", async () => {
      rootCause = "Config";
      await t.orch.createStrategy({
        strategyId: "crashloop-payments",
        name: "Payments crash loops",
        workflowId: "diagnose_oom_killed",
        priority: 20,
        symptoms: [
          { type: "event", pattern: "crash*", conditions: { severity: "high", labels: { team: "pay*" } } },
          { type: "metric", pattern: "restart_count", conditions: { operator: ">=", threshold: 5 } },
          { type: "log", pattern: "out of memory" },
        ],
      });
      const payload = { reason: "CrashLoopBackOff", severity: "critical", labels: { team: "payments" }, metrics: { restart_count: 7 }, message: "container ran Out Of Memory", namespace: "pay", pod: "pay-1" };
      const hit = await t.orch.publishEvent("default", { name: "k8s.event", payload });
      assert.equal(hit.executions[0]?.strategyId, "crashloop-payments");
      const fewRestarts = await t.orch.publishEvent("default", { name: "k8s.event", payload: { ...payload, pod: "pay-2", metrics: { restart_count: 2 } } });
      assert.equal(fewRestarts.executions[0]?.strategyId, "k8s-crashloopbackoff");
      const lowSeverity = await t.orch.publishEvent("default", { name: "k8s.event", payload: { ...payload, pod: "pay-3", severity: "medium" } });
      assert.equal(lowSeverity.executions[0]?.strategyId, "k8s-crashloopbackoff");
      await t.orch.updateStrategy("crashloop-payments", { enabled: false });
      const disabled = await t.orch.publishEvent("default", { name: "k8s.event", payload: { ...payload, pod: "pay-4" } });
      assert.equal(disabled.executions[0]?.strategyId, "k8s-crashloopbackoff");
      const done = await t.orch.waitForExecution(disabled.executions[0]?.executionId as string);
      const steps = Object.fromEntries(done.steps.map((s) => [s.stepId, s.status]));
      assert.deepEqual([steps.notify_owner, steps.execute_remediation], ["completed", "skipped"], `a Config root cause notifies the owner: ${JSON.stringify(done.steps.map((s) => [s.stepId, s.status, s.output, s.error]))}`);
    });
  });
}
