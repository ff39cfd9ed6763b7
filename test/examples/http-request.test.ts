// examples/http-request.yaml validates with the http step registered, and runs against a local
// server given as input: the document is fetched, then forwarded when a report URL is given.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createHttpExecutor } from "../../src/executors/http/http-executor.js";
import { createNotificationExecutor } from "../../src/executors/notification/notification-executor.js";
import { createWebhookExecutor } from "../../src/executors/webhook/webhook-executor.js";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";

const EXAMPLE = readFileSync(new URL("../../examples/http-request.yaml", import.meta.url), "utf8");

let t: TestOrchestrator;
let server: LocalServer;
before(async () => {
  t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
  const options = { egress: () => ({ allow: ["127.0.0.1"] }) };
  t.orch.registerStepExecutor(createHttpExecutor(options), { replace: true });
  t.orch.registerStepExecutor(createWebhookExecutor(options), { replace: true });
  t.orch.registerStepExecutor(createNotificationExecutor(options), { replace: true });
  server = await startLocalServer((request, res) => (request.method === "GET" ? sendJson(res, 200, { title: "report", values: [1, 2, 3] }) : sendJson(res, 201, {})));
});
after(async () => {
  await server.close();
  await t.dispose();
});

test("examples/http-request.yaml validates with the HTTP step types registered", () => {
  const definition = t.orch.validateWorkflow(EXAMPLE);
  assert.deepEqual(definition.steps.map((s) => [s.id, s.type]), [["fetch", "http"], ["forward", "http"]]);
});

test("examples/http-request.yaml fetches the URL given as input and forwards a summary", async () => {
  const { workflowId } = await t.orch.registerWorkflow(EXAMPLE);
  const { executionId } = await t.orch.startExecution(workflowId, { url: `${server.origin}/data.json`, report_url: `${server.origin}/report` });
  const done = await t.orch.waitForExecution(executionId);
  assert.equal(done.status, "completed", done.error ?? "");
  const fetched = done.steps.find((s) => s.stepId === "fetch")?.output as { json: unknown };
  assert.deepEqual(fetched.json, { title: "report", values: [1, 2, 3] });
  const forwarded = server.requests.find((r) => r.method === "POST");
  assert.equal(forwarded?.url, "/report");
  assert.deepEqual(JSON.parse(forwarded?.body ?? ""), { source: `${server.origin}/data.json`, status: 200, document: { title: "report", values: [1, 2, 3] } });

  const { executionId: second } = await t.orch.startExecution(workflowId, { url: `${server.origin}/data.json` });
  const without = await t.orch.waitForExecution(second);
  assert.equal(without.status, "completed");
  assert.equal(without.steps.find((s) => s.stepId === "forward")?.status, "skipped", "no report_url: nothing forwarded");
});
