// The `email` step and the notification step's email channel against a real SMTP server in the test:
// what arrives (headers, envelope, bodies, stored templates), header injection refused, logins with
// tenant secrets, transient and permanent refusals with retries, step timeout and cancellation.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createEmailExecutor } from "../../src/executors/email/email-executor.js";
import type { EmailTemplate } from "../../src/executors/email/email-executor.js";
import { createMailer, messageIdFor } from "../../src/executors/email/mailer.js";
import type { SmtpServer } from "../../src/executors/email/mailer.js";
import { createNotificationExecutor } from "../../src/executors/notification/notification-executor.js";
import { header, smtpError, startLocalSmtpServer } from "./local-smtp-server.js";
import type { LocalSmtpServer } from "./local-smtp-server.js";
import { finishFirstStep, runFirstStep, startWorkflow } from "./run-step.js";

describe("email step", () => {
  let t: TestOrchestrator;
  let smtp: LocalSmtpServer;
  const templates = new Map<string, EmailTemplate>();

  function register(servers: { smtp?: SmtpServer; smtpServers?: Record<string, SmtpServer> }) {
    const mailer = createMailer(servers);
    t.orch.registerStepExecutor(createEmailExecutor({ mailer, templates: async (tenantId, name) => (tenantId === "default" ? templates.get(name) : undefined) }), { replace: true });
    t.orch.registerStepExecutor(createNotificationExecutor({ egress: () => ({}), mailer }), { replace: true });
  }

  before(async () => {
    smtp = await startLocalSmtpServer();
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
  });
  after(async () => {
    await smtp.close();
    await t.dispose();
  });
  beforeEach(() => {
    smtp.messages.length = 0;
    smtp.onRecipient = () => undefined;
    smtp.onLogin = () => true;
    smtp.holdData = false;
    templates.clear();
    register({ smtp: { host: "127.0.0.1", port: smtp.port, from: "SynergyMesh <noreply@synergymesh.test>", timeoutMs: 10_000 } });
  });

  async function fireNextTimer(): Promise<number> {
    const timer = await t.clock.nextTimer();
    const delay = timer.at - t.clock.now();
    await t.clock.advance(delay);
    return delay;
  }

  test("to, cc, subject and text arrive as sent; the envelope carries every recipient", async () => {
    const { executionId, step } = await runFirstStep(
      t.orch,
      `
name: email-basic
steps:
  - id: notify
    type: email
    config:
      to: admin@example.com
      cc: ["Ops <ops@example.com>", audit@example.com]
      subject: "数据处理完成: {{input.file}}"
      text: "{{input.rows}} rows processed"
`,
      { file: "data.csv", rows: 1000 },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    const mail = smtp.messages[0];
    assert.ok(mail);
    assert.equal(smtp.messages.length, 1);
    assert.equal(mail.from, "noreply@synergymesh.test");
    assert.deepEqual(mail.to, ["admin@example.com", "ops@example.com", "audit@example.com"]);
    assert.equal(header(mail.raw, "to"), "admin@example.com");
    assert.equal(header(mail.raw, "cc"), "Ops <ops@example.com>, audit@example.com");
    assert.match(header(mail.raw, "subject") ?? "", /^=\?UTF-8\?/, "a non-ASCII subject is encoded");
    assert.match(mail.raw, /1000 rows processed/);
    const output = step.output as { message_id: string; accepted: string[]; rejected: string[]; response: string; envelope: unknown };
    assert.deepEqual(output.accepted, ["admin@example.com", "ops@example.com", "audit@example.com"]);
    assert.deepEqual(output.rejected, []);
    assert.match(output.response, /OK: queued/);
    assert.deepEqual(output.envelope, { from: "noreply@synergymesh.test", to: ["admin@example.com", "ops@example.com", "audit@example.com"] });
    assert.equal(output.message_id, messageIdFor(`${executionId}:notify:0`, "noreply@synergymesh.test"));
  });

  test("the idempotency key travels: Message-ID derived from it and X-Idempotency-Key", async () => {
    const { executionId } = await runFirstStep(t.orch, `
name: email-idempotency
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello } }]
`, {});
    const raw = smtp.messages[0]?.raw ?? "";
    assert.equal(header(raw, "x-idempotency-key"), `${executionId}:mail:0`);
    assert.equal(header(raw, "message-id"), messageIdFor(`${executionId}:mail:0`, "noreply@synergymesh.test"));
    assert.match(header(raw, "message-id") ?? "", /^<[0-9a-f]{40}@synergymesh\.test>$/);
  });

  test("seed 001's step: template process_complete gives subject and bodies, rendered against the step's context", async () => {
    templates.set("process_complete", {
      subject: "ignored: the step's subject wins",
      text: "File {{input.input_file}} done in execution {{execution.id}}; batch {{variables.batch_size}}",
      html: "<p>File <b>{{input.input_file}}</b> done</p>",
    });
    const { executionId, step } = await runFirstStep(
      t.orch,
      `
version: "1.0"
name: email-template
variables: { batch_size: 1000 }
steps:
  - id: "notify"
    name: "发送通知"
    type: "email"
    config:
      to: "admin@example.com"
      subject: "数据处理完成"
      template: "process_complete"
`,
      { input_file: "sales.csv" },
    );
    assert.equal(step.status, "completed", step.error ?? "");
    // Quoted-printable soft line breaks joined.
    const raw = (smtp.messages[0]?.raw ?? "").replace(/=\r\n/g, "");
    assert.match(raw, /multipart\/alternative/);
    assert.match(raw, new RegExp(`File sales.csv done in execution ${executionId}; batch 1000`));
    assert.match(raw, /<p>File <b>sales.csv<\/b> done<\/p>/);
  });

  test("a template without a subject needs the step's; a missing template or value fails without a retry", async () => {
    templates.set("no_subject", { text: "x" });
    templates.set("needs_value", { subject: "s", text: "{{input.missing}}" });
    for (const [name, pattern] of [
      ["no_subject", /^config\.subject: required: template "no_subject" has no subject/],
      ["absent", /^config\.template: no template named "absent"/],
      ["needs_value", /^template needs_value\.text: \{\{input\.missing\}\} cannot be rendered: input has no "missing"/],
    ] as const) {
      const { step } = await runFirstStep(t.orch, `
name: email-template-${name.replace(/_/g, "-")}
steps:
  - { id: mail, type: email, config: { to: a@example.com, template: ${name} }, retry: { max_attempts: 3, initial_delay: 1s } }
`, {});
      assert.equal(step.status, "failed", name);
      assert.equal(step.attempts, 1, name);
      assert.match(step.error ?? "", pattern);
    }
    assert.equal(smtp.messages.length, 0);
  });

  test("header injection: CR/LF in a rendered subject or address is refused at its path and nothing is sent", async () => {
    for (const [field, value] of [
      ["subject", "Report\r\nBcc: victim@example.com"],
      ["to", "a@example.com\nBcc: victim@example.com"],
    ] as const) {
      const { step } = await runFirstStep(t.orch, `
name: email-injection-${field}
steps:
  - id: mail
    type: email
    config: { to: "${field === "to" ? "{{input.value}}" : "a@example.com"}", subject: "${field === "subject" ? "{{input.value}}" : "hi"}", text: body }
    retry: { max_attempts: 3, initial_delay: 1s }
`, { value });
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 1);
      assert.equal(step.error, `config.${field}: must not contain a line break (CR or LF): that would inject mail headers`);
    }
    assert.equal(smtp.messages.length, 0);
  });

  test("validation reports every config problem at its path; templates stand for run-time values", () => {
    assert.throws(
      () =>
        t.orch.validateWorkflow(`
name: email-invalid
steps:
  - { id: a, type: email, config: { to: "not an address", subject: "x", text: y, colour: red } }
  - { id: b, type: email, config: { to: [ok@example.com, "x@example.com\\nBcc: v@example.com"], text: y } }
  - { id: c, type: email, config: { to: "{{input.to}}", subject: "{{input.subject}}", text: y, body: z, headers: { Bcc: v@example.com } } }
`),
      (error: unknown) => {
        const issues = (error as { issues: Array<{ path: string }> }).issues;
        assert.deepEqual(issues.map((i) => i.path).sort(), [
          "steps[0].config.colour",
          "steps[0].config.to",
          "steps[1].config.subject",
          "steps[1].config.to[1]",
          "steps[2].config.body",
          "steps[2].config.headers.Bcc",
        ]);
        return true;
      },
    );
  });

  test("a login whose password is a tenant secret: it works, and a wrong one fails without a retry and without showing it", async () => {
    register({ smtp: { host: "127.0.0.1", port: smtp.port, from: "bot@synergymesh.test", user: "bot", password: { secret: "smtp_password" } } });
    smtp.onLogin = (user, password) => user === "bot" && password === "correct-horse-battery";
    const yaml = (name: string) => `
name: ${name}
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello }, retry: { max_attempts: 3, initial_delay: 1s } }]
`;
    const missing = await runFirstStep(t.orch, yaml("email-no-secret"), {});
    assert.equal(missing.step.status, "failed");
    assert.equal(missing.step.attempts, 1);
    assert.match(missing.step.error ?? "", /SMTP server smtp password needs the secret "smtp_password", which tenant default does not have/);

    await t.orch.setSecret("smtp_password", "correct-horse-battery");
    const ok = await runFirstStep(t.orch, yaml("email-login"), {});
    assert.equal(ok.step.status, "completed", ok.step.error ?? "");
    assert.equal(smtp.messages[0]?.user, "bot");

    await t.orch.setSecret("smtp_password", "wrong-password-value");
    smtp.onLogin = (_, password) => {
      // The server echoes the password it got, as a misbehaving one might: it must not reach the error.
      throw smtpError(535, `5.7.8 bad password ${password}`);
    };
    const refused = await runFirstStep(t.orch, yaml("email-bad-login"), {});
    assert.equal(refused.step.status, "failed");
    assert.equal(refused.step.attempts, 1);
    assert.doesNotMatch(JSON.stringify(refused.done), /wrong-password-value/);
    const logs = await t.orch.getExecutionLogs(refused.executionId);
    assert.doesNotMatch(JSON.stringify(logs), /wrong-password-value/);
  });

  test("a 4xx refusal is retried by the step's retry policy with a new Message-ID; a 5xx fails at once", async () => {
    let calls = 0;
    smtp.onRecipient = () => (++calls === 1 ? smtpError(451, "4.3.0 try again later") : undefined);
    const executionId = await startWorkflow(t.orch, `
name: email-transient
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello }, retry: { max_attempts: 3, initial_delay: 2s } }]
`, {});
    assert.equal(await fireNextTimer(), 2000);
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal(step.attempts, 2);
    assert.equal(header(smtp.messages[0]?.raw ?? "", "message-id"), messageIdFor(`${executionId}:mail:1`, "noreply@synergymesh.test"));

    smtp.onRecipient = () => smtpError(550, "5.1.1 no such user");
    const permanent = await runFirstStep(t.orch, `
name: email-permanent
steps: [{ id: mail, type: email, config: { to: nobody@example.com, subject: hi, text: hello }, retry: { max_attempts: 3, initial_delay: 2s } }]
`, {});
    assert.equal(permanent.step.status, "failed");
    assert.equal(permanent.step.attempts, 1);
    assert.match(permanent.step.error ?? "", /^SMTP 127\.0\.0\.1:\d+: .*550 5\.1\.1 no such user/);
  });

  test("the step timeout aborts the SMTP session in flight", async () => {
    smtp.holdData = true;
    const { arrived, closed } = smtp.held();
    const executionId = await startWorkflow(t.orch, `
name: email-timeout
steps: [{ id: mail, type: email, timeout: 5s, config: { to: a@example.com, subject: hi, text: hello } }]
`, {});
    await arrived;
    assert.equal(await fireNextTimer(), 5000);
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "timed_out");
    await closed;
  });

  test("cancelling the execution aborts the SMTP session in flight", async () => {
    smtp.holdData = true;
    const { arrived, closed } = smtp.held();
    const executionId = await startWorkflow(t.orch, `
name: email-cancel
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello } }]
`, {});
    await arrived;
    await t.orch.cancelExecution(executionId);
    const { done, step } = await finishFirstStep(t.orch, executionId);
    assert.equal(done.status, "cancelled");
    assert.equal(step.status, "cancelled");
    await closed;
  });

  test("a refused connection is retried", async () => {
    register({ smtp: { host: "127.0.0.1", port: 1, from: "bot@synergymesh.test" } });
    const executionId = await startWorkflow(t.orch, `
name: email-refused
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello }, retry: { max_attempts: 2, initial_delay: 1s } }]
`, {});
    assert.equal(await fireNextTimer(), 1000);
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 2);
    assert.match(step.error ?? "", /^SMTP 127\.0\.0\.1:1: .*ECONNREFUSED/);
  });

  test("a named server is picked by server; an unknown name and no server at all are clear failures", async () => {
    register({ smtpServers: { alerts: { host: "127.0.0.1", port: smtp.port, from: "alerts@synergymesh.test" } } });
    const named = await runFirstStep(t.orch, `
name: email-named
steps: [{ id: mail, type: email, config: { server: alerts, to: a@example.com, subject: hi, text: hello } }]
`, {});
    assert.equal(named.step.status, "completed", named.step.error ?? "");
    assert.equal(smtp.messages[0]?.from, "alerts@synergymesh.test");
    const unknown = await runFirstStep(t.orch, `
name: email-unknown-server
steps: [{ id: mail, type: email, config: { server: nope, to: a@example.com, subject: hi, text: hello } }]
`, {});
    assert.equal(unknown.step.error, 'config.server: unknown SMTP server "nope"; configured: alerts');
    const none = await runFirstStep(t.orch, `
name: email-default-missing
steps: [{ id: mail, type: email, config: { to: a@example.com, subject: hi, text: hello } }]
`, {});
    assert.match(none.step.error ?? "", /^no SMTP server is configured: the operator sets the smtp option, or the step names one of alerts in server/);
  });

  test("notification with channel email sends the message through the same mailer", async () => {
    const { step } = await runFirstStep(t.orch, `
name: notify-email
steps:
  - id: notify_failure
    type: notification
    config: { channel: email, to: [oncall@example.com], subject: "自动修复失败", message: "自动修复失败,需要人工介入" }
`, {});
    assert.equal(step.status, "completed", step.error ?? "");
    const mail = smtp.messages[0];
    assert.deepEqual(mail?.to, ["oncall@example.com"]);
    assert.match(mail?.raw ?? "", /Content-Transfer-Encoding/);
    assert.deepEqual((step.output as { accepted: string[] }).accepted, ["oncall@example.com"]);
  });
});
