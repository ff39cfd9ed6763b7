// Workflows and executions over HTTP: seed 001's create body with Chinese tags, filters, idempotent
// starts, runs to the end with logs and step outputs, control conflicts, cursor pagination, the
// script library used by name, error shapes, 413, 429 under a burst, and secrets never shown.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import pino from "pino";
import { DIALECTS } from "synergymesh/testing";
import type { Harness } from "./server-harness.js";
import { nextEvent, ONE_STEP, startHarness } from "./server-harness.js";

const SECRET_VALUE = "s3cr3t-value-that-must-never-show";

for (const dialect of DIALECTS) {
  describe(`executions over HTTP: ${dialect}`, () => {
    let h: Harness;
    const logLines: string[] = [];
    before(async () => {
      const sink = new Writable({ write: (chunk: Buffer, _enc, done) => (logLines.push(chunk.toString()), done()) });
      h = await startHarness(dialect, { bodyLimit: 64 * 1024, logger: pino({ level: "debug" }, sink) }, { logger: pino({ level: "debug" }, sink) });
    });
    after(() => h.close());

    test("seed 001's create body with Chinese tags; filters by tags, status and owner", async () => {
      const body = { name: "数据处理工作流", description: "d", definition: { version: "1.0", steps: [{ id: "step1", type: "script", config: { code: "return 1;" } }] }, tags: ["数据处理", "自动化"], owner_id: "user-uuid" };
      const created = await h.call("POST", "/api/v1/workflows", { body });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.tags, ["数据处理", "自动化"]);
      assert.equal(created.body.status, "draft");
      const byTag = await h.call("GET", `/api/v1/workflows?tags=${encodeURIComponent("数据处理")}`);
      assert.deepEqual(byTag.body.items.map((w: { id: string }) => w.id), [created.body.id]);
      assert.equal((await h.call("GET", `/api/v1/workflows?tags=${encodeURIComponent("其他")}`)).body.items.length, 0);
      assert.equal((await h.call("GET", "/api/v1/workflows?owner_id=user-uuid")).body.items.length, 1);
      assert.equal((await h.call("POST", `/api/v1/workflows/${created.body.id}/activate`)).body.status, "active");
      assert.equal((await h.call("GET", "/api/v1/workflows?status=active")).body.items.length, 1);
      const updated = await h.call("PUT", `/api/v1/workflows/${created.body.id}`, { body: { ...body, definition: { ...body.definition, version: "1.1" } } });
      assert.equal(updated.body.version, 2);
      assert.equal((await h.call("GET", `/api/v1/workflows/${created.body.id}/versions`)).body.items.length, 2);
      assert.equal((await h.call("POST", `/api/v1/workflows/${created.body.id}/versions/1/restore`)).body.version, 3);
      assert.equal((await h.call("DELETE", `/api/v1/workflows/${created.body.id}`)).body.status, "archived");
      const refused = await h.call("POST", `/api/v1/workflows/${created.body.id}/execute`, { body: {} });
      assert.equal(refused.status, 409);
      assert.equal(refused.body.error.code, "CONFLICT");
    });

    test("the same Idempotency-Key gives the same execution, also when sent at once", async () => {
      await h.call("POST", "/api/v1/workflows", { body: { ...ONE_STEP, id: "idem" } });
      const send = () => h.call("POST", "/api/v1/workflows/idem/execute", { body: { input: { n: 1 } }, headers: { "idempotency-key": "order-42" } });
      const answers = await Promise.all([send(), send(), send(), send()]);
      assert.ok(answers.every((a) => a.status === 202), answers.map((a) => a.text).join("\n"));
      assert.equal(new Set(answers.map((a) => a.body.id)).size, 1);
      assert.equal(answers.filter((a) => a.body.created).length, 1);
      const other = await h.call("POST", "/api/v1/workflows/idem/execute", { body: {}, headers: { "idempotency-key": "order-43" } });
      assert.notEqual(other.body.id, answers[0]?.body.id);
      const list = await h.call("GET", "/api/v1/executions?workflow_id=idem");
      assert.equal(list.body.items.length, 2);
    });

    test("an execution runs to the end; logs filter by step; step executions show their output", async () => {
      await h.call("POST", "/api/v1/workflows", { body: { ...ONE_STEP, id: "runs" } });
      const finished = nextEvent(h, "execution.finished", (e) => e.workflowId === "runs");
      const started = await h.call("POST", "/api/v1/workflows/runs/execute", { body: { input: { n: 7 } } });
      await finished;
      const execution = await h.call("GET", `/api/v1/executions/${started.body.id}`);
      assert.equal(execution.body.status, "completed");
      const step = execution.body.steps[0];
      assert.deepEqual((await h.call("GET", `/api/v1/step-executions/${step.id}/output`)).body.output, { ok: true, n: 7 });
      assert.equal((await h.call("GET", `/api/v1/step-executions/${step.id}`)).body.status, "completed");
      const logs = await h.call("GET", `/api/v1/executions/${started.body.id}/logs?step_id=only`);
      assert.ok(logs.body.items.length > 0 && logs.body.items.every((l: { step_id: string }) => l.step_id === "only"));
      const conflict = await h.call("POST", `/api/v1/executions/${started.body.id}/cancel`);
      assert.equal(conflict.status, 409);
      const retryStep = await h.call("POST", `/api/v1/step-executions/${step.id}/retry`);
      assert.equal(retryStep.status, 409);
    });

    test("executions page with a cursor, newest first", async () => {
      await h.call("POST", "/api/v1/workflows", { body: { ...ONE_STEP, id: "paged" } });
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push((await h.call("POST", "/api/v1/workflows/paged/execute", { body: {} })).body.id);
        h.t.clock.advance(1);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const page: { body: { items: Array<{ id: string }>; next_cursor: string | null } } = await h.call("GET", `/api/v1/executions?workflow_id=paged&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
        seen.push(...page.body.items.map((e) => e.id));
        cursor = page.body.next_cursor;
      } while (cursor);
      assert.deepEqual(seen, [...ids].reverse());
    });

    test("a script from the tenant's library runs by name", async () => {
      assert.equal((await h.call("PUT", "/api/v1/scripts/double.js", { body: { runtime: "javascript", code: "return { doubled: input.n * 2 };" } })).status, 200);
      await h.call("POST", "/api/v1/workflows", { body: { name: "lib", id: "lib", version: "1.0", steps: [{ id: "s", type: "script", config: { script: "double.js" }, input_mapping: { n: "{{input.n}}" } }] } });
      const finished = nextEvent(h, "execution.finished", (e) => e.workflowId === "lib");
      const started = await h.call("POST", "/api/v1/workflows/lib/execute", { body: { input: { n: 21 } } });
      await finished;
      assert.deepEqual((await h.call("GET", `/api/v1/executions/${started.body.id}`)).body.steps[0].output, { doubled: 42 });
      // Tenant B has no such script: its run fails rather than borrowing A's.
      const bFlow = await h.call("POST", "/api/v1/workflows", { key: h.b.key, body: { name: "lib", id: "lib", version: "1.0", steps: [{ id: "s", type: "script", config: { script: "double.js" } }] } });
      assert.equal(bFlow.status, 201);
      const bDone = nextEvent(h, "execution.finished", (e) => e.tenantId === h.b.id);
      await h.call("POST", "/api/v1/workflows/lib/execute", { key: h.b.key, body: {} });
      assert.equal((await bDone).status, "failed");
    });

    test("message templates are stored per tenant and found by the lookup for e-mail steps", async () => {
      assert.equal((await h.call("PUT", "/api/v1/templates/process_complete", { body: { subject: "完成", text: "done" } })).status, 200);
      assert.deepEqual(await h.t.orch.messageTemplateLookup(h.a.id, "process_complete"), { subject: "完成", text: "done" });
      assert.equal(await h.t.orch.messageTemplateLookup(h.b.id, "process_complete"), undefined);
      const empty = await h.call("PUT", "/api/v1/templates/empty", { body: {} });
      assert.equal(empty.status, 400);
    });

    test("error shapes: every problem with its path, malformed JSON, 413, 404, never a stack", async () => {
      const invalid = await h.call("POST", "/api/v1/workflows", { body: { name: "bad", version: "1.0", steps: [{ id: "a", type: "nope", depends_on: ["ghost"] }, { id: "a", type: "wait" }] } });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.error.code, "VALIDATION_FAILED");
      assert.ok(invalid.body.error.details.issues.length >= 3, invalid.text);
      assert.ok(invalid.body.error.details.issues.every((i: { path: string }) => typeof i.path === "string" && i.path.length > 0));
      const query = await h.call("GET", "/api/v1/executions?limit=0&status=weird");
      assert.deepEqual(query.body.error.details.issues.map((i: { path: string }) => i.path).sort(), ["query.limit", "query.status"]);
      const malformed = await h.call("POST", "/api/v1/workflows", { raw: "{not json", headers: { "content-type": "application/json" } });
      assert.equal(malformed.status, 400);
      assert.equal(malformed.body.error.details.issues[0].message, "malformed JSON");
      const big = await h.call("PUT", "/api/v1/scripts/big.js", { body: { code: "x".repeat(70 * 1024) } });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, "PAYLOAD_TOO_LARGE");
      const missing = await h.call("GET", "/api/v1/executions/nope");
      assert.equal(missing.status, 404);
      for (const res of [invalid, query, malformed, big, missing]) {
        assert.deepEqual(Object.keys(res.body), ["error"]);
        assert.ok(!/stack|at .*\(.*:\d+:\d+\)/.test(res.text), res.text);
      }
    });

    test("secrets are write-only: never in answers, outputs, logs or the server log", async () => {
      const put = await h.call("PUT", "/api/v1/secrets/api_token", { body: { value: SECRET_VALUE } });
      assert.equal(put.status, 200);
      assert.ok(!put.text.includes(SECRET_VALUE));
      await h.call("POST", "/api/v1/workflows", { body: { name: "uses secret", id: "sec", version: "1.0", steps: [{ id: "s", type: "script", config: { code: "console.log('token', input.token); return { token: input.token };" }, input_mapping: { token: "{{secrets.api_token}}" } }] } });
      const finished = nextEvent(h, "execution.finished", (e) => e.workflowId === "sec");
      const started = await h.call("POST", "/api/v1/workflows/sec/execute", { body: {} });
      await finished;
      const answers = [
        await h.call("GET", "/api/v1/secrets"),
        await h.call("GET", `/api/v1/executions/${started.body.id}`),
        await h.call("GET", `/api/v1/executions/${started.body.id}/logs`),
        await h.call("GET", "/api/v1/audit-logs"),
        await h.call("GET", "/api/v1/audit-logs/export?format=csv"),
      ];
      assert.deepEqual(answers[0]?.body.items.map((s: { name: string }) => s.name), ["api_token"]);
      assert.equal(answers[1]?.body.status, "completed");
      for (const res of answers) assert.ok(!res.text.includes(SECRET_VALUE), res.text);
      assert.ok(logLines.length > 0);
      assert.ok(!logLines.join("").includes(SECRET_VALUE));
      assert.equal((await h.call("GET", "/api/v1/secrets/api_token")).status, 404, "there is no route that reads a value");
    });

    test("validate without storing, audit chain verification and token usage over HTTP", async () => {
      const ok = await h.call("POST", "/api/v1/workflows/validate", { body: ONE_STEP });
      assert.deepEqual([ok.status, ok.body.valid], [200, true]);
      const bad = await h.call("POST", "/api/v1/workflows/validate", { raw: "name: x\nsteps:\n  - { id: a, type: nope }\n", headers: { "content-type": "application/json" } });
      assert.equal(bad.status, 400);
      const yaml = await h.call("POST", "/api/v1/workflows/validate", { body: "name: x\nsteps:\n  - { id: a, type: nope }\n" });
      assert.equal(yaml.status, 400);
      assert.equal(yaml.body.error.details.issues[0].path, "steps[0].type");
      const asYaml = await h.call("POST", "/api/v1/workflows", { raw: "id: from-yaml\nname: from yaml\nsteps:\n  - { id: w, type: wait, config: { duration: 1s } }\n", headers: { "content-type": "application/yaml" } });
      assert.equal(asYaml.status, 201, asYaml.text);
      assert.equal(asYaml.body.id, "from-yaml");
      const verified = await h.call("GET", "/api/v1/audit-logs/verify");
      assert.equal(verified.body.ok, true);
      await h.t.orch.recordTokenUsage(h.a.id, 10, 5);
      const usage = await h.call("GET", `/api/v1/tenants/${h.a.id}/token-usage`);
      assert.equal(usage.body.total_tokens, 15);
      assert.equal((await h.call("GET", `/api/v1/tenants/${h.b.id}/token-usage`)).status, 404);
    });

    test("a burst over the rate limit gets 429 with Retry-After and RateLimit headers", async () => {
      await h.t.orch.modifyQuota(h.b.id, { rateLimitPerSecond: 5 });
      h.t.clock.advance(2000); // the tenant cache and the window start afresh
      const answers = await Promise.all(Array.from({ length: 12 }, () => h.call("GET", "/api/v1/workflows", { key: h.b.key })));
      const ok = answers.filter((a) => a.status === 200);
      const refused = answers.filter((a) => a.status === 429);
      assert.equal(ok.length, 5);
      assert.equal(refused.length, 7);
      for (const r of refused) {
        assert.equal(r.body.error.code, "RATE_LIMITED");
        // The clock stands still: the window frees up exactly one second after the admissions.
        assert.equal(r.headers.get("retry-after"), "1");
        assert.equal(r.headers.get("ratelimit-policy"), '"tenant";q=5;w=1');
        assert.equal(r.headers.get("ratelimit"), '"tenant";r=0;t=1');
      }
      assert.match(ok[0]?.headers.get("ratelimit") ?? "", /^"tenant";r=[0-4];t=1$/);
      h.t.clock.advance(1000);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: h.b.key })).status, 200);
      const metrics = await h.call("GET", "/metrics", { key: h.adminKey });
      assert.match(metrics.text, new RegExp(`orchestrator_rate_limited_total\\{tenant_id="${h.b.id}"\\} 7`));
    });
  });
}
