// Events over a real NATS server (127.0.0.1:4222; a missing server fails the suite), on both
// dialects: a subject bound to one tenant (seed 003's internal.event.critical, bound here to the
// `default` tenant), the `tenants.<id>.events.<name>` form where the subject names the tenant (a
// tenant id inside the message is ignored), bad messages dropped without harm, and execution
// lifecycle events published back.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { connect } from "@nats-io/transport-node";
import type { NatsConnection } from "@nats-io/transport-node";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

const NATS = process.env.SYNERGYMESH_TEST_NATS ?? "127.0.0.1:4222";
const FLOW = { id: "react", name: "react", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };

for (const dialect of DIALECTS) {
  describe(`NATS events: ${dialect}`, () => {
    const uid = randomBytes(6).toString("hex");
    const bound = `internal.event.critical.${uid}`;
    const prefix = `sm-${uid}`;
    let t: TestOrchestrator;
    let nc: NatsConnection;
    let other: string;

    /** Resolves with the next routed event of `tenantId` (the bus tells subscribers after routing). */
    function nextEvent(tenantId: string) {
      return new Promise<{ id: string; name: string; payload: Record<string, unknown>; source: string }>((resolve) => {
        const off = t.orch.subscribeEvents((tenant, event) => {
          if (tenant !== tenantId) return;
          off();
          resolve(event);
        });
      });
    }

    before(async () => {
      nc = await connect({ servers: NATS });
      t = await openTestOrchestrator(dialect, {
        startWorkers: false,
        triggers: { enabled: false },
        // A queue group of its own, so other suites on the same server do not take these messages.
        nats: { servers: NATS, queue: `q-${uid}`, subscriptions: [{ subject: bound, tenantId: "default" }, { subject: "tenants.*.events.>" }], lifecycleSubjectPrefix: prefix },
      });
      other = await t.orch.createTenant("other", "basic" as never);
      for (const tenantId of ["default", other]) {
        await t.orch.registerWorkflow(FLOW, { status: "active", tenantId });
        await t.orch.createTrigger({ workflowId: "react", type: "event", config: { event: "*" } }, { tenantId });
      }
    });
    after(async () => {
      await t.dispose();
      await nc.close();
    });

    test("a subject bound to a tenant starts only that tenant's workflows, whatever the message says", async () => {
      const routed = nextEvent("default");
      nc.publish(bound, JSON.stringify({ reason: "CrashLoopBackOff", severity: "high", tenant_id: other }));
      const event = await routed;
      assert.deepEqual([event.name, event.payload.reason, event.source], [bound, "CrashLoopBackOff", `nats:${bound}`]);
      assert.equal((await t.orch.listExecutions("default", { workflowId: "react" })).length, 1);
      assert.equal((await t.orch.listExecutions(other)).length, 0);
    });

    test("tenants.<id>.events.<name>: the subject names the tenant and the event", async () => {
      const routed = nextEvent(other);
      nc.publish(`tenants.${other}.events.deploy.done`, JSON.stringify({ version: "1.2.3", tenant_id: "default" }));
      const event = await routed;
      assert.deepEqual([event.name, event.payload.version], ["deploy.done", "1.2.3"]);
      const runs = await t.orch.listExecutions(other);
      assert.equal(runs.length, 1);
      assert.equal((runs[0]?.input as { event: { name: string } }).event.name, "deploy.done");
      assert.equal((await t.orch.listExecutions("default", { workflowId: "react" })).length, 1, "the default tenant got nothing");
    });

    test("a `{ name, payload, id }` message is an event; a re-sent id starts nothing new; bad messages are dropped", async () => {
      // Garbage first: not JSON, a list, an unknown tenant. None of them may stop the subscription.
      nc.publish(`tenants.${other}.events.x`, "not json");
      nc.publish(`tenants.${other}.events.x`, "[1,2]");
      nc.publish("tenants.tenant-000000000000.events.x", "{}");
      nc.publish("tenants.not-a-tenant.events.x", "{}");
      let routed = nextEvent(other);
      nc.publish(`tenants.${other}.events.ignored`, JSON.stringify({ name: "order.paid", id: "n-1", payload: { total: 3 } }));
      const event = await routed;
      assert.deepEqual([event.name, event.id, event.payload], ["order.paid", "n-1", { total: 3 }]);
      routed = nextEvent(other);
      nc.publish(`tenants.${other}.events.ignored`, JSON.stringify({ name: "order.paid", id: "n-1", payload: { total: 3 } }));
      await routed;
      const runs = await t.orch.listExecutions(other);
      assert.equal(runs.filter((r) => (r.input as { event: { id: string } }).event.id === "n-1").length, 1);
    });

    test("execution lifecycle events are published to <prefix>.<tenant>.execution.*", async () => {
      const sub = nc.subscribe(`${prefix}.${other}.execution.>`, { max: 1 });
      await nc.flush();
      const received = (async () => {
        for await (const msg of sub) return { subject: msg.subject, body: msg.json<Record<string, unknown>>() };
        throw new Error("subscription ended without a message");
      })();
      const { executions } = await t.orch.publishEvent(other, { name: "lifecycle.check" });
      const message = await received;
      assert.equal(message.subject, `${prefix}.${other}.execution.started`);
      assert.deepEqual([message.body.execution_id, message.body.workflow_id, message.body.tenant_id], [executions[0]?.executionId, "react", other]);
    });
  });
}

describe("NATS options", () => {
  test("a subject without a tenant must name the tenant in its form; a bad option fails at open", async () => {
    await assert.rejects(openTestOrchestrator("sqlite", { nats: { servers: NATS, subscriptions: [{ subject: "internal.event.critical" }] } }), { code: "CONFIG_INVALID" });
    await assert.rejects(openTestOrchestrator("sqlite", { nats: { servers: NATS, subscriptions: [{ subject: "x", tenantId: "someone" }] } }), { code: "CONFIG_INVALID" });
  });
});
