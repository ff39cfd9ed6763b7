// examples/ai-root-cause.yaml runs as written against a local chat-completions server: the model's
// root cause picks the branch (OOM -> increase_memory, Config -> notify_owner).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";
import { answer } from "../executors/llm/chat-peer.js";

let t: TestOrchestrator;
let server: LocalServer;
let rootCause = "OOM";

before(async () => {
  server = await startLocalServer((_, res) =>
    answer(res, JSON.stringify({ root_cause: rootCause, confidence: 0.9, summary: "the container exceeded its memory limit", evidence: ["OOMKilled"], recommended_action: "raise the limit" })),
  );
  t = await openTestOrchestrator("sqlite", { llm: { providers: { ops: { baseUrl: `${server.origin}/v1`, defaultModel: "gpt-4o-mini", egress: { allow: ["127.0.0.1"] } } } } });
});
after(async () => {
  await server.close();
  await t.dispose();
});

async function diagnose(input: Record<string, unknown>) {
  const { workflowId } = await t.orch.registerWorkflow(readFileSync(new URL("../../examples/ai-root-cause.yaml", import.meta.url), "utf8"));
  const { executionId } = await t.orch.startExecution(workflowId, input);
  const done = await t.orch.waitForExecution(executionId);
  return { done, steps: Object.fromEntries(done.steps.map((s) => [s.stepId, s])) };
}

test("an OOM root cause takes the increase_memory branch; the analysis saw the collected logs", async () => {
  rootCause = "OOM";
  server.requests.length = 0;
  const { done, steps } = await diagnose({ pod: "api-7f9", logs: "Killed: OOMKilled (exit code 137)" });
  assert.equal(done.status, "completed", done.error ?? "");
  assert.deepEqual((steps.ai_analysis?.output as { analysis: unknown }).analysis, {
    type: "root_cause",
    root_cause: "OOM",
    confidence: 0.9,
    summary: "the container exceeded its memory limit",
    evidence: ["OOMKilled"],
    recommended_action: "raise the limit",
  });
  assert.equal(steps.increase_memory?.status, "completed");
  assert.deepEqual(steps.increase_memory?.output, { matched: 0, value: { action: "raise the memory limit of api-7f9", because: "the container exceeded its memory limit" }, branch: null });
  assert.equal(steps.notify_owner?.status, "skipped");
  const body = JSON.parse(server.requests[0]?.body ?? "") as { messages: Array<{ content: string }>; response_format: { json_schema: { schema: { properties: { root_cause: { enum: string[] } } } } } };
  assert.match(body.messages[1]?.content ?? "", /Killed: OOMKilled \(exit code 137\)/);
  assert.match(body.messages[1]?.content ?? "", /The pod is in CrashLoopBackOff\./);
  assert.ok(body.response_format.json_schema.schema.properties.root_cause.enum.includes("Config"));
});

test("a Config root cause takes the notify_owner branch", async () => {
  rootCause = "Config";
  const { done, steps } = await diagnose({ pod: "web-1", logs: "error: missing env DATABASE_URL" });
  assert.equal(done.status, "completed", done.error ?? "");
  assert.equal(steps.notify_owner?.status, "completed");
  assert.equal(steps.increase_memory?.status, "skipped");
});

test("an answer outside the categories fails the analysis (retryable: the model may answer well next time)", async () => {
  rootCause = "Cosmic rays";
  const { done, steps } = await diagnose({ pod: "x", logs: "?" });
  assert.equal(done.status, "failed");
  assert.match(steps.ai_analysis?.error ?? "", /does not fit json_schema: root_cause/);
});
