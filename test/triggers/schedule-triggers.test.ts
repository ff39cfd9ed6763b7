// Schedule triggers on a fake clock, on both dialects: next fire times across DST changes in
// Asia/Shanghai, America/New_York and Europe/London, fires recorded once per scheduled time, the
// catch-up policies after a gap with no node running, and definition triggers following versions.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Orchestrator, isSynergyMeshError } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import { DIALECTS, FakeClock, openTestOrchestrator, tempDatabase } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { nextFireTimes } from "../../src/triggers/cron/cron-schedule.js";
import { silentLogger } from "../../src/telemetry/logger.js";
import { randomBytes } from "node:crypto";

const FLOW = { id: "nightly", name: "nightly", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };
const QUIET: OrchestratorOptions = { startWorkers: false, triggers: { enabled: false } };

/** Local wall-clock time of `ms` in `zone`, as `YYYY-MM-DD HH:mm`. */
function local(ms: number, zone: string): string {
  return new Date(ms).toLocaleString("sv-SE", { timeZone: zone }).slice(0, 16);
}

describe("cron next fire times across DST (pure)", () => {
  test("America/New_York: 02:00 runs at 03:00 on the spring-forward day, 01:30 runs once on the fall-back day", () => {
    const spring = nextFireTimes({ cron: "0 2 * * *", timezone: "America/New_York" }, Date.UTC(2026, 2, 7, 12), 3);
    assert.deepEqual(spring.map((t) => local(t, "America/New_York")), ["2026-03-08 03:00", "2026-03-09 02:00", "2026-03-10 02:00"]);
    assert.deepEqual(spring.map((t) => new Date(t).toISOString()), ["2026-03-08T07:00:00.000Z", "2026-03-09T06:00:00.000Z", "2026-03-10T06:00:00.000Z"]);
    const fall = nextFireTimes({ cron: "30 1 * * *", timezone: "America/New_York" }, Date.UTC(2026, 9, 31, 12), 2);
    assert.deepEqual(fall.map((t) => new Date(t).toISOString()), ["2026-11-01T05:30:00.000Z", "2026-11-02T06:30:00.000Z"]);
  });

  test("Europe/London: an hourly-interval job runs on both 01:xx hours of the fall-back night, and skips the missing hour in spring", () => {
    const fall = nextFireTimes({ cron: "0 * * * *", timezone: "Europe/London" }, Date.UTC(2026, 9, 24, 23, 30), 4);
    assert.deepEqual(fall.map((t) => new Date(t).toISOString()), ["2026-10-25T00:00:00.000Z", "2026-10-25T01:00:00.000Z", "2026-10-25T02:00:00.000Z", "2026-10-25T03:00:00.000Z"]);
    assert.deepEqual(fall.map((t) => local(t, "Europe/London")), ["2026-10-25 01:00", "2026-10-25 01:00", "2026-10-25 02:00", "2026-10-25 03:00"]);
    const spring = nextFireTimes({ cron: "0 * * * *", timezone: "Europe/London" }, Date.UTC(2026, 2, 28, 23, 30), 3);
    assert.deepEqual(spring.map((t) => local(t, "Europe/London")), ["2026-03-29 00:00", "2026-03-29 02:00", "2026-03-29 03:00"]);
  });

  test("Asia/Shanghai has no DST: 02:00 local is always 18:00 UTC the day before", () => {
    const times = nextFireTimes({ cron: "0 2 * * *", timezone: "Asia/Shanghai" }, Date.UTC(2026, 2, 6), 300);
    assert.ok(times.every((t) => new Date(t).getUTCHours() === 18 && new Date(t).getUTCMinutes() === 0));
  });

  test("6-field patterns fire on seconds", () => {
    const times = nextFireTimes({ cron: "*/15 * * * * *", timezone: "UTC" }, Date.UTC(2026, 0, 1), 3);
    assert.deepEqual(times.map((t) => new Date(t).toISOString().slice(11, 19)), ["00:00:15", "00:00:30", "00:00:45"]);
  });
});

