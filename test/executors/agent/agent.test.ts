// The `agent` step against a local agent service speaking the documented contract, on both dialects:
// a synchronous answer, a task polled while the step waits (no worker slot), a signed callback
// resuming the step through orch.completeAgentTask, failures, deadline, retries, cancellation, egress.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Orchestrator } from "synergymesh";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { signWebhook } from "../../../src/executors/webhook/webhook-signature.js";
import { sendJson, startLocalServer } from "../../net/local-http-server.js";
import type { LocalServer } from "../../net/local-http-server.js";
import { finishFirstStep, startWorkflow } from "../run-step.js";

const AGENT_KEY = "agent-api-key-tenant-0001";
const CALLBACK_KEY = Buffer.from("a 32-byte callback key for tests");
const PUBLIC_URL = "https://flows.example.test";

/** A callback the way an agent service sends it: Standard Webhooks headers over the raw body. */
function signedCallback(orch: Orchestrator, callbackUrl: string, body: unknown, nowMs: number, key = CALLBACK_KEY, tenantId?: string) {
  const token = callbackUrl.slice(callbackUrl.lastIndexOf("/") + 1);
  const rawBody = JSON.stringify(body);
  const timestamp = Math.floor(nowMs / 1000);
  const headers = { "Webhook-Id": "msg_1", "Webhook-Timestamp": String(timestamp), "Webhook-Signature": signWebhook(key, "msg_1", timestamp, rawBody) };
  return orch.completeAgentTask(token, { headers, rawBody }, tenantId === undefined ? {} : { tenantId });
}

