// examples/email-notify.yaml, database-sync.yaml and pod-remediation.yaml validate and run through the
// library against real peers: a local SMTP server, a SQLite target database, an allow-listed program.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, beforeEach, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { makeTarget } from "../executors/database-targets.js";
import type { TargetDatabase } from "../executors/database-targets.js";
import { header, startLocalSmtpServer } from "../executors/local-smtp-server.js";
import type { LocalSmtpServer } from "../executors/local-smtp-server.js";
import { makePrograms } from "../executors/programs/make-programs.js";
import type { TestPrograms } from "../executors/programs/make-programs.js";

const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), "utf8");

let t: TestOrchestrator;
let smtp: LocalSmtpServer;
let target: TargetDatabase;
let bin: TestPrograms;

before(async () => {
  smtp = await startLocalSmtpServer();
  target = await makeTarget("sqlite");
  bin = makePrograms();
  t = await openTestOrchestrator("sqlite", {
    leaseMs: 60_000,
    smtp: { host: "127.0.0.1", port: smtp.port, from: "SynergyMesh <noreply@synergymesh.test>" },
    databases: { main_db: { url: target.url } },
    commands: { programs: { kubectl: bin.programs.kubectl as string } },
  });
});
after(async () => {
  await t.dispose();
  await smtp.close();
  await target.cleanup();
  bin.cleanup();
});
beforeEach(() => {
  smtp.messages.length = 0;
});

test("the three examples validate with the built-in step types", () => {
  for (const name of ["email-notify.yaml", "database-sync.yaml", "pod-remediation.yaml"]) t.orch.validateWorkflow(example(name));
});

test("examples/email-notify.yaml sends the summary to the given address", async () => {
  const { workflowId } = await t.orch.registerWorkflow(example("email-notify.yaml"));
  const { executionId } = await t.orch.startExecution(workflowId, { to: "admin@example.com", input_file: "sales.csv", rows: 1000 });
  const done = await t.orch.waitForExecution(executionId);
  assert.equal(done.status, "completed", done.error ?? "");
  const mail = smtp.messages[0];
  assert.deepEqual(mail?.to, ["admin@example.com", "ops@example.com"]);
  assert.match((mail?.raw ?? "").replace(/=\r\n/g, ""), /<p><b>1000<\/b> rows of sales\.csv were processed\.<\/p>/);
});

test("examples/database-sync.yaml inserts the rows and reads the large ones back", async () => {
  const { workflowId } = await t.orch.registerWorkflow(example("database-sync.yaml"));
  const rows = [
    { name: "bolts", qty: 500 },
    { name: "nuts", qty: 20 },
    { name: "gears", qty: 75 },
  ];
  const { executionId } = await t.orch.startExecution(workflowId, { rows, min_qty: 50 });
  const done = await t.orch.waitForExecution(executionId);
  assert.equal(done.status, "completed", done.error ?? "");
  assert.deepEqual(done.steps.find((s) => s.stepId === "save_data")?.output, { rows: [], row_count: 3, truncated: false });
  assert.deepEqual(done.steps.find((s) => s.stepId === "large_items")?.output, { rows: [{ name: "bolts", qty: 500 }, { name: "gears", qty: 75 }], row_count: 2, truncated: false });
  assert.deepEqual((await target.query("SELECT op_key FROM synced_data ORDER BY id")).map((r) => r.op_key), [0, 1, 2].map((i) => `${executionId}:save_data:0:${i}`));
});

test("examples/pod-remediation.yaml collects logs, waits for approval, patches, audits and mails the owner", async () => {
  const { workflowId } = await t.orch.registerWorkflow(example("pod-remediation.yaml"));
  const waiting = new Promise<void>((resolve) => {
    const listener = (e: { stepId: string; status: string }) => {
      if (e.stepId !== "execute_remediation" || e.status !== "waiting") return;
      t.orch.events.off("step.finished", listener);
      resolve();
    };
    t.orch.events.on("step.finished", listener);
  });
  const { executionId } = await t.orch.startExecution(workflowId, { pod: "api-7d9f", deployment: "api", memory: "1Gi", owner: "owner@example.com" });
  await waiting;
  const logs = (await t.orch.getExecution(executionId)).steps.find((s) => s.stepId === "collect_logs")?.output as { stdout: string };
  assert.equal(logs.stdout, "logs\napi-7d9f\n--tail=100\n--previous\n");
  await t.orch.decideApproval(executionId, "execute_remediation", { approved: true, userId: "alice", groups: ["sre-oncall"] });
  const done = await t.orch.waitForExecution(executionId);
  assert.equal(done.status, "completed", done.error ?? "");
  assert.equal(done.steps.find((s) => s.stepId === "notify_failure")?.status, "skipped");
  const remediation = done.steps.find((s) => s.stepId === "execute_remediation")?.output as { stdout: string; approved_by: string };
  assert.equal(remediation.stdout, "patch_deployment\napi\n--memory=1Gi\n");
  assert.equal(remediation.approved_by, "alice");
  const records = await t.orch.getAuditLogs("default", { action: "remediation" });
  assert.equal(records.filter((r) => r.metadata.execution_id === executionId && r.status === "success").length, 1);
  const mail = smtp.messages[0];
  assert.deepEqual(mail?.to, ["owner@example.com"]);
  assert.equal(header(mail?.raw ?? "", "subject"), "=?UTF-8?B?UG9kIOmXrumimOW3suiHquWKqOS/ruWkjQ==?=");
  assert.match(mail?.raw ?? "", /api: memory raised to 1Gi, approved by alice/);
});