for (const dialect of DIALECTS) {
  describe(`schedule triggers: ${dialect}`, () => {
    let t: TestOrchestrator;
    before(async () => {
      t = await openTestOrchestrator(dialect, { ...QUIET, clock: new FakeClock(Date.UTC(2026, 2, 7, 12)) });
      await t.orch.registerWorkflow(FLOW, { status: "active" });
    });
    after(() => t.dispose());

    test("a New York 02:00 schedule fires once per scheduled time across the spring-forward day", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "nightly", type: "schedule", name: "ny", config: { cron: "0 2 * * *", timezone: "America/New_York" } });
      assert.deepEqual(trigger.nextFireTimes.slice(0, 2).map((ms) => local(ms, "America/New_York")), ["2026-03-08 03:00", "2026-03-09 02:00"]);
      for (let day = 0; day < 3; day++) {
        const { nextFireTimes: [next] } = await t.orch.getTrigger(trigger.triggerId);
        t.clock.set(next as number);
        await t.orch.runDueTriggers();
        // A second pass at the same time (another node, a retried tick) records nothing new.
        await t.orch.runDueTriggers();
      }
      const fires = await t.orch.listTriggerFires(trigger.triggerId);
      assert.deepEqual(fires.map((f) => local(f.scheduledAt, "America/New_York")).reverse(), ["2026-03-08 03:00", "2026-03-09 02:00", "2026-03-10 02:00"]);
      assert.ok(fires.every((f) => f.status === "started" && f.executionId !== null));
      const executions = await t.orch.listExecutions("default", { workflowId: "nightly" });
      assert.equal(executions.length, 3);
      assert.deepEqual(new Set(executions.map((e) => (e.input as { trigger: { scheduled_at: string } }).trigger.scheduled_at)).size, 3);
      assert.equal((await t.orch.getTrigger(trigger.triggerId)).fireCount, 3);
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("a paused workflow's scheduled time passes without a fire or a record", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "nightly", type: "schedule", config: { cron: "*/10 * * * * *" } });
      await t.orch.setWorkflowStatus("nightly", "paused");
      const before = (await t.orch.listExecutions()).length;
      const [due, following] = (await t.orch.getTrigger(trigger.triggerId)).nextFireTimes as [number, number];
      t.clock.set(due);
      await t.orch.runDueTriggers();
      assert.deepEqual(await t.orch.listTriggerFires(trigger.triggerId), []);
      assert.equal((await t.orch.getTrigger(trigger.triggerId)).nextFireTimes[0], following, "the schedule moved on");
      assert.equal((await t.orch.listExecutions()).length, before);
      await t.orch.setWorkflowStatus("nightly", "active");
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("bad schedule configs are refused with every problem at its path", async () => {
      await assert.rejects(
        t.orch.createTrigger({ workflowId: "nightly", type: "schedule", config: { cron: "61 * * * *", timezone: "Mars/Olympus", catch_up: "burst" } }),
        (error: unknown) => {
          assert.ok(isSynergyMeshError(error) && error.code === "VALIDATION_FAILED");
          const paths = (error.details?.issues as Array<{ path: string }>).map((i) => i.path).sort();
          assert.deepEqual(paths, ["config.catch_up", "config.cron", "config.timezone"]);
          return true;
        },
      );
      await assert.rejects(t.orch.createTrigger({ workflowId: "missing", type: "schedule", config: { cron: "* * * * *" } }), { code: "NOT_FOUND" });
      await assert.rejects(t.orch.createTrigger({ workflowId: "nightly", type: "manual" as never, config: {} }), (e: unknown) => isSynergyMeshError(e) && (e.details?.issues as Array<{ path: string }>)[0]?.path === "type");
    });

    test("another tenant's trigger answers exactly like a missing one", async () => {
      const other = await t.orch.createTenant("other", "basic" as never);
      const trigger = await t.orch.createTrigger({ workflowId: "nightly", type: "schedule", config: { cron: "0 3 * * *" } });
      const missing = await t.orch.getTrigger("no-such-trigger", other).catch((e: unknown) => e);
      const foreign = await t.orch.getTrigger(trigger.triggerId, other).catch((e: unknown) => e);
      assert.ok(isSynergyMeshError(missing) && isSynergyMeshError(foreign));
      assert.equal(foreign.code, missing.code);
      assert.equal(foreign.message.replace(trigger.triggerId, "X"), missing.message.replace("no-such-trigger", "X"));
      await assert.rejects(t.orch.deleteTrigger(trigger.triggerId, { tenantId: other }), { code: "NOT_FOUND" });
      assert.deepEqual(await t.orch.listTriggers(other), []);
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("definition triggers follow the workflow's versions and cannot be edited through the API", async () => {
      const v1 = { ...FLOW, id: "defined", triggers: [{ type: "schedule", name: "hourly", config: { cron: "0 * * * *" } }, { type: "manual", name: "by hand" }] };
      await t.orch.registerWorkflow(v1, { status: "active" });
      const [first, ...rest] = await t.orch.listTriggers("default", { workflowId: "defined" });
      assert.equal(rest.length, 0, "manual triggers are not stored");
      assert.equal(first?.source, "definition");
      await assert.rejects(t.orch.updateTrigger(first?.triggerId as string, { enabled: false }), { code: "CONFLICT" });
      await assert.rejects(t.orch.deleteTrigger(first?.triggerId as string), { code: "CONFLICT" });
      // A new version with the same trigger name keeps the trigger (same id); a new trigger is added.
      await t.orch.registerWorkflow({ ...v1, triggers: [{ type: "schedule", name: "hourly", config: { cron: "0 * * * *" } }, { type: "event", name: "on-order", config: { event: "order.*" } }] });
      const second = await t.orch.listTriggers("default", { workflowId: "defined" });
      assert.deepEqual(second.map((x) => x.name).sort(), ["hourly", "on-order"]);
      assert.equal(second.find((x) => x.name === "hourly")?.triggerId, first?.triggerId);
      // A bad trigger config in a definition fails registration at its definition path; nothing is saved.
      await assert.rejects(t.orch.registerWorkflow({ ...v1, triggers: [{ type: "webhook", config: { path: "x", method: "FETCH" } }] }), (e: unknown) => {
        assert.ok(isSynergyMeshError(e) && e.code === "VALIDATION_FAILED");
        assert.equal((e.details?.issues as Array<{ path: string }>)[0]?.path, "triggers[0].config.method");
        return true;
      });
      assert.equal((await t.orch.getWorkflow("defined")).currentVersion, 2);
      // A definition's webhook with neither a secret nor `public: true` (seed 001 writes one) is kept,
      // disabled, with the reason; the API refuses to create one.
      await t.orch.registerWorkflow({ ...v1, triggers: [{ type: "webhook", name: "unsigned", config: { path: "open" } }] });
      const [unsigned] = await t.orch.listTriggers("default", { workflowId: "defined" });
      assert.equal(unsigned?.enabled, false);
      assert.match(String(unsigned?.state.disabled_because), /needs a secret to verify signatures, or `public: true`/);
      await assert.rejects(t.orch.createTrigger({ workflowId: "defined", type: "webhook", config: { path: "other" } }), (e: unknown) => {
        assert.ok(isSynergyMeshError(e) && e.code === "VALIDATION_FAILED");
        assert.equal((e.details?.issues as Array<{ path: string }>)[0]?.path, "config.secret");
        return true;
      });
      // Removing the triggers from the definition removes them.
      await t.orch.registerWorkflow({ ...v1, triggers: [] });
      assert.deepEqual(await t.orch.listTriggers("default", { workflowId: "defined" }), []);
    });
  });

  describe(`schedule catch-up after a gap with no node: ${dialect}`, () => {
    /** Opens, creates an hourly trigger, closes; moves time 5 h 30 min on; reopens and runs what is due. */
    async function gap(config: Record<string, unknown>) {
      const db = await tempDatabase(dialect);
      const clock = new FakeClock(Date.UTC(2026, 0, 1, 0, 30));
      const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
      const open = () => Orchestrator.open({ ...QUIET, ...keys, clock, database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger });
      const first = await open();
      await first.registerWorkflow(FLOW, { status: "active" });
      const trigger = await first.createTrigger({ workflowId: "nightly", type: "schedule", config: { cron: "0 * * * *", ...config } });
      await first.close();
      clock.set(Date.UTC(2026, 0, 1, 5, 30));
      const second = await open();
      try {
        await second.runDueTriggers();
        const fires = (await second.listTriggerFires(trigger.triggerId)).reverse();
        const executions = await second.listExecutions();
        const next = (await second.getTrigger(trigger.triggerId)).nextFireTimes[0];
        return { fires, executions, next };
      } finally {
        await second.close();
        await db.cleanup();
      }
    }

    test("default `latest`: the most recent missed time fires once, the others are counted as skipped", async () => {
      const { fires, executions, next } = await gap({});
      assert.deepEqual(fires.map((f) => [new Date(f.scheduledAt).toISOString(), f.status, f.skipped]), [["2026-01-01T05:00:00.000Z", "started", 4]]);
      assert.equal(executions.length, 1);
      assert.equal(new Date(next as number).toISOString(), "2026-01-01T06:00:00.000Z");
    });

    test("`all` with max_catch_up 3: the three most recent missed times, oldest first", async () => {
      const { fires, executions } = await gap({ catch_up: "all", max_catch_up: 3 });
      assert.deepEqual(fires.map((f) => new Date(f.scheduledAt).toISOString()), ["2026-01-01T03:00:00.000Z", "2026-01-01T04:00:00.000Z", "2026-01-01T05:00:00.000Z"]);
      assert.equal(fires[2]?.skipped, 2);
      assert.equal(executions.length, 3);
    });

    test("`none`: nothing missed runs; one skipped record, and the schedule goes on", async () => {
      const { fires, executions, next } = await gap({ catch_up: "none" });
      assert.deepEqual(fires.map((f) => [f.status, f.skipped]), [["skipped", 5]]);
      assert.equal(executions.length, 0);
      assert.equal(new Date(next as number).toISOString(), "2026-01-01T06:00:00.000Z");
    });
  });
}
