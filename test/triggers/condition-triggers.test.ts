// Condition triggers on a fake clock, on both dialects: an expression over JSON fetched from a real
// local HTTP server (allowed by the tenant's egress policy) fires on false -> true only, is checked
// once per interval, records failures without firing, and can read the tenant's metrics.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { EgressPolicy } from "synergymesh";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";

const FLOW = { id: "scale", name: "scale", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };

for (const dialect of DIALECTS) {
  describe(`condition triggers: ${dialect}`, () => {
    let t: TestOrchestrator;
    let server: LocalServer;
    let state = { queue: 3 };
    let policy: EgressPolicy = { allow: ["127.0.0.1"] };
    before(async () => {
      server = await startLocalServer((_, res) => {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(state));
      });
      t = await openTestOrchestrator(dialect, { startWorkers: false, triggers: { enabled: false }, egress: () => policy });
      await t.orch.registerWorkflow(FLOW, { status: "active" });
    });
    after(async () => {
      await t.dispose();
      await server.close();
    });

    test("fires once on each false -> true transition, checked once per interval", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "scale", type: "condition", config: { expression: "value.queue > 100.0", interval: "10s", source: { url: `${server.origin}/queue` }, input: { why: "queue" } } });
      const check = async (queue: number) => {
        state = { queue };
        await t.clock.advance(10_000);
        await t.orch.runDueTriggers();
        return (await t.orch.getTrigger(trigger.triggerId)).state;
      };
      await t.orch.runDueTriggers();
      assert.equal((await t.orch.getTrigger(trigger.triggerId)).state.value, false, "the first check records the value");
      assert.equal((await check(500)).value, true);
      assert.equal((await t.orch.listExecutions()).length, 1);
      await check(800);
      assert.equal((await t.orch.listExecutions()).length, 1, "still true: no new fire");
      await check(5);
      await check(900);
      const runs = await t.orch.listExecutions();
      assert.equal(runs.length, 2, "true again after false: a second fire");
      assert.equal((runs[0]?.input as { why: string }).why, "queue");
      // Not due yet: no request is made.
      const requests = server.requests.length;
      await t.orch.runDueTriggers();
      assert.equal(server.requests.length, requests);
      const shown = await t.orch.getTrigger(trigger.triggerId);
      assert.deepEqual([shown.fireCount, shown.nextFireTimes[0]], [2, t.clock.now() + 10_000]);
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("a refused or failing source records the error and fires nothing", async () => {
      state = { queue: 0 };
      const trigger = await t.orch.createTrigger({ workflowId: "scale", type: "condition", config: { expression: "value.queue > 100.0", interval: "5s", source: { url: `${server.origin}/queue` } } });
      await t.orch.runDueTriggers();
      policy = {};
      state = { queue: 1000 };
      const before = (await t.orch.listExecutions()).length;
      await t.clock.advance(5000);
      await t.orch.runDueTriggers();
      const shown = await t.orch.getTrigger(trigger.triggerId);
      assert.equal(shown.state.value, false, "the last good value stays");
      assert.match(String(shown.state.last_error), /EGRESS_DENIED/);
      assert.equal((await t.orch.listExecutions()).length, before);
      policy = { allow: ["127.0.0.1"] };
      await t.clock.advance(5000);
      await t.orch.runDueTriggers();
      assert.equal((await t.orch.listExecutions()).length, before + 1, "the transition fires once the source answers");
      await t.orch.deleteTrigger(trigger.triggerId);
    });

    test("an expression over the tenant's metrics; bad configs are refused with paths", async () => {
      const trigger = await t.orch.createTrigger({ workflowId: "scale", type: "condition", config: { expression: "metrics.active_tasks == 0.0 && metrics.failed_executions == 0.0" } });
      await t.orch.runDueTriggers();
      assert.equal((await t.orch.getTrigger(trigger.triggerId)).state.value, true);
      await assert.rejects(t.orch.createTrigger({ workflowId: "scale", type: "condition", config: { expression: "value >", interval: "10ms", source: { url: "ftp://x" } } }), (error: { details?: { issues: Array<{ path: string }> } }) => {
        assert.deepEqual(error.details?.issues.map((i) => i.path).sort(), ["config.expression", "config.interval", "config.source.url"]);
        return true;
      });
    });
  });
}
