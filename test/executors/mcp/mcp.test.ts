// The `mcp` step against real MCP servers built with the official SDK: over stdio (a child process the
// operator configured) and over streamable HTTP (a local port). Tools listed before the call, tool
// errors, timeout, cancellation reaching the server, retries, egress and config validation.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import type { EgressPolicy } from "../../../src/net/egress-policy.js";
import { finishFirstStep, startWorkflow } from "../run-step.js";
import { startHttpMcpServer } from "./test-mcp-server.js";

const STDIO_SERVER = fileURLToPath(new URL("./stdio-server.ts", import.meta.url));

describe("mcp step", () => {
  let t: TestOrchestrator;
  let http: Awaited<ReturnType<typeof startHttpMcpServer>>;
  let policy: EgressPolicy = {};
  const calls: Array<[string, unknown]> = [];
  let hangCalled: () => void = () => {};
  let hangCancelled: () => void = () => {};

  before(async () => {
    http = await startHttpMcpServer({ onCall: (tool, args) => (tool === "hang" ? hangCalled() : calls.push([tool, args])), onHangCancelled: () => hangCancelled() });
    t = await openTestOrchestrator("sqlite", {
      leaseMs: 60_000,
      egress: () => policy,
      mcpServers: {
        tools: { command: process.execPath, args: ["--import", "tsx", STDIO_SERVER] },
        remote: { url: http.url, headers: { "x-tools-key": "remote-key" }, egress: { allow: ["127.0.0.1"] } },
        broken: { command: "/nonexistent/mcp-server" },
      },
    });
  });
  after(async () => {
    await http.close();
    await t.dispose();
  });
  beforeEach(() => {
    policy = {};
    calls.length = 0;
    http.requests.length = 0;
  });

  const start = (yaml: string, input: Record<string, unknown> = {}) => startWorkflow(t.orch, yaml, { url: http.url, ...input });
  const run = async (yaml: string, input: Record<string, unknown> = {}) => finishFirstStep(t.orch, await start(yaml, input));

  test("stdio: a listed tool is called with its arguments; content, text and structured content come back", async () => {
    const { step } = await run(`
name: mcp-stdio
steps:
  - { id: add, type: mcp, config: { server: tools, tool: add, arguments: { a: 2, b: "{{input.b}}" } } }
`, { b: 40 });
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual(step.output, { content: [{ type: "text", text: "2 + 40 = 42" }], text: "2 + 40 = 42", structured_content: { sum: 42 } });
  });

  test("seed 001's form: `action` names the tool and the other keys are its arguments", async () => {
    const { step } = await run(`
name: mcp-seed
variables: { assistant_id: helper }
steps:
  - id: create_session
    type: mcp
    config: { server: tools, action: create_session, user_id: "{{input.user_id}}", agent_id: "{{variables.assistant_id}}" }
`, { user_id: "u-7" });
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal((step.output as { text: string }).text, "session-u-7-helper");
  });

  test("a tool the server does not list fails at once, naming the tools it has", async () => {
    const { step } = await run(`
name: mcp-unknown-tool
steps:
  - { id: x, type: mcp, retry: { max_attempts: 3 }, config: { server: tools, tool: delete_everything } }
`);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, 'config.tool: MCP server tools has no tool "delete_everything"; it lists: add, create_session, fail, hang');
  });

  test("a tool that reports an error fails the step without retrying", async () => {
    const { step } = await run(`
name: mcp-tool-error
steps:
  - { id: x, type: mcp, retry: { max_attempts: 3 }, config: { server: tools, tool: fail } }
`);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, "tool fail on MCP server tools reported an error: the database is read-only");
  });

  test("streamable HTTP: a configured server with its headers", async () => {
    const { step } = await run(`
name: mcp-http
steps:
  - { id: add, type: mcp, config: { server: remote, tool: add, arguments: { a: 1, b: 2 } } }
`);
    assert.equal(step.status, "completed", step.error ?? "");
    assert.deepEqual((step.output as { structured_content: unknown }).structured_content, { sum: 3 });
    assert.deepEqual(calls, [["add", { a: 1, b: 2 }]]);
    assert.ok(http.requests.length >= 3 && http.requests.every((r) => r.headers["x-tools-key"] === "remote-key"));
  });

  test("egress: a tenant-given url passes the tenant's policy (loopback refused by default, then allowed)", async () => {
    const yaml = `
name: mcp-tenant-url
steps:
  - { id: add, type: mcp, config: { url: "{{input.url}}", tool: add, arguments: { a: 5, b: 5 } } }
`;
    const refused = await run(yaml);
    assert.equal(refused.step.status, "failed");
    assert.match(refused.step.error ?? "", /egress to 127\.0\.0\.1 refused/);
    assert.equal(refused.step.attempts, 1);
    assert.equal(http.requests.length, 0);
    policy = { allow: ["127.0.0.1"] };
    const allowed = await run(yaml.replace("mcp-tenant-url", "mcp-tenant-url-allowed"));
    assert.equal(allowed.step.status, "completed", allowed.step.error ?? "");
  });

  test("cancelling the execution cancels the call on the server", async () => {
    const called = new Promise<void>((resolve) => (hangCalled = resolve));
    const cancelled = new Promise<void>((resolve) => (hangCancelled = resolve));
    const executionId = await start(`
name: mcp-cancel
steps:
  - { id: x, type: mcp, config: { server: remote, tool: hang } }
`);
    await called;
    await t.orch.cancelExecution(executionId);
    await cancelled;
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "cancelled");
  });

  test("the step timeout ends a call that never answers (stdio: the server process is closed)", async () => {
    const executionId = await start(`
name: mcp-timeout
steps:
  - { id: x, type: mcp, timeout: 30s, config: { server: tools, tool: hang } }
`);
    const timer = await t.clock.nextTimer();
    await t.clock.advance(timer.at - t.clock.now());
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "timed_out");
  });

  test("a server that cannot start is a retryable failure", async () => {
    const executionId = await start(`
name: mcp-broken
steps:
  - { id: x, type: mcp, retry: { max_attempts: 2, initial_delay: 1s }, config: { server: broken, tool: add } }
`);
    const timer = await t.clock.nextTimer();
    assert.equal(timer.at - t.clock.now(), 1000);
    await t.clock.advance(1000);
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 2);
    assert.match(step.error ?? "", /connecting to MCP server broken failed/);
  });

  test("validation: a tool is required, tool and action exclude each other, and so do server and url", () => {
    assert.throws(
      () =>
        t.orch.validateWorkflow(`
name: mcp-bad
steps:
  - { id: a, type: mcp, config: { server: tools } }
  - { id: b, type: mcp, config: { tool: x, action: y } }
  - { id: c, type: mcp, config: { server: tools, url: "https://example.com/mcp", tool: x } }
  - { id: d, type: mcp, config: { tool: x, arguments: { a: 1 }, b: 2 } }
`),
      (error: { issues: Array<{ path: string }> }) => {
        assert.deepEqual(error.issues.map((issue) => issue.path), ["steps[0].config.tool", "steps[1].config.action", "steps[2].config.url", "steps[3].config.b"]);
        return true;
      },
    );
  });
});
