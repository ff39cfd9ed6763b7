// The `llm` step through the orchestrator against a local chat-completions peer, on both dialects:
// the request it sends, streaming, JSON mode, token budget, retries (429 Retry-After), timeout,
// cancellation, secrets and egress.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { startLocalServer } from "../../net/local-http-server.js";
import type { LocalServer } from "../../net/local-http-server.js";
import { finishFirstStep, startWorkflow } from "../run-step.js";
import { answer, providerError, stream } from "./chat-peer.js";

const OPERATOR_KEY = "sk-operator-key-0001";
const TENANT_KEY = "sk-tenant-secret-key-0002";

for (const dialect of DIALECTS) {
  describe(`llm step (${dialect})`, () => {
    let t: TestOrchestrator;
    let server: LocalServer;

    before(async () => {
      server = await startLocalServer();
      const local = { allow: ["127.0.0.1"] };
      t = await openTestOrchestrator(dialect, {
        leaseMs: 60_000,
        llm: {
          defaultProvider: "local",
          providers: {
            local: { baseUrl: `${server.origin}/v1`, defaultModel: "test-model", apiKey: OPERATOR_KEY, egress: local },
            byo: { baseUrl: `${server.origin}/byo/v1`, defaultModel: "byo-model", apiKeySecret: "llm_key", egress: local },
            unchecked: { baseUrl: `${server.origin}/v1`, defaultModel: "m" },
          },
        },
      });
      await t.orch.setSecret("llm_key", TENANT_KEY);
    });
    after(async () => {
      await server.close();
      await t.dispose();
    });
    beforeEach(() => {
      server.requests.length = 0;
      server.handle((_, res) => answer(res, "hello"));
    });

    const start = (yaml: string, input: Record<string, unknown> = {}) => startWorkflow(t.orch, yaml, { base: server.origin, ...input });
    const run = async (yaml: string, input: Record<string, unknown> = {}) => finishFirstStep(t.orch, await start(yaml, input));
    async function fireNextTimer(): Promise<number> {
      const timer = await t.clock.nextTimer();
      const delay = timer.at - t.clock.now();
      await t.clock.advance(delay);
      return delay;
    }

    test("a prompt becomes a chat completion: model, max_tokens, operator key, idempotency key; usage recorded", async () => {
      server.handle((_, res) => answer(res, "A short summary.", { prompt_tokens: 20, completion_tokens: 7 }));
      const before = await t.orch.getTokenUsage("default");
      const { executionId, step } = await run(`
name: llm-prompt
steps:
  - id: summary
    type: llm
    config: { prompt: "Summarise: {{input.text}}", system: "Be brief.", max_tokens: 500, temperature: 0.2 }
`, { text: "sales rose" });
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual(step.output, {
        content: "A short summary.",
        json: null,
        model: "test-model",
        provider: "local",
        finish_reason: "stop",
        usage: { prompt_tokens: 20, completion_tokens: 7, total_tokens: 27 },
      });
      const request = server.requests[0];
      assert.equal(request?.method, "POST");
      assert.equal(request?.url, "/v1/chat/completions");
      assert.equal(request?.headers.authorization, `Bearer ${OPERATOR_KEY}`);
      assert.equal(request?.headers["idempotency-key"], `${executionId}:summary:0`);
      assert.deepEqual(JSON.parse(request?.body ?? ""), {
        model: "test-model",
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Summarise: sales rose" },
        ],
        max_tokens: 500,
        temperature: 0.2,
        stream: false,
      });
      const afterUsage = await t.orch.getTokenUsage("default");
      assert.equal(afterUsage.inputTokens - before.inputTokens, 20);
      assert.equal(afterUsage.outputTokens - before.outputTokens, 7);
    });

    test("messages are sent as given, to the named provider and model", async () => {
      const { step } = await run(`
name: llm-messages
steps:
  - id: chat
    type: llm
    config:
      provider: local
      model: other-model
      messages:
        - { role: system, content: "You are terse." }
        - { role: user, content: "Hi" }
`);
      assert.equal(step.status, "completed", step.error ?? "");
      const body = JSON.parse(server.requests[0]?.body ?? "") as { model: string; messages: unknown };
      assert.equal(body.model, "other-model");
      assert.deepEqual(body.messages, [
        { role: "system", content: "You are terse." },
        { role: "user", content: "Hi" },
      ]);
    });

    test("stream: true reads server-sent events into one answer with the usage of the last chunk", async () => {
      server.handle((_, res) => stream(res, ["Hel", "lo ", "world"], { prompt_tokens: 9, completion_tokens: 3 }));
      const { step } = await run(`
name: llm-stream
steps:
  - { id: s, type: llm, config: { prompt: "Say hello", stream: true } }
`);
      assert.equal(step.status, "completed", step.error ?? "");
      const output = step.output as { content: string; model: string; usage: unknown; finish_reason: string };
      assert.equal(output.content, "Hello world");
      assert.equal(output.model, "stream-model");
      assert.equal(output.finish_reason, "stop");
      assert.deepEqual(output.usage, { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 });
      const body = JSON.parse(server.requests[0]?.body ?? "") as Record<string, unknown>;
      assert.equal(body.stream, true);
      assert.deepEqual(body.stream_options, { include_usage: true });
      assert.equal(server.requests[0]?.headers.accept, "text/event-stream");
    });

    test("a stream cut before its end is retried", async () => {
      let calls = 0;
      server.handle((_, res) => {
        if (++calls > 1) return stream(res, ["whole"]);
        res.writeHead(200, { "content-type": "text/event-stream" });
        res.end(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "par" }, finish_reason: null }] })}\n\n`);
      });
      const executionId = await start(`
name: llm-stream-cut
steps:
  - { id: s, type: llm, retry: { max_attempts: 2, initial_delay: 1s }, config: { prompt: "x", stream: true } }
`);
      assert.equal(await fireNextTimer(), 1000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.equal((step.output as { content: string }).content, "whole");
      assert.equal(step.attempts, 2);
    });

    test("json_schema asks for structured output and checks the answer; a bad answer is retried", async () => {
      let calls = 0;
      server.handle((_, res) => answer(res, ++calls === 1 ? '{"label": 5}' : '{"label": "positive", "score": 0.9}'));
      const executionId = await start(`
name: llm-json
steps:
  - id: classify
    type: llm
    retry: { max_attempts: 2, initial_delay: 1s }
    config:
      prompt: "Classify"
      json_schema:
        type: object
        properties: { label: { type: string }, score: { type: number } }
        required: [label]
`);
      assert.equal(await fireNextTimer(), 1000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual((step.output as { json: unknown }).json, { label: "positive", score: 0.9 });
      const format = (JSON.parse(server.requests[0]?.body ?? "") as { response_format: { type: string; json_schema: { name: string; strict: boolean } } }).response_format;
      assert.equal(format.type, "json_schema");
      assert.equal(format.json_schema.strict, true);
    });

    test("429 with Retry-After waits exactly as told; 500 is retried with a new idempotency key", async () => {
      let calls = 0;
      server.handle((_, res) => {
        calls++;
        if (calls === 1) providerError(res, 429, "Rate limit reached", { "retry-after": "7" });
        else if (calls === 2) providerError(res, 500, "overloaded");
        else answer(res, "ok");
      });
      const executionId = await start(`
name: llm-retry
steps:
  - { id: r, type: llm, retry: { max_attempts: 3, initial_delay: 2s }, config: { prompt: "x" } }
`);
      assert.equal(await fireNextTimer(), 7000);
      assert.ok((await fireNextTimer()) >= 2000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "completed", step.error ?? "");
      assert.equal(step.attempts, 3);
      assert.deepEqual(server.requests.map((r) => r.headers["idempotency-key"]), [`${executionId}:r:0`, `${executionId}:r:1`, `${executionId}:r:2`]);
    });

    test("a 400 is final: one attempt, the provider's message quoted", async () => {
      server.handle((_, res) => providerError(res, 400, "max_tokens is too large"));
      const { step } = await run(`
name: llm-400
steps:
  - { id: r, type: llm, retry: { max_attempts: 4, initial_delay: 1s }, config: { prompt: "x" } }
`);
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 1);
      assert.equal(step.error, `POST ${server.origin}/v1/chat/completions answered 400 Bad Request: max_tokens is too large`);
    });

    test("over the tenant's daily token budget the step fails with QUOTA_EXCEEDED before calling", async () => {
      const tenantId = await t.orch.createTenant("budgeted", "basic");
      await t.orch.modifyQuota(tenantId, { maxTokensPerDay: 100 });
      const { workflowId } = await t.orch.registerWorkflow(`
name: llm-budget
steps:
  - { id: big, type: llm, config: { prompt: "x", max_tokens: 500 } }
`, { tenantId });
      const { executionId } = await t.orch.startExecution(workflowId, {}, { tenantId });
      const done = await t.orch.waitForExecution(executionId, { tenantId });
      assert.equal(done.steps[0]?.status, "failed");
      assert.match(done.steps[0]?.error ?? "", /used up its LLM tokens per day quota of 100/);
      assert.equal(server.requests.length, 0);
    });

    test("the step timeout aborts a call the provider never answers", async () => {
      let arrived!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const closed = new Promise<void>((resolve) =>
        server.handle((_, __, req) => {
          req.socket.once("close", () => resolve());
          arrived();
        }),
      );
      const executionId = await start(`
name: llm-timeout
steps:
  - { id: slow, type: llm, timeout: 5s, config: { prompt: "x" } }
`);
      await arrival;
      assert.equal(await fireNextTimer(), 5000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "timed_out");
      await closed;
    });

    test("cancelling the execution aborts the call in flight", async () => {
      let arrived!: () => void;
      const arrival = new Promise<void>((resolve) => (arrived = resolve));
      const closed = new Promise<void>((resolve) =>
        server.handle((_, __, req) => {
          req.socket.once("close", () => resolve());
          arrived();
        }),
      );
      const executionId = await start(`
name: llm-cancel
steps:
  - { id: slow, type: llm, config: { prompt: "x" } }
`);
      await arrival;
      await t.orch.cancelExecution(executionId);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "cancelled");
      await closed;
    });

    test("a key from the tenant's secret is sent, and redacted where the provider echoes it", async () => {
      server.handle((request, res) => providerError(res, 401, `Incorrect API key provided: ${String(request.headers.authorization).slice(7)}`));
      const { step } = await run(`
name: llm-secret
steps:
  - { id: s, type: llm, config: { provider: byo, prompt: "x" } }
`);
      assert.equal(server.requests[0]?.headers.authorization, `Bearer ${TENANT_KEY}`);
      assert.equal(server.requests[0]?.url, "/byo/v1/chat/completions");
      assert.equal(step.status, "failed");
      assert.ok(!(step.error ?? "").includes(TENANT_KEY), step.error ?? "");
      assert.match(step.error ?? "", /Incorrect API key provided: \[REDACTED\]/);
      const logs = JSON.stringify(await t.orch.getExecutionLogs(step.executionId));
      assert.ok(!logs.includes(TENANT_KEY));
    });

    test("egress: a tenant-given base_url passes the tenant's policy; a provider without an allow-list is refused loopback", async () => {
      const tenantGiven = await run(`
name: llm-egress-tenant
steps:
  - { id: s, type: llm, config: { base_url: "{{input.base}}/v1", model: m, api_key: "{{secrets.llm_key}}", prompt: "x" } }
`);
      assert.equal(tenantGiven.step.status, "failed");
      assert.match(tenantGiven.step.error ?? "", /127\.0\.0\.1/);
      assert.equal(tenantGiven.step.attempts, 1);
      const operator = await run(`
name: llm-egress-operator
steps:
  - { id: s, type: llm, config: { provider: unchecked, prompt: "x" } }
`);
      assert.equal(operator.step.status, "failed");
      assert.match(operator.step.error ?? "", /egress to 127\.0\.0\.1 refused/);
      assert.equal(operator.step.attempts, 1);
      assert.equal(server.requests.length, 0);
    });

    test("validation: every config problem at its path; templates stand for run-time values", () => {
      assert.throws(
        () =>
          t.orch.validateWorkflow(`
name: llm-bad
steps:
  - { id: a, type: llm, config: { max_tokens: -1, temperature: 3, stream: "yes", extra: 1 } }
  - { id: b, type: llm, config: { prompt: "x", messages: [{ role: user, content: "y" }] } }
  - { id: c, type: llm, config: { prompt: "{{input.p}}", max_tokens: "{{input.n}}" } }
`),
        (error: { code: string; issues: Array<{ path: string }> }) => {
          assert.equal(error.code, "VALIDATION_FAILED");
          const paths = error.issues.map((issue) => issue.path).sort();
          assert.deepEqual(paths, ["steps[0].config.extra", "steps[0].config.max_tokens", "steps[0].config.stream", "steps[0].config.temperature", "steps[1].config.prompt"]);
          return true;
        },
      );
    });
  });
}
