// /openapi.json is a well-formed OpenAPI 3.1 document listing exactly the routes the server has;
// /metrics is valid Prometheus text exposition with seed 001's names and bounded labels; /health
// has seed 001's shape.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { DIALECTS } from "synergymesh/testing";
import { serverRoutes } from "../../src/server/create-server.js";
import type { Harness } from "./server-harness.js";
import { nextEvent, ONE_STEP, startHarness } from "./server-harness.js";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\["\\n])*",?)*\})? (-?[0-9.eE+-]+|NaN|\+Inf|-Inf)( -?\d+)?$/;

/** Checks the text exposition format line by line; returns the families with their types. */
function parsePrometheus(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const [i, line] of text.split("\n").entries()) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) {
      assert.match(line.split(" ")[2] ?? "", METRIC_NAME, `line ${i + 1}`);
      continue;
    }
    if (line.startsWith("# TYPE ")) {
      const [, , name, type] = line.split(" ");
      assert.match(name ?? "", METRIC_NAME);
      assert.ok(["counter", "gauge", "histogram", "summary", "untyped"].includes(type ?? ""), line);
      types.set(name as string, type as string);
      continue;
    }
    assert.ok(!line.startsWith("#"), `line ${i + 1}: unknown comment ${line}`);
    const m = SAMPLE.exec(line);
    assert.ok(m, `line ${i + 1} is not a sample: ${line}`);
    const family = (m[1] as string).replace(/_(bucket|sum|count)$/, "");
    assert.ok(types.has(m[1] as string) || types.has(family), `line ${i + 1}: sample before its TYPE: ${line}`);
  }
  return types;
}

for (const dialect of DIALECTS) {
  describe(`openapi, metrics and health: ${dialect}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
    });
    after(() => h.close());

    test("/openapi.json is an OpenAPI 3.1 document listing every route of the server", async () => {
      const doc = (await h.call("GET", "/openapi.json")).body;
      assert.equal(doc.openapi, "3.1.0");
      assert.equal(typeof doc.info.title, "string");
      assert.equal(typeof doc.info.version, "string");
      const documented = new Set<string>();
      const operationIds = new Set<string>();
      for (const [path, methods] of Object.entries(doc.paths as Record<string, Record<string, { operationId?: string; responses?: object; parameters?: Array<{ in: string; name: string; required?: boolean }> }>>)) {
        assert.ok(path.startsWith("/"));
        for (const [method, op] of Object.entries(methods)) {
          assert.ok(["get", "post", "put", "patch", "delete"].includes(method), `${method} ${path}`);
          assert.equal(typeof op.responses, "object", `${method} ${path} has responses`);
          if (op.operationId) {
            assert.ok(!operationIds.has(op.operationId), `operationId ${op.operationId} is unique`);
            operationIds.add(op.operationId);
          }
          for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
            assert.ok(op.parameters?.some((p) => p.in === "path" && p.name === name && p.required === true), `${method} ${path} declares path parameter ${name}`);
          }
          // Fastify's wildcard `*` is documented as the path parameter `{*}`.
          documented.add(`${method.toUpperCase()} ${path.replace("{*}", "*").replace(/\{([^}]+)\}/g, ":$1")}`);
        }
      }
      // Every route the server has, except the documentation page itself and the WebSocket upgrade.
      const served = new Set(serverRoutes(h.app).filter((r) => !r.url.startsWith("/docs") && r.url !== "/ws").map((r) => `${r.method} ${r.url}`));
      assert.deepEqual([...documented].sort(), [...served].sort());
      assert.ok(served.size >= 45, `${served.size} routes`);
    });

    test("/docs serves the browsable page to a key holder", async () => {
      const page = await h.call("GET", "/docs/", { key: h.adminKey });
      assert.equal(page.status, 200);
      assert.match(page.text, /swagger/i);
    });

    test("/metrics is valid Prometheus text with seed 001's names and no id labels", async () => {
      await h.call("POST", "/api/v1/workflows", { body: { ...ONE_STEP, id: "m" } });
      const done = nextEvent(h, "execution.finished");
      await h.call("POST", "/api/v1/workflows/m/execute", { body: { input: { n: 1 } } });
      await done;
      assert.equal((await h.call("GET", "/metrics")).status, 403, "tenant keys do not see every tenant's metrics");
      const res = await h.call("GET", "/metrics", { key: h.adminKey });
      assert.equal(res.status, 200);
      assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
      const types = parsePrometheus(res.text);
      for (const [name, type] of [
        ["orchestrator_executions_total", "counter"],
        ["orchestrator_execution_duration_seconds", "histogram"],
        ["orchestrator_active_executions", "gauge"],
        ["orchestrator_queue_depth", "gauge"],
        ["orchestrator_rate_limited_total", "counter"],
        ["orchestrator_http_requests_total", "counter"],
        ["orchestrator_http_request_duration_seconds", "histogram"],
      ]) {
        assert.equal(types.get(name as string), type, name);
      }
      assert.match(res.text, /orchestrator_executions_total\{workflow_id="m",status="completed"\} 1/);
      assert.match(res.text, /orchestrator_http_requests_total\{method="POST",route="\/api\/v1\/workflows\/:id\/execute",status="202"\} 1/);
      assert.ok(!/="[0-9a-f]{8}-[0-9a-f]{4}-/.test(res.text), "no execution or step ids as label values");
    });

    test("/health has seed 001's shape", async () => {
      const res = await h.call("GET", "/health", { key: null });
      assert.equal(res.status, 200);
      assert.equal(res.body.status, "healthy");
      assert.deepEqual(res.body.checks, { database: "ok", scheduler: "ok", executor: "ok" });
      assert.deepEqual(Object.keys(res.body.stats).sort(), ["active_executions", "active_workflows", "queued_executions", "total_workflows"]);
      assert.ok(res.body.stats.total_workflows >= 1);
    });

    test("the scheduler status shows workers, the tenant's own queue, and leases to the admin", async () => {
      const mine = await h.call("GET", "/api/v1/scheduler/status");
      assert.equal(mine.status, 200);
      assert.equal(typeof mine.body.workers.node_id, "string");
      assert.ok(mine.body.queue.every((q: { tenant_id: string }) => q.tenant_id === h.a.id));
      assert.deepEqual(mine.body.leases, []);
      const all = await h.call("GET", "/api/v1/scheduler/status", { key: h.adminKey });
      assert.equal(all.status, 200);
      assert.ok(Array.isArray(all.body.leases));
    });
  });
}
