// Webhook triggers through the library entry point the server's /hooks/<tenant>/<path> route calls,
// on both dialects: Standard Webhooks signatures (missing, wrong, stale, re-serialised body, secret
// rotation), a simple HMAC header, de-duplication on webhook-id, public triggers' limits, tenancy.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { isSynergyMeshError } from "synergymesh";
import { DIALECTS, FakeClock, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { signWebhook, webhookSecretKey } from "../../src/executors/webhook/webhook-signature.js";

const SECRET = "whsec_" + Buffer.from("a 32 byte secret for the tests!!").toString("base64");
const NEW_SECRET = "whsec_" + Buffer.from("the rotated secret of the tests!").toString("base64");
const FLOW = { id: "ingest", name: "ingest", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }] };

function signed(body: string, nowMs: number, options: { id?: string; secret?: string; at?: number } = {}) {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const timestamp = Math.floor((options.at ?? nowMs) / 1000);
  return {
    method: "POST",
    headers: { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": signWebhook(webhookSecretKey(options.secret ?? SECRET), id, timestamp, body), authorization: "Bearer must-not-leak" },
    rawBody: Buffer.from(body),
  };
}

async function rejectsWith(promise: Promise<unknown>, code: string, reason?: string): Promise<void> {
  const error = await promise.then(
    () => assert.fail("expected a refusal"),
    (e: unknown) => e,
  );
  assert.ok(isSynergyMeshError(error), String(error));
  assert.equal(error.code, code, error.message);
  if (reason !== undefined) assert.equal(error.details?.reason, reason);
}

for (const dialect of DIALECTS) {
  describe(`webhook triggers: ${dialect}`, () => {
    let t: TestOrchestrator;
    const count = async () => (await t.orch.listExecutions("default", { workflowId: "ingest" })).length;
    before(async () => {
      t = await openTestOrchestrator(dialect, { startWorkers: false, triggers: { enabled: false, publicWebhookRatePerSecond: 2, publicWebhookMaxBodyBytes: 64 }, clock: new FakeClock(Date.UTC(2026, 4, 1)) });
      await t.orch.registerWorkflow(FLOW, { status: "active" });
      await t.orch.setSecret("hook_key", SECRET);
      await t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "/webhook/data-process", secret: "{{secrets.hook_key}}" } });
    });
    after(() => t.dispose());

    test("a signed delivery starts the workflow with body and headers as input; credentials stay out", async () => {
      const body = JSON.stringify({ file: "data.csv", rows: 3 });
      const result = await t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now()));
      assert.equal(result.duplicate, false);
      const execution = await t.orch.getExecution(result.executionId);
      const input = execution.input as { body: unknown; headers: Record<string, string>; method: string; webhook_id: string };
      assert.deepEqual(input.body, { file: "data.csv", rows: 3 });
      assert.equal(input.method, "POST");
      assert.equal(input.headers["content-type"], "application/json");
      assert.equal(input.headers.authorization, undefined);
      assert.equal(input.headers["webhook-signature"], undefined);
      assert.ok(input.webhook_id.startsWith("msg_"));
    });

    test("the same webhook-id delivered again returns the same execution", async () => {
      const delivery = signed(JSON.stringify({ n: 1 }), t.clock.now(), { id: "msg_repeat" });
      const first = await t.orch.deliverWebhook("default", "webhook/data-process", delivery);
      const before = await count();
      const again = await t.orch.deliverWebhook("default", "webhook/data-process", delivery);
      assert.deepEqual([again.executionId, again.duplicate], [first.executionId, true]);
      assert.equal(await count(), before);
    });

    test("missing, wrong, stale and re-serialised-body signatures are UNAUTHENTICATED and start nothing", async () => {
      const before = await count();
      const body = JSON.stringify({ a: 1, b: [1, 2] });
      const good = signed(body, t.clock.now());
      const { "webhook-signature": _drop, ...unsigned } = good.headers;
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", { ...good, headers: unsigned }), "UNAUTHENTICATED", "missing_signature");
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now(), { secret: "whsec_" + Buffer.from("wrong secret, same length!!!!!!!").toString("base64") })), "UNAUTHENTICATED", "bad_signature");
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now(), { at: t.clock.now() - 6 * 60_000 })), "UNAUTHENTICATED", "stale_timestamp");
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now(), { at: t.clock.now() + 6 * 60_000 })), "UNAUTHENTICATED", "stale_timestamp");
      // The same JSON, re-serialised with other spacing: the bytes differ, so the signature does not hold.
      const reserialised = { ...good, rawBody: Buffer.from(JSON.stringify(JSON.parse(body), null, 2)) };
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", reserialised), "UNAUTHENTICATED", "bad_signature");
      const { "webhook-id": _id, ...noId } = good.headers;
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", { ...good, headers: noId }), "UNAUTHENTICATED", "missing_headers");
      const error = await t.orch.deliverWebhook("default", "webhook/data-process", { ...good, headers: unsigned }).catch((e: unknown) => e);
      assert.ok(isSynergyMeshError(error) && error.status === 401);
      assert.equal(await count(), before, "no execution was started by a refused delivery");
    });

    test("during a rotation both the old and the new secret verify, and several signatures in one header are accepted", async () => {
      await t.orch.setSecret("hook_key_next", NEW_SECRET);
      const [trigger] = await t.orch.listTriggers("default", { type: "webhook" });
      await t.orch.updateTrigger(trigger?.triggerId as string, { config: { path: "webhook/data-process", secret: ["{{secrets.hook_key_next}}", "{{secrets.hook_key}}"] } });
      const body = "{}";
      await t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now(), { secret: NEW_SECRET }));
      await t.orch.deliverWebhook("default", "webhook/data-process", signed(body, t.clock.now(), { secret: SECRET }));
      const sender = signed(body, t.clock.now(), { secret: NEW_SECRET });
      const ts = Number(sender.headers["webhook-timestamp"]);
      sender.headers["webhook-signature"] = `v1,${Buffer.alloc(32).toString("base64")} ${signWebhook(webhookSecretKey(NEW_SECRET), sender.headers["webhook-id"], ts, body)}`;
      await t.orch.deliverWebhook("default", "webhook/data-process", sender);
    });

    test("a simple HMAC header (GitHub style) with its delivery header for de-duplication", async () => {
      await t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "github", signature: "hmac", secret: "{{secrets.hook_key}}", dedup_header: "x-github-delivery" } });
      const body = '{"action":"opened"}';
      const sig = "sha256=" + createHmac("sha256", SECRET).update(body).digest("hex");
      const delivery = { method: "POST", headers: { "x-hub-signature-256": sig, "x-github-delivery": "d-1" }, rawBody: body };
      const first = await t.orch.deliverWebhook("default", "github", delivery);
      const second = await t.orch.deliverWebhook("default", "github", delivery);
      assert.equal(second.executionId, first.executionId);
      assert.equal(second.duplicate, true);
      await rejectsWith(t.orch.deliverWebhook("default", "github", { ...delivery, headers: { "x-hub-signature-256": sig.replace(/.$/, (c) => (c === "0" ? "1" : "0")) } }), "UNAUTHENTICATED", "bad_signature");
    });

    test("method, path and size are checked; a disabled trigger and another tenant's path start nothing", async () => {
      const body = "{}";
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", { ...signed(body, t.clock.now()), method: "GET" }), "METHOD_NOT_ALLOWED");
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/nothing-here", signed(body, t.clock.now())), "NOT_FOUND");
      await rejectsWith(t.orch.deliverWebhook("default", "../etc/passwd", signed(body, t.clock.now())), "NOT_FOUND");
      const other = await t.orch.createTenant("other", "basic" as never);
      await rejectsWith(t.orch.deliverWebhook(other, "webhook/data-process", signed(body, t.clock.now())), "NOT_FOUND");
      await t.orch.createTrigger({ workflowId: "ingest", type: "webhook", enabled: false, config: { path: "off", secret: "{{secrets.hook_key}}" } });
      await rejectsWith(t.orch.deliverWebhook("default", "off", signed(body, t.clock.now())), "CONFLICT");
      const huge = "x".repeat(1024 * 1024 + 1);
      await rejectsWith(t.orch.deliverWebhook("default", "webhook/data-process", signed(huge, t.clock.now())), "PAYLOAD_TOO_LARGE");
    });

    test("a trigger needs a secret or `public: true`; public triggers have their own rate and size limits", async () => {
      await rejectsWith(t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "open" } }), "VALIDATION_FAILED");
      await rejectsWith(t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "lit", secret: "plain-text-secret" } }), "VALIDATION_FAILED");
      await rejectsWith(t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "webhook/data-process", public: true } }), "CONFLICT");
      await t.orch.createTrigger({ workflowId: "ingest", type: "webhook", config: { path: "open", public: true } });
      const call = (body = "{}") => t.orch.deliverWebhook("default", "/open", { method: "POST", headers: {}, rawBody: body });
      await call();
      await call();
      await rejectsWith(call(), "RATE_LIMITED");
      await t.clock.advance(1000);
      await rejectsWith(call("x".repeat(65)), "PAYLOAD_TOO_LARGE");
      await call();
    });

    test("a definition whose webhook path is taken is refused before anything is stored", async () => {
      const hook = (path: string) => ({ type: "webhook", name: path, config: { path, public: true } });
      const v1 = { id: "hooked", name: "hooked", steps: [{ id: "a", type: "wait", config: { duration: "0s" } }], triggers: [hook("hooked/in")] };
      await t.orch.registerWorkflow(v1, { status: "active" });
      const versions = async () => (await t.orch.listWorkflowVersions("hooked")).length;
      const audit = async () => (await t.orch.getAuditLogs("default", { hours: 1_000_000, limit: 10_000 })).length;
      const [versionsBefore, auditBefore] = [await versions(), await audit()];

      // A path an API trigger holds (leading `/` dropped as the store does), as a new version and as a new workflow.
      const taken = { ...v1, description: "v2", triggers: [hook("hooked/in"), { type: "schedule", name: "n", config: { cron: "0 * * * *" } }, hook("/webhook/data-process")] };
      const conflict = await t.orch.registerWorkflow(taken).then(() => assert.fail("expected a refusal"), (e: unknown) => e);
      assert.ok(isSynergyMeshError(conflict));
      assert.equal(conflict.code, "CONFLICT");
      assert.equal(conflict.details?.path, "triggers[2].config.path");
      assert.match(conflict.message, /"webhook\/data-process" is already used by trigger/);
      await rejectsWith(t.orch.registerWorkflow({ ...taken, id: "brand-new" }), "CONFLICT");
      await rejectsWith(t.orch.getWorkflow("brand-new"), "NOT_FOUND");
      // The same path twice in one definition.
      const twice = await t.orch.registerWorkflow({ ...v1, description: "v3", triggers: [hook("a/b"), hook("/a/b")] }).then(() => assert.fail("expected a refusal"), (e: unknown) => e);
      assert.ok(isSynergyMeshError(twice));
      assert.equal(twice.code, "VALIDATION_FAILED");
      assert.deepEqual((twice.details as { issues: Array<{ path: string }> }).issues.map((i) => i.path), ["triggers[1].config.path"]);
      // Nothing was stored: no version, no trigger change, no audit record.
      assert.equal(await versions(), versionsBefore);
      assert.equal(await audit(), auditBefore);
      assert.deepEqual((await t.orch.listTriggers("default", { workflowId: "hooked" })).map((x) => x.webhookPath), ["hooked/in"]);
      // Its own definition trigger's path is free for its next version.
      await t.orch.registerWorkflow({ ...v1, description: "v4", triggers: [hook("hooked/in"), hook("hooked/other")] });
      assert.equal(await versions(), versionsBefore + 1);
    });
  });
}
