// examples/sales-report.yaml runs as written against local peers: an agent service (the documented
// contract, answering 202 then polled), a chat-completions server and an MCP server over HTTP.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import { answer } from "../executors/llm/chat-peer.js";
import { startHttpMcpServer } from "../executors/mcp/test-mcp-server.js";

test("examples/sales-report.yaml: agent result -> LLM summary -> MCP session", async () => {
  const loopback = { allow: ["127.0.0.1"] };
  const agent = await startLocalServer((request, res) => {
    if (request.method === "POST") return sendJson(res, 202, { task_id: "sales-1" });
    sendJson(res, 200, { status: "completed", output: { result: "revenue +12% month on month", rows: 1200 } });
  });
  const llm = await startLocalServer((_, res) => answer(res, "销售额环比增长 12%。"));
  const mcp = await startHttpMcpServer();
  const t = await openTestOrchestrator("sqlite", {
    agents: { "data-analyst": { baseUrl: agent.origin, pollIntervalMs: 1000, egress: loopback } },
    llm: { providers: { openai: { baseUrl: `${llm.origin}/v1`, egress: loopback } } },
    mcpServers: { assistant: { url: mcp.url, egress: loopback } },
  });
  try {
    const { workflowId } = await t.orch.registerWorkflow(readFileSync(new URL("../../examples/sales-report.yaml", import.meta.url), "utf8"));
    const { executionId } = await t.orch.startExecution(workflowId, { user_id: "u-42" });
    // The agent answered 202: the step waits for its poll, one second later on the fake clock.
    const timer = await t.clock.nextTimer();
    await t.clock.advance(timer.at - t.clock.now());
    const done = await t.orch.waitForExecution(executionId);
    assert.equal(done.status, "completed", done.error ?? "");
    const steps = Object.fromEntries(done.steps.map((s) => [s.stepId, s.output]));
    assert.deepEqual(steps.analysis, { result: "revenue +12% month on month", rows: 1200 });
    assert.equal((steps.generate_summary as { content: string }).content, "销售额环比增长 12%。");
    assert.equal((JSON.parse(llm.requests[0]?.body ?? "") as { messages: Array<{ content: string }> }).messages[0]?.content, "请为以下数据生成摘要: revenue +12% month on month");
    assert.equal((steps.create_session as { text: string }).text, "session-u-42-sales-assistant");
    assert.deepEqual(JSON.parse(agent.requests[0]?.body ?? "").input, { data_file: "/data/sales-2026-10.csv", analysis_type: "monthly" });
  } finally {
    await t.dispose();
    await Promise.all([agent.close(), llm.close(), mcp.close()]);
  }
});