for (const dialect of DIALECTS) {
  describe(`agent step (${dialect})`, () => {
    let t: TestOrchestrator;
    let server: LocalServer;
    const local = { allow: ["127.0.0.1"] };

    before(async () => {
      server = await startLocalServer();
      t = await openTestOrchestrator(dialect, {
        leaseMs: 60_000,
        publicUrl: PUBLIC_URL,
        agents: {
          "data-processor": { baseUrl: `${server.origin}/agents`, apiKeySecret: "agent_key", pollIntervalMs: 5000, egress: local },
          "callback-agent": { baseUrl: `${server.origin}/cb`, callbackSecret: `whsec_${CALLBACK_KEY.toString("base64")}`, pollIntervalMs: 0, egress: local },
          unchecked: { baseUrl: `${server.origin}/agents` },
        },
      });
      await t.orch.setSecret("agent_key", AGENT_KEY);
    });
    after(async () => {
      await server.close();
      await t.dispose();
    });
    beforeEach(() => {
      server.requests.length = 0;
    });

    const start = (yaml: string, input: Record<string, unknown> = {}) => startWorkflow(t.orch, yaml, input);
    const finish = (executionId: string) => finishFirstStep(t.orch, executionId);
    async function fireNextTimer(): Promise<number> {
      const timer = await t.clock.nextTimer();
      const delay = timer.at - t.clock.now();
      await t.clock.advance(delay);
      return delay;
    }
    /** Resolves once the step is `waiting` (a turn of the event loop between reads, no sleep). */
    async function waiting(executionId: string, stepId: string, status = "waiting") {
      for (;;) {
        const execution = await t.orch.getExecution(executionId);
        const step = execution.steps.find((s) => s.stepId === stepId);
        if (step?.status === status) return step;
        if (execution.finishedAt !== null) throw new Error(`execution ended ${execution.status}: ${step?.error ?? ""}`);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }

    test("a 200 answer is the step's output; the task, input, idempotency key and key are sent", async () => {
      server.handle((_, res) => sendJson(res, 200, { output: { result: "42 rows", rows: 42 } }));
      const executionId = await start(`
name: agent-sync
variables: { input_file: "/data/sales.csv", batch_size: 1000 }
steps:
  - id: process
    type: agent
    config: { agent_id: data-processor, task: process_data }
    input_mapping: { file: "{{variables.input_file}}", batch_size: "{{variables.batch_size}}" }
`);
      const { step } = await finish(executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual(step.output, { result: "42 rows", rows: 42 });
      const request = server.requests[0];
      assert.equal(request?.url, "/agents/tasks");
      assert.equal(request?.headers.authorization, `Bearer ${AGENT_KEY}`);
      assert.equal(request?.headers["idempotency-key"], `${executionId}:process:0`);
      assert.deepEqual(JSON.parse(request?.body ?? ""), {
        agent_id: "data-processor",
        task: "process_data",
        input: { file: "/data/sales.csv", batch_size: 1000 },
        idempotency_key: `${executionId}:process:0`,
      });
    });

    test("a 202 task is polled while the step waits, holding no worker slot, until it completes", async () => {
      let polls = 0;
      server.handle((request, res) => {
        if (request.method === "POST") return sendJson(res, 202, { task_id: "t-1" });
        polls++;
        sendJson(res, 200, polls < 2 ? { status: "running" } : { status: "completed", output: { summary: "done" } });
      });
      const executionId = await start(`
name: agent-poll
steps:
  - { id: analysis, type: agent, config: { agent_id: data-processor, task: analyze_sales_data } }
`);
      const step = await waiting(executionId, "analysis");
      assert.deepEqual({ ...(step.output as object), started_at: 0, deadline: 0 }, { status: "waiting", agent_id: "data-processor", task: "analyze_sales_data", task_id: "t-1", idempotency_key: `${executionId}:analysis:0`, started_at: 0, deadline: 0, polls: 0 });
      assert.equal((await t.orch.getTenantHealth("default")).activeTasks, 0, "a waiting agent step holds no slot");
      assert.equal(await fireNextTimer(), 5000);
      await waiting(executionId, "analysis");
      assert.equal(await fireNextTimer(), 5000);
      const { step: done } = await finish(executionId);
      assert.equal(done.status, "completed", done.error ?? "");
      assert.deepEqual(done.output, { summary: "done" });
      assert.deepEqual(server.requests.map((r) => `${r.method} ${r.url}`), ["POST /agents/tasks", "GET /agents/tasks/t-1", "GET /agents/tasks/t-1"]);
    });

    test("a task that fails on the agent fails the step without retrying, with the agent's error", async () => {
      server.handle((request, res) => (request.method === "POST" ? sendJson(res, 202, { task_id: "t-2" }) : sendJson(res, 200, { status: "failed", error: "the file is empty" })));
      const executionId = await start(`
name: agent-fail
steps:
  - { id: a, type: agent, retry: { max_attempts: 3 }, config: { agent_id: data-processor, task: t } }
`);
      await waiting(executionId, "a");
      await fireNextTimer();
      const { step } = await finish(executionId);
      assert.equal(step.status, "failed");
      assert.equal(step.error, "agent data-processor task t-2 failed: the file is empty");
      assert.equal(server.requests.filter((r) => r.method === "POST").length, 1, "not retried");
    });

    test("a task still running at the config timeout ends the step timed_out", async () => {
      server.handle((request, res) => (request.method === "POST" ? sendJson(res, 202, { task_id: "t-3" }) : sendJson(res, 200, { status: "running" })));
      const executionId = await start(`
name: agent-deadline
steps:
  - { id: a, type: agent, config: { agent_id: data-processor, task: t, timeout: 8s } }
`);
      await waiting(executionId, "a");
      assert.equal(await fireNextTimer(), 5000);
      await waiting(executionId, "a");
      assert.equal(await fireNextTimer(), 3000);
      const { step } = await finish(executionId);
      assert.equal(step.status, "timed_out");
      assert.match(step.error ?? "", /did not finish within 8000 ms/);
    });

    test("the callback: a signed result resumes the waiting step through completeAgentTask", async () => {
      let callbackUrl = "";
      server.handle((request, res) => {
        callbackUrl = (JSON.parse(request.body) as { callback_url: string }).callback_url;
        sendJson(res, 202, { task_id: "cb-1" });
      });
      const executionId = await start(`
name: agent-callback
steps:
  - { id: a, type: agent, config: { agent_id: callback-agent, task: summarise } }
`);
      await waiting(executionId, "a");
      assert.ok(callbackUrl.startsWith(`${PUBLIC_URL}/api/v1/agent-callbacks/`), callbackUrl);
      // Forged, stale, or another tenant's: refused, and the step keeps waiting.
      await assert.rejects(signedCallback(t.orch, callbackUrl, { status: "completed", output: 1 }, t.clock.now(), Buffer.from("not the agent's key, 32 bytes...")), { code: "UNAUTHENTICATED" });
      await assert.rejects(signedCallback(t.orch, callbackUrl, { status: "completed", output: 1 }, t.clock.now() - 3_600_000), { code: "UNAUTHENTICATED" });
      await assert.rejects(signedCallback(t.orch, `${callbackUrl}x`, { status: "completed", output: 1 }, t.clock.now()), { code: "NOT_FOUND" });
      const other = await t.orch.createTenant("other", "basic");
      await assert.rejects(signedCallback(t.orch, callbackUrl, { status: "completed", output: 1 }, t.clock.now(), CALLBACK_KEY, other), { code: "NOT_FOUND" });
      await assert.rejects(signedCallback(t.orch, callbackUrl, { status: "maybe" }, t.clock.now()), { code: "VALIDATION_FAILED" });
      await signedCallback(t.orch, callbackUrl, { task_id: "cb-1", status: "completed", output: { summary: "from the callback" } }, t.clock.now());
      const { step } = await finish(executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual(step.output, { summary: "from the callback" });
      assert.equal(server.requests.length, 1, "callback-only agents are never polled");
      await assert.rejects(signedCallback(t.orch, callbackUrl, { status: "completed", output: 2 }, t.clock.now()), { code: "NOT_FOUND" });
    });

    test("a 503 creating the task is retried with a new idempotency key; a 400 is final", async () => {
      let calls = 0;
      server.handle((_, res) => (++calls === 1 ? sendJson(res, 503, { error: "busy" }) : sendJson(res, 200, { output: "ok" })));
      const executionId = await start(`
name: agent-retry
steps:
  - { id: a, type: agent, retry: { max_attempts: 2, initial_delay: 1s }, config: { agent_id: data-processor, task: t } }
`);
      await waiting(executionId, "a", "retrying");
      await t.clock.advance(1000);
      const { step } = await finish(executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual(server.requests.map((r) => (JSON.parse(r.body) as { idempotency_key: string }).idempotency_key), [`${executionId}:a:0`, `${executionId}:a:1`]);
      server.handle((_, res) => sendJson(res, 400, { error: "unknown task" }));
      const bad = await finish(await start(`
name: agent-400
steps:
  - { id: a, type: agent, retry: { max_attempts: 3 }, config: { agent_id: data-processor, task: nope } }
`));
      assert.equal(bad.step.status, "failed");
      assert.equal(bad.step.attempts, 1);
    });

    test("cancelling the execution aborts the request in flight", async () => {
      let arrived!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const closed = new Promise<void>((resolve) =>
        server.handle((_, __, req) => {
          req.socket.once("close", () => resolve());
          arrived();
        }),
      );
      const executionId = await start(`
name: agent-cancel
steps:
  - { id: a, type: agent, config: { agent_id: data-processor, task: t } }
`);
      await arrival;
      await t.orch.cancelExecution(executionId);
      const { step } = await finish(executionId);
      assert.equal(step.status, "cancelled");
      await closed;
    });

    test("an unknown agent_id and a service without an egress allow-list fail clearly, sending nothing", async () => {
      const unknown = await finish(await start(`
name: agent-unknown
steps:
  - { id: a, type: agent, config: { agent_id: nobody, task: t } }
`));
      assert.equal(unknown.step.status, "failed");
      assert.match(unknown.step.error ?? "", /no agent service is configured for agent_id "nobody".*configured: data-processor, callback-agent, unchecked/);
      const refused = await finish(await start(`
name: agent-egress
steps:
  - { id: a, type: agent, config: { agent_id: unchecked, task: t } }
`));
      assert.equal(refused.step.status, "failed");
      assert.match(refused.step.error ?? "", /egress to 127\.0\.0\.1 refused/);
      assert.equal(server.requests.length, 0);
    });
  });
}
