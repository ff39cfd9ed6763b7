// The TriggerStore contract on both dialects: webhook paths unique per tenant, fires claimed by
// compare-and-set (one winner, one record per scheduled time), a batch of fires committed with
// their executions (a failing fire stops none of the others), state compare-and-set, and the
// strategy de-duplication window.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createAuditSealer } from "../../src/audit/audit-chain.js";
import { openStore } from "../../src/store/open-store.js";
import type { Store } from "../../src/store/store.js";
import type { NewExecution } from "../../src/store/engine-store.js";
import type { FireToRecord, TriggerRow } from "../../src/store/trigger-store.js";
import { TIER_QUOTAS } from "../../src/tenancy/tiers.js";
import { DIALECTS, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";

const sealer = createAuditSealer(randomBytes(32));

/** A one-step execution started by trigger `triggerId`'s fire at `at` (its idempotency key). */
function start(triggerId: string, at: number, stepExecutionIds = [`se-${triggerId}-${at}`]): NewExecution {
  const executionId = `ex-${triggerId}-${at}`;
  const tenantId = "tenant-aaaaaaaaaaaa";
  return {
    execution: { executionId, tenantId, workflowId: "w", version: 1, status: "pending", input: {}, output: null, error: null, priority: 5, createdAt: at, startedAt: null, finishedAt: null, deadlineAt: null, idempotencyKey: `schedule:${triggerId}:${at}` },
    steps: stepExecutionIds.map((id, i) => ({ stepExecutionId: id, executionId, tenantId, stepId: `s${i}`, status: "pending" as const, attempts: 0, failures: 0, lost: 0, output: null, error: null, startedAt: null, finishedAt: null })),
    tasks: [],
    logs: [],
    audit: [],
  };
}

function fireOf(triggerId: string, at: number, next: number, patch: Partial<FireToRecord> = {}): FireToRecord {
  return { fire: { triggerId, tenantId: "tenant-aaaaaaaaaaaa", scheduledAt: at, firedAt: at + 1, nodeId: "n", executionId: null, status: "started", error: null, skipped: 0 }, expected: at, next, keepRecord: true, start: start(triggerId, at), ...patch };
}

function row(id: string, patch: Partial<TriggerRow> = {}): TriggerRow {
  return { tenantId: "tenant-aaaaaaaaaaaa", triggerId: id, workflowId: "w", type: "schedule", name: id, config: { cron: "* * * * *" }, enabled: true, source: "api", webhookPath: null, nextFireAt: 1000, state: {}, stateVersion: 0, lastFiredAt: null, fireCount: 0, createdAt: 1, updatedAt: 1, ...patch };
}

for (const dialect of DIALECTS) {
  describe(`trigger store: ${dialect}`, () => {
    let db: TestDatabase;
    let store: Store;
    before(async () => {
      db = await tempDatabase(dialect);
      store = await openStore({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), sealer });
      await store.insertTenant({ tenantId: "tenant-aaaaaaaaaaaa", name: "a", tier: "basic", status: "active", quota: { ...TIER_QUOTAS.basic }, features: [], createdAt: 1, updatedAt: 1, deletedAt: null }, []);
    });
    after(async () => {
      await store.close();
      await db.cleanup();
    });

    test("a webhook path is unique per tenant, not across tenants", async () => {
      const hook = { type: "webhook" as const, webhookPath: "in", nextFireAt: null };
      assert.equal(await store.triggers.insertTrigger(row("h1", hook), []), "inserted");
      assert.equal(await store.triggers.insertTrigger(row("h2", hook), []), "path_taken");
      assert.equal(await store.triggers.insertTrigger(row("h1", { ...hook, webhookPath: "other" }), []), "exists");
      assert.equal(await store.triggers.insertTrigger(row("h3", { ...hook, tenantId: "tenant-bbbbbbbbbbbb" }), []), "inserted");
      assert.equal((await store.triggers.findWebhookTrigger("tenant-aaaaaaaaaaaa", "in"))?.triggerId, "h1");
      assert.equal(await store.triggers.findWebhookTrigger("tenant-cccccccccccc", "in"), undefined);
    });

    test("recordFires: one of two concurrent claims of a scheduled time wins, and the time is recorded once", async () => {
      await store.triggers.insertTrigger(row("s1"), []);
      assert.deepEqual((await store.triggers.dueTriggers(999, 10)).map((r) => r.triggerId), []);
      assert.deepEqual((await store.triggers.dueTriggers(1000, 10)).map((r) => r.triggerId), ["s1"]);
      const fire = { triggerId: "s1", tenantId: "tenant-aaaaaaaaaaaa", scheduledAt: 1000, firedAt: 1001, nodeId: "n", executionId: "e", status: "started" as const, error: null, skipped: 0 };
      const claim = async (f: typeof fire) => {
        const [result] = await store.triggers.recordFires([{ fire: f, expected: 1000, next: 2000, keepRecord: true }]);
        assert.ok(result?.ok, "the fire was written or lost the compare-and-set, not failed");
        return result.recorded;
      };
      const results = await Promise.all([claim(fire), claim({ ...fire, nodeId: "m" })]);
      assert.deepEqual(results.sort(), [false, true]);
      const fires = await store.triggers.listFires("tenant-aaaaaaaaaaaa", "s1");
      assert.equal(fires.length, 1);
      const after = await store.triggers.getTrigger("tenant-aaaaaaaaaaaa", "s1");
      assert.deepEqual([after?.nextFireAt, after?.fireCount, after?.lastFiredAt], [2000, 1, 1001]);
      assert.equal(await store.triggers.nextTriggerTime(), 2000);
      assert.equal(await store.triggers.claimCheck("tenant-aaaaaaaaaaaa", "s1", 1000, 3000), false);
      assert.equal(await store.triggers.claimCheck("tenant-aaaaaaaaaaaa", "s1", 2000, 3000), true);
    });

    test("a suspended, deleted or unknown tenant's timed triggers are neither due nor armed", async () => {
      await store.insertTenant({ tenantId: "tenant-dddddddddddd", name: "d", tier: "basic", status: "active", quota: { ...TIER_QUOTAS.basic }, features: [], createdAt: 1, updatedAt: 1, deletedAt: null }, []);
      await store.triggers.insertTrigger(row("d1", { tenantId: "tenant-dddddddddddd", nextFireAt: 10 }), []);
      await store.triggers.insertTrigger(row("x1", { tenantId: "tenant-xxxxxxxxxxxx", nextFireAt: 10 }), []);
      const due = async () => (await store.triggers.dueTriggers(10, 100)).map((r) => r.triggerId);
      assert.deepEqual(await due(), ["d1"], "a trigger of a tenant that does not exist never fires");
      assert.equal(await store.triggers.nextTriggerTime(), 10);
      await store.updateTenant("tenant-dddddddddddd", () => ({ patch: { status: "suspended", updatedAt: 2 }, audit: [] }));
      assert.deepEqual(await due(), []);
      assert.notEqual(await store.triggers.nextTriggerTime(), 10);
      await store.updateTenant("tenant-dddddddddddd", () => ({ patch: { status: "active", deletedAt: 3, updatedAt: 3 }, audit: [] }));
      assert.deepEqual(await due(), [], "deleted");
      await store.updateTenant("tenant-dddddddddddd", () => ({ patch: { deletedAt: null, updatedAt: 4 }, audit: [] }));
      assert.equal(await store.triggers.restartTimedTriggers("tenant-dddddddddddd", () => 50), 1);
      assert.deepEqual([await due(), (await store.triggers.getTrigger("tenant-dddddddddddd", "d1"))?.nextFireAt], [[], 50]);
      await store.triggers.deleteTrigger("tenant-dddddddddddd", "d1", []);
    });

    test("recordFires: one commit records a batch with its executions; a fire that cannot be written stops none of the others", async () => {
      for (const id of ["b1", "b2", "b3", "b4"]) await store.triggers.insertTrigger(row(id, { nextFireAt: 5000 }), []);
      const results = await store.triggers.recordFires([
        fireOf("b1", 5000, 6000),
        // Two steps with one id: its insert fails, so the batch's transaction fails and each fire is tried alone.
        fireOf("b2", 5000, 6000, { start: start("b2", 5000, ["same", "same"]) }),
        fireOf("b3", 4000, 6000),
        fireOf("b4", 5000, 6000, { fire: { ...fireOf("b4", 5000, 6000).fire, status: "refused", error: "RATE_LIMITED: slow down" }, start: undefined }),
      ]);
      assert.deepEqual(results.map((r) => (r.ok ? [r.recorded, r.fire.status, r.fire.executionId] : "failed")), [[true, "started", "ex-b1-5000"], "failed", [false, "started", null], [true, "refused", null]]);
      const next = async (id: string) => (await store.triggers.getTrigger("tenant-aaaaaaaaaaaa", id))?.nextFireAt;
      assert.deepEqual([await next("b1"), await next("b2"), await next("b3"), await next("b4")], [6000, 5000, 5000, 6000], "b2 stays due; b3 claimed a time it did not hold");
      assert.equal((await store.engine.getExecution("tenant-aaaaaaaaaaaa", "ex-b1-5000"))?.idempotencyKey, "schedule:b1:5000");
      assert.equal(await store.engine.getExecution("tenant-aaaaaaaaaaaa", "ex-b2-5000"), undefined, "nothing of the failed fire was written");
      assert.equal(await store.engine.getExecution("tenant-aaaaaaaaaaaa", "ex-b3-4000"), undefined, "a lost claim starts nothing");
      assert.deepEqual((await store.triggers.listFires("tenant-aaaaaaaaaaaa", "b4")).map((f) => [f.status, f.error]), [["refused", "RATE_LIMITED: slow down"]]);
      assert.deepEqual((await store.triggers.listFires("tenant-aaaaaaaaaaaa", "b2")).length, 0);

      // The same times again (another node, a retried pass): nothing is recorded twice. A start whose
      // key exists (a node of an older version started it, then died) records the execution as `duplicate`.
      const again = await store.triggers.recordFires([fireOf("b1", 5000, 6000), fireOf("b2", 5000, 6000)]);
      assert.deepEqual(again.map((r) => r.ok && [r.recorded, r.fire.status]), [[false, "started"], [true, "started"]]);
      await store.engine.createExecution(start("b1", 6000));
      const dup = await store.triggers.recordFires([fireOf("b1", 6000, 7000, { start: { ...start("b1", 6000), execution: { ...start("b1", 6000).execution, executionId: "ex-other" } } })]);
      assert.deepEqual(dup.map((r) => r.ok && [r.recorded, r.fire.status, r.fire.executionId]), [[true, "duplicate", "ex-b1-6000"]]);
      assert.deepEqual((await store.triggers.getTrigger("tenant-aaaaaaaaaaaa", "b1"))?.fireCount, 2);
    });

    test("setTriggerState is compare-and-set on the state version", async () => {
      assert.equal(await store.triggers.setTriggerState("tenant-aaaaaaaaaaaa", "s1", 0, { value: true }), true);
      assert.equal(await store.triggers.setTriggerState("tenant-aaaaaaaaaaaa", "s1", 0, { value: false }), false);
      const t = await store.triggers.getTrigger("tenant-aaaaaaaaaaaa", "s1");
      assert.deepEqual([t?.state, t?.stateVersion], [{ value: true }, 1]);
    });

    test("claimStrategyRun: one run per fingerprint and window, reopened after the window", async () => {
      const first = await store.triggers.claimStrategyRun("tenant-aaaaaaaaaaaa", "st", "fp", 10_000, 5000);
      const racing = await Promise.all(Array.from({ length: 5 }, () => store.triggers.claimStrategyRun("tenant-aaaaaaaaaaaa", "st", "fp", 12_000, 5000)));
      assert.equal(first.claimed, true);
      assert.ok(racing.every((r) => !r.claimed && r.runKey === first.runKey));
      const other = await store.triggers.claimStrategyRun("tenant-aaaaaaaaaaaa", "st", "fp2", 12_000, 5000);
      assert.equal(other.claimed, true);
      const later = await store.triggers.claimStrategyRun("tenant-aaaaaaaaaaaa", "st", "fp", 15_000, 5000);
      assert.equal(later.claimed, true);
      assert.notEqual(later.runKey, first.runKey);
    });
  });
}
