// The built-in outbound step types refuse internal addresses unless the operator allows them.
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";

test("built-in http refuses loopback by default and reaches it once the egress policy allows it", async () => {
  let hits = 0;
  const server = createServer((_, res) => {
    hits += 1;
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const closed = await openTestOrchestrator("sqlite");
  const open = await openTestOrchestrator("sqlite", { egress: { allow: ["127.0.0.1"] } });
  try {
    const definition = { name: "outbound", steps: [{ id: "get", type: "http", config: { url } }] };
    const refusedRun = await closed.orch.startExecution((await closed.orch.registerWorkflow(definition)).workflowId);
    const refused = await closed.orch.waitForExecution(refusedRun.executionId);
    assert.equal(refused.status, "failed");
    assert.match(refused.steps[0]?.error ?? "", /127\.0\.0\.1/);
    assert.equal(hits, 0, "nothing reached the server");
    const allowedRun = await open.orch.startExecution((await open.orch.registerWorkflow(definition)).workflowId);
    assert.equal((await open.orch.waitForExecution(allowedRun.executionId)).status, "completed");
    assert.equal(hits, 1);
  } finally {
    await closed.dispose();
    await open.dispose();
    server.close();
  }
});
