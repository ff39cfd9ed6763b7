// The isolation walk (issue 4 part 4): every route of the OpenAPI document, called by tenant A's
// owner with tenant B's ids, answers exactly like a missing id (404, same body) or 403 for admin
// routes, and leaves B's objects as they were. A new route cannot escape: the walk reads the document.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DIALECTS } from "synergymesh/testing";
import type { Harness } from "./server-harness.js";
import { nextEvent, startHarness } from "./server-harness.js";

const WAITING = { name: "waits", version: "1.0", steps: [{ id: "gate", type: "approval", config: { message: "ok?" } }] };
const STATEMENT = { effect: "deny", principals: ["role:viewer"], actions: ["execute"], resources: ["workflow:prod-*"] };

/** A valid body per operation, so the walk reaches the lookup rather than stopping at validation. */
const BODIES: Record<string, unknown> = {
  "workflows.create": WAITING,
  "workflows.update": WAITING,
  "workflows.validate": WAITING,
  "workflows.execute": { input: {} },
  "executions.approve": { approved: true },
  "tenants.create": { name: "x", tier: "basic" },
  "tenants.quota": { rate_limit_per_second: 1 },
  "apiKeys.create": { name: "k", role: "viewer" },
  "policies.put": { statements: [STATEMENT] },
  "policies.evaluate": { role: "viewer", action: "read", resource: "workflow:x" },
  "secrets.put": { value: "A's own value" },
  "scripts.put": { code: "return 1;" },
  "templates.put": { text: "hello" },
  "triggers.create": { type: "event", config: { event: "walk.*" } },
  "triggers.update": { enabled: false },
  "events.publish": { name: "walk.event" },
  "strategies.create": { name: "walk", workflow_id: "b-flow", symptoms: [{ type: "event", pattern: "CrashLoopBackOff" }] },
  "strategies.update": { priority: 9 },
};
/** Routes without an id in the path whose body names one of B's objects: they answer like a missing one. */
const NAMES_B_IN_BODY = new Set(["strategies.create"]);
/** Routes that name an object by a name the caller chooses: A writes its own object of that name. */
const UPSERTS = new Set(["policies.put", "secrets.put", "scripts.put", "templates.put"]);

