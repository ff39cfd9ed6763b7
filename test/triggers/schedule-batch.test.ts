// Schedules due at one instant fire together (one commit), on both dialects and a fake clock: a
// start refused by the tenant's rate limit or a workflow that is not active stops none of the
// others, and two nodes sharing one database that handle the same instant record every time once.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { Orchestrator, TenantTier } from "synergymesh";
import type { OrchestratorOptions, Trigger, TriggerFiredEvent } from "synergymesh";
import { DIALECTS, FakeClock, openTestOrchestrator, rawQuery, tempDatabase } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

const QUIET: OrchestratorOptions = { startWorkers: false, triggers: { enabled: false } };
const TICK = { id: "tick", name: "tick", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };
const EVERY_10S = { cron: "*/10 * * * * *" };

for (const dialect of DIALECTS) {
  describe(`schedules fired together: ${dialect}`, () => {
    let t: TestOrchestrator;
    before(async () => {
      t = await openTestOrchestrator(dialect, { ...QUIET, clock: new FakeClock(Date.UTC(2026, 4, 1, 8, 0, 1)) });
    });
    after(() => t.dispose());

    test("refused and inactive fires in the batch stop none of the others", async () => {
      const { orch, clock } = t;
      await orch.registerWorkflow(TICK, { status: "active" });
      await orch.registerWorkflow({ ...TICK, id: "paused-tick" }, { status: "active" });
      const limited = await orch.createTenant("Limited", TenantTier.BASIC);
      await orch.registerWorkflow(TICK, { tenantId: limited, status: "active" });
      const ok: Trigger[] = [];
      for (let i = 0; i < 5; i++) ok.push(await orch.createTrigger({ workflowId: "tick", type: "schedule", name: `t${i}`, config: { ...EVERY_10S, input: { n: i } } }));
      const paused = await orch.createTrigger({ workflowId: "paused-tick", type: "schedule", config: EVERY_10S });
      const refused = await orch.createTrigger({ workflowId: "tick", type: "schedule", config: EVERY_10S }, { tenantId: limited });
      await orch.setWorkflowStatus("paused-tick", "paused");
      await orch.modifyQuota(limited, { rateLimitPerSecond: 0 });
      const told: TriggerFiredEvent[] = [];
      orch.triggerEvents.on("trigger.fired", (e) => told.push(e));

      const at = Date.UTC(2026, 4, 1, 8, 0, 10);
      clock.set(at);
      await orch.runDueTriggers();

      assert.deepEqual(told.map((e) => [e.triggerId, e.status]).sort(), [...ok.map((x) => [x.triggerId, "started"]), [refused.triggerId, "refused"], [paused.triggerId, "skipped"]].sort());
      for (const [i, trigger] of ok.entries()) {
        const [fire] = await orch.listTriggerFires(trigger.triggerId);
        assert.equal(fire?.scheduledAt, at);
        const execution = await orch.getExecution(fire?.executionId as string);
        assert.deepEqual(execution.input, { n: i, trigger: { id: trigger.triggerId, type: "schedule", scheduled_at: new Date(at).toISOString() } });
      }
      const [refusal] = await orch.listTriggerFires(refused.triggerId, { tenantId: limited });
      assert.equal(refusal?.status, "refused");
      assert.match(refusal?.error ?? "", /^RATE_LIMITED/);
      assert.deepEqual(await orch.listTriggerFires(paused.triggerId), [], "a paused workflow's time passes without a record");
      // Every trigger moved on to its next time, refused and inactive ones too (no retry burst).
      for (const trigger of [...ok, paused]) assert.equal((await orch.getTrigger(trigger.triggerId)).nextFireTimes[0], at + 10_000);
      assert.equal((await orch.getTrigger(refused.triggerId, limited)).nextFireTimes[0], at + 10_000);
      assert.equal((await orch.listExecutions("default", { workflowId: "tick" })).length, 5);
      assert.equal((await orch.listExecutions(limited)).length, 0);
      assert.ok((await orch.verifyAuditChain("default")).ok, "the batch's audit records chain as one commit's");

      // The same instant again (a retried pass) records nothing new.
      await orch.runDueTriggers();
      assert.equal(told.length, 7);
    });
  });

  test(`${dialect}: two nodes sharing one database fire the same instants: each time once, told by the node that recorded it`, async () => {
    const db = await tempDatabase(dialect);
    const clock = new FakeClock(Date.UTC(2026, 4, 1, 9, 0, 1));
    const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
    const open = (nodeId: string) => Orchestrator.open({ ...QUIET, ...keys, nodeId, clock, logger: silentLogger, database: db.database, ...(db.schema ? { schema: db.schema } : {}) });
    const a = await open("node-a");
    const b = await open("node-b");
    try {
      await a.registerWorkflow(TICK, { status: "active" });
      const triggers: Trigger[] = [];
      for (let i = 0; i < 12; i++) triggers.push(await a.createTrigger({ workflowId: "tick", type: "schedule", config: EVERY_10S }));
      const told: string[] = [];
      for (const node of [a, b]) node.triggerEvents.on("trigger.fired", (e) => told.push(`${e.triggerId}@${e.scheduledAt}:${e.status}`));
      const instants = [10, 20, 30].map((s) => Date.UTC(2026, 4, 1, 9, 0, s));
      for (const at of instants) {
        clock.set(at);
        await Promise.all([a.runDueTriggers(), b.runDueTriggers()]);
      }
      const expected = instants.flatMap((at) => triggers.map((x) => `${x.triggerId}@${at}:started`));
      assert.deepEqual([...told].sort(), [...expected].sort(), "every time told once, by one node");
      const fires = await rawQuery<{ trigger_id: string; scheduled_at: string; execution_id: string; status: string }>(db, "SELECT trigger_id, scheduled_at, execution_id, status FROM trigger_fires");
      assert.equal(fires.length, 36);
      assert.ok(fires.every((f) => f.status === "started" && f.execution_id !== null));
      const executions = await rawQuery<{ execution_id: string; idempotency_key: string }>(db, "SELECT execution_id, idempotency_key FROM executions");
      assert.equal(executions.length, 36, "one execution per trigger and time");
      assert.deepEqual(new Set(executions.map((e) => e.execution_id)), new Set(fires.map((f) => f.execution_id)));
      for (const x of triggers) assert.equal((await a.getTrigger(x.triggerId)).fireCount, 3);
    } finally {
      await a.close();
      await b.close();
      await db.cleanup();
    }
  });
}
