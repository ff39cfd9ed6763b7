// Triggers stop with their tenant, on both dialects and fake clocks: a tenant deleted on one node
// has its schedules neither fired (no `refused` record every time) nor armed on another node
// sharing the database, from that node's next pass; a suspended tenant's schedules stop too, and
// start again from now when it is resumed (its time suspended is not missed time).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { Orchestrator, TenantTier } from "synergymesh";
import type { OrchestratorOptions, TriggerFiredEvent } from "synergymesh";
import { DIALECTS, FakeClock, openTestOrchestrator, tempDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

const TICK = { id: "tick", name: "tick", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };
const START = Date.UTC(2026, 5, 1, 10, 0, 1);
const at = (second: number) => Date.UTC(2026, 5, 1, 10, 0, second);

for (const dialect of DIALECTS) {
  test(`${dialect}: a tenant deleted on another node: its schedules are not fired nor armed at this node's next pass`, async () => {
    const db = await tempDatabase(dialect);
    const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
    const open = (nodeId: string, clock: FakeClock, options: OrchestratorOptions) =>
      Orchestrator.open({ ...keys, nodeId, clock, logger: silentLogger, startWorkers: false, database: db.database, ...(db.schema ? { schema: db.schema } : {}), ...options });
    // Node A runs the trigger loop on its own fake clock; node B (no loop) is where the tenant is deleted.
    const clockA = new FakeClock(START);
    const b = await open("node-b", new FakeClock(START), { triggers: { enabled: false } });
    let a: Orchestrator | undefined;
    try {
      const doomed = await b.createTenant("Doomed", TenantTier.BASIC);
      const kept = await b.createTenant("Kept", TenantTier.BASIC);
      for (const tenantId of [doomed, kept]) await b.registerWorkflow(TICK, { tenantId, status: "active" });
      const every5 = await b.createTrigger({ workflowId: "tick", type: "schedule", config: { cron: "*/5 * * * * *" } }, { tenantId: doomed });
      const every10 = await b.createTrigger({ workflowId: "tick", type: "schedule", config: { cron: "*/10 * * * * *" } }, { tenantId: kept });
      a = await open("node-a", clockA, { triggers: { enabled: true, pollMs: 60_000 } });
      const fired: TriggerFiredEvent[] = [];
      a.triggerEvents.on("trigger.fired", (e) => fired.push(e));
      // A sleeps exactly until the doomed tenant's first time, 10:00:05.
      assert.equal((await clockA.timerOf(4000)).at, at(5));

      await b.deleteTenant(doomed);
      await clockA.advance(4000);
      // A's pass at 10:00:05 found nothing due and armed only the kept tenant's 10:00:10.
      assert.equal((await clockA.timerOf(5000)).at, at(10));
      assert.equal(fired.length, 0);
      const keptFired = new Promise<TriggerFiredEvent>((resolve) => a?.triggerEvents.once("trigger.fired", resolve));
      await clockA.advance(5000);
      assert.deepEqual([(await keptFired).triggerId, (await keptFired).status], [every10.triggerId, "started"]);
      await clockA.timerOf(10_000);
      assert.deepEqual(fired.map((e) => e.triggerId), [every10.triggerId], "the deleted tenant's 10:00:05 and 10:00:10 passed without a fire");
      assert.deepEqual(await b.listTriggerFires(every5.triggerId, { tenantId: doomed }), [], "and without a refused record");
      // The trigger is kept with the tenant's data (SPEC D), and the audit log is untouched.
      assert.equal((await b.getTrigger(every5.triggerId, doomed)).enabled, true);
      assert.ok((await b.verifyAuditChain(doomed)).ok);
    } finally {
      await a?.close();
      await b.close();
      await db.cleanup();
    }
  });

  test(`${dialect}: a suspended tenant's schedules stop; resumed, they start again from now`, async () => {
    const t = await openTestOrchestrator(dialect, { startWorkers: false, triggers: { enabled: false }, clock: new FakeClock(START) });
    try {
      const { orch, clock } = t;
      const tenantId = await orch.createTenant("Paused", TenantTier.BASIC);
      await orch.registerWorkflow(TICK, { tenantId, status: "active" });
      const trigger = await orch.createTrigger({ workflowId: "tick", type: "schedule", config: { cron: "*/5 * * * * *" } }, { tenantId });
      await orch.suspendTenant(tenantId);
      clock.set(at(11));
      await orch.runDueTriggers();
      assert.deepEqual(await orch.listTriggerFires(trigger.triggerId, { tenantId }), [], "10:00:05 and 10:00:10 passed while suspended, unrecorded");

      await orch.resumeTenant(tenantId);
      assert.equal((await orch.getTrigger(trigger.triggerId, tenantId)).nextFireTimes[0], at(15), "starts again from now");
      clock.set(at(16));
      await orch.runDueTriggers();
      const fires = await orch.listTriggerFires(trigger.triggerId, { tenantId });
      assert.deepEqual(fires.map((f) => [f.scheduledAt, f.status, f.skipped]), [[at(15), "started", 0]], "no catch-up of the times suspended");
      // Resuming a tenant that is not suspended restarts nothing.
      await orch.resumeTenant(tenantId);
      assert.equal((await orch.getTrigger(trigger.triggerId, tenantId)).nextFireTimes[0], at(20));
    } finally {
      await t.dispose();
    }
  });
}
