// Triggers, events and strategies over HTTP: seed 001's trigger routes, a signed webhook delivery to
// /hooks/<tenant>/<path> (202 with the execution, 401 for a bad signature, the same execution for a
// repeated webhook-id), events that start event triggers, and strategies scoped to their tenant.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DIALECTS } from "synergymesh/testing";
import { signWebhook, webhookSecretKey } from "../../src/executors/webhook/webhook-signature.js";
import type { Harness } from "./server-harness.js";
import { startHarness } from "./server-harness.js";

const SECRET = "whsec_" + Buffer.from("a 32 byte secret for the tests!!").toString("base64");
const FLOW = { id: "ingest", name: "ingest", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };

for (const dialect of DIALECTS) {
  describe(`triggers over HTTP: ${dialect}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
      const o = h.t.orch;
      await o.registerWorkflow(FLOW, { tenantId: h.a.id, status: "active" });
      await o.setSecret("hook_key", SECRET, { tenantId: h.a.id });
    });
    after(() => h.close());

    function signed(body: string, id: string) {
      const timestamp = Math.floor(h.t.clock.now() / 1000);
      return { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signWebhook(webhookSecretKey(SECRET), id, timestamp, body) };
    }

    test("trigger CRUD on seed 001's routes; another tenant sees none of it", async () => {
      const created = await h.call("POST", "/api/v1/workflows/ingest/triggers", { body: { type: "schedule", config: { cron: "0 9 * * 1-5", timezone: "Asia/Shanghai" } } });
      assert.equal(created.status, 201, created.text);
      assert.equal(created.body.type, "schedule");
      assert.equal(created.body.next_fire_times.length > 0, true);
      const id = created.body.id as string;
      assert.deepEqual((await h.call("GET", "/api/v1/workflows/ingest/triggers")).body.items.map((t: { id: string }) => t.id), [id]);
      const updated = await h.call("PUT", `/api/v1/triggers/${id}`, { body: { enabled: false } });
      assert.equal(updated.body.enabled, false);
      assert.equal((await h.call("GET", `/api/v1/triggers/${id}`, { key: h.b.key })).status, 404);
      assert.equal((await h.call("DELETE", `/api/v1/triggers/${id}`)).status, 200);
      assert.equal((await h.call("GET", `/api/v1/triggers/${id}`)).status, 404);
      const bad = await h.call("POST", "/api/v1/workflows/ingest/triggers", { body: { type: "schedule", config: { cron: "every day" } } });
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.code, "VALIDATION_FAILED");
    });

    test("a signed delivery to /hooks/<tenant>/<path> answers 202 with its execution; a bad signature 401 and no execution", async () => {
      await h.call("POST", "/api/v1/workflows/ingest/triggers", { body: { type: "webhook", config: { path: "/webhook/data-process", secret: "{{secrets.hook_key}}" } } });
      const body = JSON.stringify({ file: "data.csv" });
      const path = `/hooks/${h.a.id}/webhook/data-process`;
      const ok = await h.call("POST", path, { key: null, raw: body, headers: signed(body, "msg_1") });
      assert.equal(ok.status, 202, ok.text);
      const executionId = ok.body.execution_id as string;
      const execution = await h.t.orch.getExecution(executionId, h.a.id);
      assert.deepEqual((execution.input as { body: unknown }).body, { file: "data.csv" });
      const again = await h.call("POST", path, { key: null, raw: body, headers: signed(body, "msg_1") });
      assert.deepEqual([again.status, again.body.execution_id, again.body.duplicate], [202, executionId, true]);
      const before = (await h.t.orch.listExecutions(h.a.id)).length;
      const forged = await h.call("POST", path, { key: null, raw: JSON.stringify({ file: "other.csv" }), headers: signed(body, "msg_2") });
      assert.equal(forged.status, 401);
      assert.equal(forged.body.error.code, "UNAUTHENTICATED");
      assert.equal((await h.t.orch.listExecutions(h.a.id)).length, before, "no execution for a bad signature");
      // The path belongs to tenant A: the same path under B's id finds nothing.
      assert.equal((await h.call("POST", `/hooks/${h.b.id}/webhook/data-process`, { key: null, raw: body, headers: signed(body, "msg_3") })).status, 404);
    });

    test("POST /api/v1/events starts the tenant's matching event triggers, and only the tenant's", async () => {
      await h.call("POST", "/api/v1/workflows/ingest/triggers", { body: { type: "event", config: { event: "order.*", filter: "payload.total > 100.0" } } });
      const small = await h.call("POST", "/api/v1/events", { body: { name: "order.created", payload: { total: 5 } } });
      assert.equal(small.status, 202, small.text);
      assert.equal(small.body.executions.length, 0);
      const big = await h.call("POST", "/api/v1/events", { body: { name: "order.created", payload: { total: 500 } } });
      assert.equal(big.body.executions.length, 1);
      const other = await h.call("POST", "/api/v1/events", { key: h.b.key, body: { name: "order.created", payload: { total: 500 } } });
      assert.equal(other.body.executions.length, 0, "tenant B's event starts nothing of A");
    });

    test("strategies: created for the tenant's own workflow only, listed, deleted", async () => {
      const created = await h.call("POST", "/api/v1/strategies", { body: { name: "crash", workflow_id: "ingest", symptoms: [{ type: "event", pattern: "CrashLoopBackOff" }] } });
      assert.equal(created.status, 201, created.text);
      assert.equal((await h.call("POST", "/api/v1/strategies", { key: h.b.key, body: { name: "crash", workflow_id: "ingest", symptoms: [{ type: "event", pattern: "x" }] } })).status, 404);
      assert.deepEqual((await h.call("GET", "/api/v1/strategies")).body.items.map((s: { name: string }) => s.name), ["crash"]);
      assert.equal((await h.call("GET", `/api/v1/strategies/${created.body.id}`, { key: h.b.key })).status, 404);
      assert.equal((await h.call("DELETE", `/api/v1/strategies/${created.body.id}`)).status, 200);
    });
  });
}
