// The `notification` step against a real local receiver: the Slack incoming-webhook shape, the
// generic webhook shape, operator-configured channels (seed 003 names only `channel: slack`), email
// refused without an SMTP server (sending is in email.test.ts), missing targets, and the egress policy.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createNotificationExecutor } from "../../src/executors/notification/notification-executor.js";
import type { EgressPolicy } from "../../src/net/egress-policy.js";
import { startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";
import { runFirstStep } from "./run-step.js";

describe("notification step", () => {
  let t: TestOrchestrator;
  let server: LocalServer;
  let policy: EgressPolicy = { allow: ["127.0.0.1"] };

  before(async () => {
    // Slack answers a plain "ok"; the receiver does the same.
    server = await startLocalServer((_, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
    t.orch.registerStepExecutor(createNotificationExecutor({ egress: () => policy, channels: { slack: { url: `${server.origin}/services/T000/B000/XXXX` } } }), { replace: true });
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

  test("seed 003's step (channel slack, message only) posts Slack's { text } to the operator's channel", async () => {
    const { step } = await run(`
name: notify-seed-003
steps:
  - id: "notify_success"
    type: "notification"
    name: "成功通知"
    config:
      channel: "slack"
      message: "Pod 问题已自动修复"
`);
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual(step.output, { status_code: 200, headers: (step.output as { headers: unknown }).headers, body: "ok", json: null });
    const request = server.requests[0];
    assert.equal(request?.method, "POST");
    assert.equal(request?.url, "/services/T000/B000/XXXX");
    assert.equal(request?.headers["content-type"], "application/json");
    assert.deepEqual(JSON.parse(request?.body ?? ""), { text: "Pod 问题已自动修复" });
  });

  test("a step's webhook_url wins over the channel, and blocks are sent with the text", async () => {
    const { step } = await run(
      `
name: notify-slack-blocks
steps:
  - id: notify
    type: notification
    config:
      channel: slack
      webhook_url: "{{input.base}}/own-hook"
      message: "Deploy {{input.version}} finished"
      blocks:
        - { type: section, text: { type: mrkdwn, text: "*Deploy* {{input.version}}" } }
`,
      { version: "1.4.2" },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal(server.requests[0]?.url, "/own-hook");
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ""), {
      text: "Deploy 1.4.2 finished",
      blocks: [{ type: "section", text: { type: "mrkdwn", text: "*Deploy* 1.4.2" } }],
    });
  });

  test("the webhook channel posts { text, ...fields } to url", async () => {
    const { step } = await run(
      `
name: notify-webhook
steps:
  - id: notify
    type: notification
    config:
      channel: webhook
      url: "{{input.base}}/alerts"
      message: "disk almost full"
      fields: { severity: warning, host: "{{input.host}}", usage: 0.93 }
`,
      { host: "db-1" },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal(server.requests[0]?.url, "/alerts");
    assert.deepEqual(JSON.parse(server.requests[0]?.body ?? ""), { text: "disk almost full", severity: "warning", host: "db-1", usage: 0.93 });
  });

  test("without an SMTP server the email channel is refused: validation and run time both say the operator must configure smtp", async () => {
    assert.throws(
      () => t.orch.validateWorkflow(`
name: notify-email
steps: [{ id: notify, type: notification, config: { channel: email, to: ops@example.com, message: hi } }]
`),
      (error: unknown) => {
        const issues = (error as { issues: Array<{ path: string; message: string }> }).issues;
        assert.deepEqual(issues.map((i) => i.path), ["steps[0].config.channel"]);
        assert.match(issues[0]?.message ?? "", /email notifications need an SMTP server: the operator configures the smtp option/);
        return true;
      },
    );
    const { step } = await run(
      `
name: notify-email-templated
steps:
  - id: notify
    type: notification
    config: { channel: "{{input.channel}}", message: hi }
    retry: { max_attempts: 3, initial_delay: 1s }
`,
      { channel: "email" },
    );
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.match(step.error ?? "", /^email notifications need an SMTP server/);
    assert.equal(server.requests.length, 0);
  });

  test("a channel without a target is a config error: at validation, and at run time when it was a template", async () => {
    assert.throws(
      () => t.orch.validateWorkflow(`
name: notify-no-target
steps:
  - { id: notify, type: notification, config: { channel: webhook, message: hi } }
  - { id: slack_fields, type: notification, config: { channel: slack, message: hi, fields: { a: 1 }, colour: red } }
`),
      (error: unknown) => {
        const issues = (error as { issues: Array<{ path: string; message: string }> }).issues;
        assert.deepEqual(issues.map((i) => i.path).sort(), ["steps[0].config.url", "steps[1].config.colour", "steps[1].config.fields"]);
        assert.match(issues.find((i) => i.path === "steps[0].config.url")?.message ?? "", /the webhook channel needs a target: give url, or have the operator configure the channel "webhook"/);
        return true;
      },
    );
    const { step } = await run(
      `
name: notify-no-target-runtime
steps: [{ id: notify, type: notification, config: { channel: "{{input.channel}}", message: hi } }]
`,
      { channel: "webhook" },
    );
    assert.equal(step.status, "failed");
    assert.equal(step.error, 'config.url: required: the webhook channel needs a target: give url, or have the operator configure the channel "webhook"');
  });

  test("the tenant's egress policy applies to the step's URL; refused targets see nothing", async () => {
    policy = {};
    const { step } = await run(`
name: notify-egress
steps: [{ id: notify, type: notification, config: { channel: webhook, url: "{{input.base}}/alerts", message: hi } }]
`);
    assert.equal(step.status, "failed");
    assert.match(step.error ?? "", /^egress to 127\.0\.0\.1 refused: loopback address/);
    assert.equal(server.requests.length, 0);
  });

  test("an operator channel may carry its own egress policy; a bad channel URL is refused when the executor is built", async () => {
    const other = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
    try {
      other.orch.registerStepExecutor(
        createNotificationExecutor({ egress: () => ({}), channels: { slack: { url: `${server.origin}/relay`, egress: { allow: ["127.0.0.1"] } } } }),
        { replace: true },
      );
      const { workflowId } = await other.orch.registerWorkflow(`
name: notify-relay
steps: [{ id: notify, type: notification, config: { channel: slack, message: relayed } }]
`);
      const { executionId } = await other.orch.startExecution(workflowId);
      const done = await other.orch.waitForExecution(executionId);
      assert.equal(done.status, "completed", done.error ?? "");
      assert.equal(server.requests.at(-1)?.url, "/relay");
    } finally {
      await other.dispose();
    }
    assert.throws(() => createNotificationExecutor({ egress: () => ({}), channels: { slack: { url: "hooks.slack.com/x" } } }), { code: "CONFIG_INVALID", message: /^channels\.slack\.url: must be an http/ });
  });
});
