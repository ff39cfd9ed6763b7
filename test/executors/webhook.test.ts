// The `webhook` step against a real local receiver that verifies Standard Webhooks signatures the
// way a receiver does: recomputing the HMAC over `${id}.${timestamp}.${body}` with the secret's key.
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createWebhookExecutor } from "../../src/executors/webhook/webhook-executor.js";
import { signWebhook, webhookSecretKey } from "../../src/executors/webhook/webhook-signature.js";
import type { EgressPolicy } from "../../src/net/egress-policy.js";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import type { LocalServer, RecordedRequest } from "../net/local-http-server.js";
import { runFirstStep } from "./run-step.js";

const KEY = Buffer.from("a 32-byte key for webhook tests!");
const WHSEC = `whsec_${KEY.toString("base64")}`;

/** A receiver's check (standardwebhooks.com): any `v1,` signature in the header may match. */
function verify(request: RecordedRequest, key: Buffer): boolean {
  const id = String(request.headers["webhook-id"]);
  const timestamp = String(request.headers["webhook-timestamp"]);
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${request.body}`).digest();
  return String(request.headers["webhook-signature"] ?? "")
    .split(" ")
    .some((entry) => {
      const [version, signature] = entry.split(",");
      const given = Buffer.from(signature ?? "", "base64");
      return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

test("the signature matches the Standard Webhooks reference example", () => {
  const key = webhookSecretKey("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  assert.equal(signWebhook(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
});

describe("webhook step", () => {
  let t: TestOrchestrator;
  let server: LocalServer;
  let policy: EgressPolicy = { allow: ["127.0.0.1"] };

  before(async () => {
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
    t.orch.registerStepExecutor(createWebhookExecutor({ egress: () => policy }), { replace: true });
    server = await startLocalServer((request, res) => sendJson(res, verify(request, KEY) ? 200 : 401, { verified: verify(request, KEY) }));
  });
  after(async () => {
    await server.close();
    await t.dispose();
  });
  beforeEach(() => {
    policy = { allow: ["127.0.0.1"] };
    server.requests.length = 0;
  });

  const run = (yaml: string, input: Record<string, unknown> = {}) => runFirstStep(t.orch, yaml, { base: server.origin, ...input });

  test("a whsec_ secret signs the step's input per Standard Webhooks; the receiver verifies it", async () => {
    const { executionId, step } = await run(
      `
name: webhook-signed
steps:
  - id: deliver
    type: webhook
    config: { url: "{{input.base}}/hooks/orders", secret: "${WHSEC}" }
    input_mapping: { order_id: "{{input.order}}", status: shipped }
`,
      { order: 7 },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual(step.output, { status_code: 200, headers: (step.output as { headers: unknown }).headers, body: '{"verified":true}', json: { verified: true } });
    const request = server.requests[0];
    assert.equal(request?.method, "POST");
    assert.equal(request?.url, "/hooks/orders");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request?.body ?? ""), { order_id: 7, status: "shipped" });
    assert.equal(request?.headers["webhook-id"], `${executionId}:deliver:0`);
    assert.equal(request?.headers["webhook-timestamp"], String(Math.floor(t.clock.now() / 1000)));
    assert.match(String(request?.headers["webhook-signature"]), /^v1,[A-Za-z0-9+/]+=*$/);
  });

  test("a secret without the whsec_ prefix is used as UTF-8 bytes; payload replaces the input", async () => {
    const raw = "plain-shared-secret";
    server.handle((request, res) => sendJson(res, verify(request, Buffer.from(raw, "utf8")) ? 202 : 401, {}));
    const { step } = await run(`
name: webhook-raw-secret
steps:
  - id: deliver
    type: webhook
    config:
      url: "{{input.base}}/hooks"
      secret: ${raw}
      payload: { event: "order.created", data: { id: 1 } }
      headers: { X-Tenant: acme }
`);
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal((step.output as { status_code: number }).status_code, 202);
    const request = server.requests[0];
    assert.deepEqual(JSON.parse(request?.body ?? ""), { event: "order.created", data: { id: 1 } });
    assert.equal(request?.headers["x-tenant"], "acme");
  });

  test("without a secret there is no signature; id and timestamp are still sent", async () => {
    server.handle((_, res) => sendJson(res, 200, {}));
    const { step } = await run(`
name: webhook-unsigned
steps: [{ id: deliver, type: webhook, config: { url: "{{input.base}}/hooks" } }]
`);
    assert.equal(step.status, "completed");
    const request = server.requests[0];
    assert.equal(request?.headers["webhook-signature"], undefined);
    assert.ok(request?.headers["webhook-id"]);
    assert.deepEqual(JSON.parse(request?.body ?? ""), {});
  });

  test("a rejected delivery (4xx) fails without retrying; a 5xx is retried", async () => {
    server.handle((_, res) => sendJson(res, 410, { error: "endpoint disabled" }));
    const gone = await run(`
name: webhook-gone
steps:
  - id: deliver
    type: webhook
    config: { url: "{{input.base}}/hooks" }
    retry: { max_attempts: 3, initial_delay: 1s }
`);
    assert.equal(gone.step.status, "failed");
    assert.equal(gone.step.attempts, 1);
    assert.equal(gone.step.error, `POST ${server.origin}/hooks answered 410 Gone: {"error":"endpoint disabled"}`);

    server.requests.length = 0;
    let calls = 0;
    server.handle((_, res) => sendJson(res, ++calls === 1 ? 502 : 200, {}));
    const { workflowId } = await t.orch.registerWorkflow(`
name: webhook-retry
steps:
  - id: deliver
    type: webhook
    config: { url: "{{input.base}}/hooks", secret: "${WHSEC}" }
    retry: { max_attempts: 2, initial_delay: 1s }
`);
    const { executionId } = await t.orch.startExecution(workflowId, { base: server.origin });
    const timer = await t.clock.nextTimer();
    await t.clock.advance(timer.at - t.clock.now());
    const done = await t.orch.waitForExecution(executionId);
    assert.equal(done.status, "completed");
    assert.deepEqual(server.requests.map((r) => r.headers["webhook-id"]), [`${executionId}:deliver:0`, `${executionId}:deliver:1`]);
  });

  test("the egress policy refuses loopback by default; no delivery arrives", async () => {
    policy = {};
    const { step } = await run(`
name: webhook-egress
steps: [{ id: deliver, type: webhook, config: { url: "{{input.base}}/hooks", secret: "${WHSEC}" } }]
`);
    assert.equal(step.status, "failed");
    assert.match(step.error ?? "", /^egress to 127\.0\.0\.1 refused: loopback address/);
    assert.equal(server.requests.length, 0);
  });

  test("config problems: a bad whsec_ secret fails at run time; unknown keys and bad URLs at validation", async () => {
    const { step } = await run(`
name: webhook-bad-secret
steps: [{ id: deliver, type: webhook, config: { url: "{{input.base}}/hooks", secret: "whsec_not base64!" } }]
`);
    assert.equal(step.status, "failed");
    assert.equal(step.error, "config.secret: a whsec_ secret must be followed by base64");
    assert.throws(
      () => t.orch.validateWorkflow(`
name: webhook-invalid
steps: [{ id: deliver, type: webhook, config: { url: "mailto:ops@example.com", method: GET } }]
`),
      (error: unknown) => {
        assert.deepEqual((error as { issues: Array<{ path: string }> }).issues.map((i) => i.path).sort(), ["steps[0].config.method", "steps[0].config.url"]);
        return true;
      },
    );
  });
});
