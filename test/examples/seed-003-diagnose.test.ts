// Seed 003's `diagnose_pod_crashloop`, exactly as the seed writes it, end to end with the real step
// types and local stand-ins for what we do not own: a fake `kubectl` program on the command
// allow-list, a chat-completions server for the analysis, and a Slack-style webhook receiver.
import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { answer } from "../executors/llm/chat-peer.js";
import { startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";

let t: TestOrchestrator;
let model: LocalServer;
let slack: LocalServer;
let dir: string;
const rootCause = "OOM";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "seed-003-"));
  // The fake kubectl answers like the real one would for a pod that was OOM-killed, and records its calls.
  const kubectl = join(dir, "kubectl");
  writeFileSync(
    kubectl,
    `#!/bin/sh
echo "$@" >> "${join(dir, "calls.log")}"
case "$1" in
  logs) echo "2026-11-23T10:00:01Z starting api"; echo "2026-11-23T10:00:09Z fatal error: runtime: out of memory";;
  describe) echo "Last State: Terminated"; echo "  Reason: OOMKilled"; echo "  Exit Code: 137"; echo "Limits: memory: 256Mi";;
  patch_deployment) echo "deployment.apps/api patched";;
  *) echo "unknown command $1" >&2; exit 1;;
esac
`,
  );
  chmodSync(kubectl, 0o755);
  model = await startLocalServer((_, res) =>
    answer(res, JSON.stringify({ root_cause: rootCause, confidence: 0.92, summary: "the container ran out of memory", evidence: ["OOMKilled", "Exit Code: 137"], recommended_action: "raise the memory limit" })),
  );
  slack = await startLocalServer((_, res) => res.end("ok"));
  t = await openTestOrchestrator("sqlite", {
    commands: { programs: { kubectl } },
    llm: { providers: { ops: { baseUrl: `${model.origin}/v1`, defaultModel: "gpt-4o-mini", egress: { allow: ["127.0.0.1"] } } } },
    notificationChannels: { slack: { url: `${slack.origin}/services/T0/B0/X`, egress: { allow: ["127.0.0.1"] } } },
  });
});
after(async () => {
  await model.close();
  await slack.close();
  await t.dispose();
  rmSync(dir, { recursive: true, force: true });
});

async function run() {
  const { workflowId } = await t.orch.registerWorkflow(readFileSync(new URL("../../examples/seeds/003-diagnose-pod-crashloop.yaml", import.meta.url), "utf8"));
  const { executionId } = await t.orch.startExecution(workflowId, { event_reason: "CrashLoopBackOff", severity: "high", pod: "api-7f9" });
  // The remediation asks for approval first (its default); an operator approves it.
  await until(async () => (await t.orch.getExecution(executionId)).steps.find((s) => s.stepId === "execute_remediation")?.status === "waiting");
  await t.orch.decideApproval(executionId, "execute_remediation", { approved: true, userId: "sre" });
  const done = await t.orch.waitForExecution(executionId);
  return { done, steps: Object.fromEntries(done.steps.map((s) => [s.stepId, s])) };
}

test("seed 003 diagnose_pod_crashloop: logs and describe, an OOM analysis, the decision, an approved patch, Slack told", async () => {
  const { done, steps } = await run();
  assert.equal(done.status, "completed", done.error ?? "");
  assert.deepEqual(
    done.steps.map((s) => [s.stepId, s.status]),
    [
      ["collect_logs", "completed"],
      ["check_resources", "completed"],
      ["ai_analysis", "completed"],
      ["decide_action", "completed"],
      ["execute_remediation", "completed"],
      ["notify_success", "completed"],
      ["notify_failure", "skipped"],
    ],
  );
  // kubectl ran three times, with the seed's arguments, and nothing through a shell.
  assert.deepEqual(readFileSync(join(dir, "calls.log"), "utf8").trim().split("\n"), ["logs --tail=100 --previous", "describe", "patch_deployment"]);
  // The model saw what the commands found, and its root cause chose the decision's value.
  const prompt = (JSON.parse(model.requests[0]?.body ?? "{}") as { messages: Array<{ content: string }> }).messages.map((m) => m.content).join("\n");
  assert.match(prompt, /runtime: out of memory/);
  assert.match(prompt, /Reason: OOMKilled/);
  assert.equal((steps.ai_analysis?.output as { analysis: { root_cause: string } }).analysis.root_cause, "OOM");
  assert.deepEqual(steps.decide_action?.output, { matched: 0, value: "increase_memory", branch: null });
  // The remediation recorded what it did in the tenant's audit log.
  const audit = await t.orch.getAuditLogs("default", { action: "remediation" });
  assert.ok(audit.some((record) => JSON.stringify(record.metadata).includes("patch_deployment")), JSON.stringify(audit));
  // Slack got the seed's message.
  assert.deepEqual(JSON.parse(slack.requests.at(-1)?.body ?? "{}"), { text: "Pod 问题已自动修复" });
});

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}