for (const dialect of DIALECTS) {
  describe(`isolation walk: ${dialect}`, () => {
    let h: Harness;
    const ids: Record<string, string> = {};
    const snapshot = async () => {
      const o = h.t.orch;
      const b = h.b.id;
      const exec = await o.getExecution(ids.execution as string, b);
      return JSON.stringify({
        workflow: await o.getWorkflow(ids.workflow as string, b),
        versions: await o.listWorkflowVersions(ids.workflow as string, b),
        execution: { status: exec.status, steps: exec.steps.map((s) => [s.status, s.output]) },
        keys: await o.listApiKeys(b),
        policies: await o.listPolicies(b),
        secrets: (await o.listSecrets(b)).map((s) => [s.name, s.updatedAt]),
        scripts: await o.listScripts(b),
        templates: await o.listMessageTemplates(b),
        triggers: await o.listTriggers(b),
        strategies: await o.listStrategies(b),
        tenant: await o.getTenant(b),
      });
    };

    before(async () => {
      h = await startHarness(dialect);
      const o = h.t.orch;
      // The walk makes two calls per route within a second or so: more than a basic tier's rate limit.
      await o.modifyQuota(h.a.id, { rateLimitPerSecond: 10_000 });
      const b = h.b.id;
      ids.workflow = (await o.registerWorkflow(WAITING, { tenantId: b, workflowId: "b-flow" })).workflowId;
      // The approval step waits, so the walk's approval call would change something if it got through.
      const waiting = nextEvent(h, "step.finished", (e) => e.status === "waiting");
      ids.execution = (await o.startExecution(ids.workflow, {}, { tenantId: b })).executionId;
      await waiting;
      ids.stepExecution = (await o.getExecution(ids.execution, b)).steps[0]?.stepExecutionId as string;
      ids.key = (await o.listApiKeys(b))[0]?.keyId as string;
      await o.setPolicy(b, { name: "b-policy", statements: [STATEMENT as never] });
      await o.setSecret("b_secret", "B's value", { tenantId: b });
      await o.setScript(b, { name: "b.js", runtime: "javascript", code: "return 2;" });
      await o.setMessageTemplate(b, { name: "b-template", text: "B" });
      ids.trigger = (await o.createTrigger({ workflowId: ids.workflow, type: "event", config: { event: "b.*" } }, { tenantId: b })).triggerId;
      ids.strategy = (await o.createStrategy({ name: "b-strategy", workflowId: ids.workflow, symptoms: [{ type: "event", pattern: "OOMKilling" }] }, { tenantId: b })).strategyId;
    });
    after(() => h.close());

    test("every documented route answers B's ids like missing ones and changes nothing of B", async () => {
      const doc = (await h.call("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { operationId?: string }>> };
      const before = await snapshot();
      const byParam = (path: string, name: string, b: boolean): string => {
        if (name === "version") return "1";
        if (name === "step_id") return "gate";
        if (path.startsWith("/api/v1/tenants")) return b ? h.b.id : "tenant-000000000000";
        if (path.startsWith("/api/v1/workflows")) return b ? (ids.workflow as string) : "no-such-flow";
        if (path.startsWith("/api/v1/executions")) return b ? (ids.execution as string) : "00000000-0000-4000-8000-000000000000";
        if (path.startsWith("/api/v1/step-executions")) return b ? (ids.stepExecution as string) : "00000000-0000-4000-8000-000000000001";
        if (path.startsWith("/api/v1/api-keys")) return b ? (ids.key as string) : "00000000-0000-4000-8000-000000000002";
        if (path.startsWith("/api/v1/policies")) return b ? "b-policy" : "no-such-policy";
        if (path.startsWith("/api/v1/secrets")) return b ? "b_secret" : "no_such_secret";
        if (path.startsWith("/api/v1/scripts")) return b ? "b.js" : "no-such.js";
        if (path.startsWith("/api/v1/templates")) return b ? "b-template" : "no-such-template";
        if (path.startsWith("/api/v1/triggers")) return b ? (ids.trigger as string) : "00000000-0000-4000-8000-000000000003";
        if (path.startsWith("/api/v1/strategies")) return b ? (ids.strategy as string) : "no-such-strategy";
        // Public, signed entry points: B's tenant with a path B has no trigger at, and tokens nobody signed.
        if (path.startsWith("/hooks/")) return name === "tenant" ? (b ? h.b.id : "tenant-000000000000") : "no-such-hook";
        if (path.startsWith("/api/v1/agent-callbacks/")) return b ? "forged.token.bbb" : "forged.token.xxx";
        throw new Error(`the walk does not know parameter ${name} of ${path}: teach it`);
      };
      let walked = 0;
      for (const [path, methods] of Object.entries(doc.paths)) {
        // PUT last: it writes A's own object of that name, which a later DELETE would then find.
        const ordered = Object.entries(methods).sort(([x], [y]) => Number(x === "put") - Number(y === "put"));
        for (const [method, spec] of ordered) {
          const op = spec.operationId ?? `${method} ${path}`;
          const fill = (b: boolean) => path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(byParam(path, name, b)));
          const body = BODIES[op];
          const res = await h.call(method.toUpperCase(), fill(true), body !== undefined ? { body } : {});
          walked += 1;
          if (path === "/metrics") {
            assert.equal(res.status, 403, `${op}: a tenant key gets 403`);
            continue;
          }
          if (path.startsWith("/api/v1/tenants") && !["tenants.get", "tenants.health", "tenants.tokenUsage"].includes(op)) {
            assert.equal(res.status, 403, `${op}: admin only`);
            assert.equal(res.body.error.code, "FORBIDDEN");
            continue;
          }
          if ((!path.includes("{") || UPSERTS.has(op) || path.endsWith("/evaluate")) && !NAMES_B_IN_BODY.has(op)) {
            assert.ok(res.status < 300, `${op} ${res.status} ${res.text}`);
            assert.ok(!res.text.includes(h.b.id) && !res.text.includes(ids.execution as string) && !res.text.includes("b-flow"), `${op} shows nothing of B`);
            continue;
          }
          assert.equal(res.status, 404, `${op} ${fill(true)}: ${res.text}`);
          const missing = await h.call(method.toUpperCase(), fill(false), body !== undefined ? { body } : {});
          assert.equal(missing.status, 404, `${op} on a missing id`);
          // Same answer: the two bodies differ only by the id that was asked for.
          const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
          const normalise = (text: string, b: boolean) => names.reduce((out, name) => out.replaceAll(JSON.stringify(byParam(path, name, b)).slice(1, -1), `<${name}>`), text);
          assert.equal(normalise(res.text, true), normalise(missing.text, false), `${op}: B's id answers like a missing one`);
        }
      }
      assert.ok(walked >= 40, `walked ${walked} routes`);
      assert.equal(await snapshot(), before, "nothing of tenant B changed");
      // B's secret still holds B's value (A's PUT wrote A's own secret of that name).
      assert.equal(await h.t.orch.getScript(h.b.id, "b.js").then((s) => s.code), "return 2;");
    });

    test("a tenant key naming another tenant is refused with 403, its own tenant is fine", async () => {
      const other = await h.call("GET", "/api/v1/workflows", { headers: { "x-tenant-id": h.b.id } });
      assert.equal(other.status, 403);
      assert.equal(other.body.error.code, "FORBIDDEN");
      assert.equal((await h.call("GET", `/api/v1/workflows?tenant_id=${h.b.id}`)).status, 403);
      assert.equal((await h.call("GET", "/api/v1/workflows", { headers: { "x-tenant-id": h.a.id } })).status, 200);
      const asAdmin = await h.call("GET", "/api/v1/workflows", { key: h.adminKey, headers: { "x-tenant-id": h.b.id } });
      assert.equal(asAdmin.status, 200);
      assert.deepEqual(asAdmin.body.items.map((w: { id: string }) => w.id), ["b-flow"]);
    });
  });
}
