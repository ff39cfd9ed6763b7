// The `http` step through the orchestrator against a real local server: responses, headers, query,
// status handling with the engine's retries (fake clock), timeouts, cancellation, size limit, egress.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createHttpExecutor } from "../../src/executors/http/http-executor.js";
import type { EgressPolicy } from "../../src/net/egress-policy.js";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";
import { finishFirstStep, startWorkflow } from "./run-step.js";

describe("http step", () => {
  let t: TestOrchestrator;
  let server: LocalServer;
  let policy: EgressPolicy = { allow: ["127.0.0.1"] };

  before(async () => {
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
    t.orch.registerStepExecutor(createHttpExecutor({ egress: () => policy }), { replace: true });
    server = await startLocalServer();
  });
  after(async () => {
    await server.close();
    await t.dispose();
  });
  beforeEach(() => {
    policy = { allow: ["127.0.0.1"] };
    server.requests.length = 0;
  });

  const start = (yaml: string, input: Record<string, unknown> = {}) => startWorkflow(t.orch, yaml, { base: server.origin, ...input });
  const finish = (executionId: string) => finishFirstStep(t.orch, executionId);

  async function run(yaml: string, input: Record<string, unknown> = {}) {
    return finish(await start(yaml, input));
  }

  /** Waits for the engine's next timer (a retry's backoff or a step timeout) and fires it. */
  async function fireNextTimer(): Promise<number> {
    const timer = await t.clock.nextTimer();
    const delay = timer.at - t.clock.now();
    await t.clock.advance(delay);
    return delay;
  }

  /** The server takes requests and never answers; `arrival` and `closed` follow the first one's connection. */
  function hangingServer() {
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const closed = new Promise<void>((resolve) =>
      server.handle((_, __, req) => {
        req.socket.once("close", () => resolve());
        arrived();
      }),
    );
    return { arrival, closed };
  }

  test("GET with query and headers: JSON output parsed, headers lower-cased, no Idempotency-Key", async () => {
    server.handle((request, res) => sendJson(res, 200, { ok: true, items: [1, 2] }, { "x-request-id": "r-1" }));
    const { step } = await run(`
name: http-get
steps:
  - id: fetch
    type: http
    config:
      url: "{{input.base}}/items?fixed=1"
      query: { page: 2, tag: [a, b], skip: null }
      headers: { X-Trace: abc, Accept: application/json }
`);
    assert.equal(step.status, "completed", step.error ?? "");
    const output = step.output as { status_code: number; headers: Record<string, string>; body: string; json: unknown };
    assert.equal(output.status_code, 200);
    assert.deepEqual(output.json, { ok: true, items: [1, 2] });
    assert.equal(output.body, '{"ok":true,"items":[1,2]}');
    assert.equal(output.headers["content-type"], "application/json");
    assert.equal(output.headers["x-request-id"], "r-1");
    const request = server.requests[0];
    assert.equal(request?.method, "GET");
    assert.equal(request?.url, "/items?fixed=1&page=2&tag=a&tag=b");
    assert.equal(request?.headers["x-trace"], "abc");
    assert.equal(request?.headers["user-agent"], "synergymesh");
    assert.equal(request?.headers["idempotency-key"], undefined);
  });

  test("a text response has its body and json null", async () => {
    server.handle((_, res) => {
      res.writeHead(200, { "content-type": "text/plain; charset=utf-8" });
      res.end("hello, 世界");
    });
    const { step } = await run(`
name: http-text
steps: [{ id: fetch, type: http, config: { url: "{{input.base}}/text" } }]
`);
    assert.deepEqual(step.output, { status_code: 200, headers: (step.output as { headers: unknown }).headers, body: "hello, 世界", json: null });
  });

  test("POST sends an object body as JSON with the attempt's idempotency key", async () => {
    server.handle((request, res) => sendJson(res, 201, { received: request.headers["content-type"] === "application/json" ? JSON.parse(request.body) : request.body }));
    const executionId = await start(
      `
name: http-post
steps:
  - id: create
    type: http
    config:
      method: post
      url: "{{input.base}}/orders"
      body: { order_id: "{{input.order}}", qty: 3 }
  - id: raw
    type: http
    depends_on: [create]
    config: { method: PUT, url: "{{input.base}}/raw", body: "plain text", idempotency_key: false }
  - id: own_key
    type: http
    depends_on: [raw]
    config: { method: DELETE, url: "{{input.base}}/orders/1", headers: { Idempotency-Key: mine } }
`,
      { order: 42 },
    );
    const { done } = await finish(executionId);
    assert.equal(done.status, "completed", done.error ?? "");
    const [create, raw, ownKey] = server.requests;
    assert.equal(create?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(create?.body ?? ""), { order_id: 42, qty: 3 });
    assert.equal(create?.headers["idempotency-key"], `${executionId}:create:0`);
    assert.deepEqual((done.steps.find((s) => s.stepId === "create")?.output as { json: unknown }).json, { received: { order_id: 42, qty: 3 } });
    assert.equal(raw?.body, "plain text");
    assert.equal(raw?.headers["content-type"], "text/plain;charset=UTF-8");
    assert.equal(raw?.headers["idempotency-key"], undefined);
    assert.equal(ownKey?.headers["idempotency-key"], "mine");
  });

  test("a 500 is retried by the step's retry policy, with a new idempotency key, then succeeds", async () => {
    let calls = 0;
    server.handle((_, res) => (++calls === 1 ? sendJson(res, 500, { error: "boom" }) : sendJson(res, 200, { ok: true })));
    const executionId = await start(`
name: http-retry
steps:
  - id: flaky
    type: http
    config: { method: POST, url: "{{input.base}}/flaky" }
    retry: { max_attempts: 3, initial_delay: 1s }
`);
    assert.equal(await fireNextTimer(), 1000);
    const { step } = await finish(executionId);
    assert.equal(step.status, "completed");
    assert.equal(step.attempts, 2);
    assert.deepEqual(server.requests.map((r) => r.headers["idempotency-key"]), [`${executionId}:flaky:0`, `${executionId}:flaky:1`]);
  });

  test("a 404 fails at once, whatever the retry policy, quoting the answer", async () => {
    server.handle((_, res) => {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such item");
    });
    const { done, step } = await run(`
name: http-404
steps:
  - id: missing
    type: http
    config: { url: "{{input.base}}/items/9" }
    retry: { max_attempts: 5, initial_delay: 1s }
`);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, `GET ${server.origin}/items/9 answered 404 Not Found: no such item`);
    assert.equal(done.status, "failed");
  });

  test("429 and 503 with Retry-After wait exactly as told (seconds or an HTTP date)", async () => {
    let calls = 0;
    server.handle((_, res) => {
      calls++;
      if (calls === 1) sendJson(res, 429, { error: "slow down" }, { "retry-after": "7" });
      else if (calls === 2) sendJson(res, 503, { error: "busy" }, { "retry-after": new Date(t.clock.now() + 30_000).toUTCString() });
      else sendJson(res, 200, { ok: true });
    });
    const executionId = await start(`
name: http-retry-after
steps:
  - id: limited
    type: http
    config: { url: "{{input.base}}/limited" }
    retry: { max_attempts: 3, initial_delay: 1s }
`);
    assert.equal(await fireNextTimer(), 7000);
    assert.equal(await fireNextTimer(), 30_000);
    const { step } = await finish(executionId);
    assert.equal(step.status, "completed");
    assert.equal(step.attempts, 3);
  });

  test("expected_status makes other answers a success; codes and classes", async () => {
    server.handle((_, res) => sendJson(res, 404, { gone: true }));
    const { step } = await run(`
name: http-expected
steps:
  - { id: probe, type: http, config: { url: "{{input.base}}/x", expected_status: [404, 2xx] } }
`);
    assert.equal(step.status, "completed");
    assert.equal((step.output as { status_code: number }).status_code, 404);
    server.handle((_, res) => sendJson(res, 200, {}));
    const strict = await run(`
name: http-expected-strict
steps:
  - { id: probe, type: http, config: { url: "{{input.base}}/x", expected_status: [201] } }
`);
    assert.equal(strict.step.status, "failed");
    assert.match(strict.step.error ?? "", /answered 200 OK/);
  });

  test("the step timeout aborts a request the server never answers", async () => {
    const { arrival, closed } = hangingServer();
    const executionId = await start(`
name: http-hang
steps:
  - { id: slow, type: http, timeout: 5s, config: { url: "{{input.base}}/hang" } }
`);
    await arrival;
    assert.equal(await fireNextTimer(), 5000);
    const { step } = await finish(executionId);
    assert.equal(step.status, "timed_out");
    await closed;
    assert.equal(server.requests.length, 1);
  });

  test("the config timeout bounds the request itself and is retryable", async () => {
    server.handle(() => {});
    const { step } = await run(`
name: http-config-timeout
steps:
  - { id: slow, type: http, config: { url: "{{input.base}}/hang", timeout: 50ms } }
`);
    assert.equal(step.status, "failed");
    assert.equal(step.error, `GET ${server.origin}/hang timed out after 50 ms`);
  });

  test("cancelling the execution aborts the request in flight", async () => {
    const { arrival, closed } = hangingServer();
    const executionId = await start(`
name: http-cancel
steps:
  - { id: forever, type: http, config: { url: "{{input.base}}/hang" } }
`);
    await arrival;
    await t.orch.cancelExecution(executionId);
    const { done, step } = await finish(executionId);
    assert.equal(done.status, "cancelled");
    assert.equal(step.status, "cancelled");
    await closed;
  });

  test("max_response_bytes refuses a larger body, declared or streamed, without retrying", async () => {
    server.handle((request, res) => {
      if (request.url === "/declared") {
        res.writeHead(200, { "content-type": "text/plain", "content-length": "5000" });
        res.end("x".repeat(5000));
      } else {
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 5; i++) res.write("y".repeat(1000));
        res.end();
      }
    });
    for (const path of ["/declared", "/streamed"]) {
      const { step } = await run(`
name: http-big${path.slice(1)}
steps:
  - id: big
    type: http
    config: { url: "{{input.base}}${path}", max_response_bytes: 1000 }
    retry: { max_attempts: 3, initial_delay: 1s }
`);
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 1);
      assert.equal(step.error, `GET ${server.origin}${path}: the response is larger than max_response_bytes (1000 bytes)`);
    }
    const fits = await run(`
name: http-fits
steps: [{ id: big, type: http, config: { url: "{{input.base}}/streamed", max_response_bytes: 5000 } }]
`);
    assert.equal((fits.step.output as { body: string }).body.length, 5000);
  });

  test("a refused connection is a network error and is retried", async () => {
    const closedServer = await startLocalServer();
    await closedServer.close();
    const executionId = await start(
      `
name: http-refused
steps:
  - id: down
    type: http
    config: { url: "{{input.target}}/x" }
    retry: { max_attempts: 2, initial_delay: 2s }
`,
      { target: closedServer.origin },
    );
    assert.equal(await fireNextTimer(), 2000);
    const { step } = await finish(executionId);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 2);
    assert.match(step.error ?? "", new RegExp(`^GET ${closedServer.origin}/x failed: .*ECONNREFUSED`));
  });

  test("the tenant's egress policy refuses loopback by default: nothing is sent, nothing is retried", async () => {
    policy = {};
    const { step } = await run(`
name: http-egress
steps:
  - id: internal
    type: http
    config: { url: "{{input.base}}/admin" }
    retry: { max_attempts: 3, initial_delay: 1s }
`);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, "egress to 127.0.0.1 refused: loopback address (127.0.0.0/8) is refused by default; add an allow entry for the host or the address to reach it");
    assert.equal(server.requests.length, 0);
    policy = { allow: ["127.0.0.1"] };
    const metadata = await run(`
name: http-egress-metadata
steps: [{ id: imds, type: http, config: { url: "http://169.254.169.254/latest/meta-data/iam" } }]
`);
    assert.match(metadata.step.error ?? "", /cloud metadata address 169\.254\.169\.254/);
  });

  test("request headers are not part of the output or the error", async () => {
    let calls = 0;
    server.handle((_, res) => (++calls === 1 ? sendJson(res, 401, { error: "bad token" }) : sendJson(res, 200, { ok: true })));
    const yaml = (name: string) => `
name: ${name}
steps:
  - id: call
    type: http
    config: { url: "{{input.base}}/secure", headers: { Authorization: "Bearer tok-4f9a2c77e1" } }
`;
    const failed = await run(yaml("http-cred-fail"));
    const passed = await run(yaml("http-cred-ok"));
    assert.equal(server.requests[0]?.headers.authorization, "Bearer tok-4f9a2c77e1");
    assert.equal(failed.step.status, "failed");
    assert.equal(passed.step.status, "completed");
    for (const step of [failed.step, passed.step]) assert.equal(JSON.stringify([step.output, step.error]).includes("tok-4f9a2c77e1"), false);
  });

  test("a {{secrets.x}} in a header reaches the server, and is redacted even where the server echoes it", async () => {
    const secret = "sk-live-9c1e55aa0b7d";
    await t.orch.setSecret("api_token", secret);
    let calls = 0;
    server.handle((request, res) => sendJson(res, ++calls === 1 ? 403 : 200, { echoed: request.headers.authorization }));
    const yaml = (name: string) => `
name: ${name}
steps:
  - id: call
    type: http
    config: { url: "{{input.base}}/secure?key={{secrets.api_token}}", headers: { Authorization: "Bearer {{secrets.api_token}}" } }
`;
    const failed = await run(yaml("http-secret-fail"));
    const passed = await run(yaml("http-secret-ok"));
    assert.equal(server.requests[0]?.headers.authorization, `Bearer ${secret}`);
    assert.equal(server.requests[0]?.url, `/secure?key=${secret}`);
    assert.equal(failed.step.status, "failed");
    assert.equal(passed.step.status, "completed");
    assert.equal((passed.step.output as { json: { echoed: string } }).json.echoed, "Bearer [REDACTED]");
    assert.match(failed.step.error ?? "", /^GET .*\/secure\?key=\[REDACTED\] answered 403 Forbidden: \{"echoed":"Bearer \[REDACTED\]"\}$/);
    const logs = await t.orch.getExecutionLogs(failed.done.executionId);
    for (const text of [JSON.stringify([failed.step, passed.step]), JSON.stringify(logs)]) assert.equal(text.includes(secret), false);
  });

  test("validation reports every config problem at its path; templates stand for run-time values", () => {
    assert.throws(
      () =>
        t.orch.validateWorkflow(`
name: http-bad
steps:
  - id: bad
    type: http
    config:
      method: FETCH
      url: ftp://example.com/file
      timeout: 5 minutes
      expected_status: [200, 700, 4xy]
      max_response_bytes: -1
      retries: 3
  - id: get_body
    type: http
    config: { url: "https://example.com", body: { a: 1 } }
`),
      (error: unknown) => {
        const issues = (error as { issues: Array<{ path: string; message: string }> }).issues.map((i) => i.path);
        assert.deepEqual(issues.sort(), [
          "steps[0].config.expected_status[1]",
          "steps[0].config.expected_status[2]",
          "steps[0].config.max_response_bytes",
          "steps[0].config.method",
          "steps[0].config.retries",
          "steps[0].config.timeout",
          "steps[0].config.url",
          "steps[1].config.body",
        ]);
        return true;
      },
    );
    t.orch.validateWorkflow(`
name: http-templated
steps:
  - id: call
    type: http
    config:
      method: "{{input.method}}"
      url: "{{input.base}}/x"
      timeout: "{{input.timeout}}"
      expected_status: "{{input.expected}}"
      headers: "{{input.headers}}"
      max_response_bytes: "{{input.max}}"
      body: { a: 1 }
`);
  });

  test("a rendered value that does not fit is a non-retryable config error at run time", async () => {
    const { step } = await run(
      `
name: http-runtime-config
steps:
  - id: call
    type: http
    config: { url: "{{input.base}}/x", timeout: "{{input.timeout}}" }
    retry: { max_attempts: 3, initial_delay: 1s }
`,
      { timeout: "soon" },
    );
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.match(step.error ?? "", /^config\.timeout: must be a duration/);
  });
});
