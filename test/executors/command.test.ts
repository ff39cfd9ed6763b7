// The `command` step with real child processes: seed 003's kubectl step against an allow-listed
// stand-in, no shell, a scrubbed environment, exit codes and retries, output limits, stdin, timeouts and
// cancellation that kill the process group, and forwarding to an agent manager (a local HTTP server).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { createCommandExecutor } from "../../src/executors/command/command-executor.js";
import type { AgentManagerOptions, CommandOptions } from "../../src/config/command-options.js";
import { resolveCommandOptions } from "../../src/config/command-options.js";
import type { EgressPolicy } from "../../src/net/egress-policy.js";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";
import { makePrograms, startReportServer } from "./programs/make-programs.js";
import type { TestPrograms } from "./programs/make-programs.js";
import { finishFirstStep, runFirstStep, startWorkflow } from "./run-step.js";

describe("command step", () => {
  let t: TestOrchestrator;
  let bin: TestPrograms;
  let manager: LocalServer;
  let tenantPolicy: EgressPolicy = {};

  function register(commands: CommandOptions, agentManager?: AgentManagerOptions) {
    t.orch.registerStepExecutor(createCommandExecutor({ egress: () => tenantPolicy, commands: resolveCommandOptions(commands, agentManager) }), { replace: true });
  }

  before(async () => {
    bin = makePrograms();
    manager = await startLocalServer();
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000 });
  });
  after(async () => {
    await manager.close();
    await t.dispose();
    bin.cleanup();
  });
  beforeEach(() => {
    tenantPolicy = {};
    manager.requests.length = 0;
    register({ programs: bin.programs, env: { PATH: "/usr/bin:/bin", KUBECONFIG: "/etc/kube/config" } });
  });

  async function fireNextTimer(): Promise<number> {
    const timer = await t.clock.nextTimer();
    const delay = timer.at - t.clock.now();
    await t.clock.advance(delay);
    return delay;
  }

  test("seed 003's collect_logs: the allow-listed tool runs with action and args; output has exit code and output", async () => {
    const { step } = await runFirstStep(t.orch, `
name: collect-logs
steps:
  - id: "collect_logs"
    type: "command"
    name: "收集容器日志"
    config:
      tool: "kubectl"
      action: "logs"
      args:
        - "--tail=100"
        - "--previous"
    timeout: "30s"
`, {});
    assert.equal(step.status, "completed", step.error ?? "");
    const output = step.output as Record<string, unknown>;
    assert.equal(output.exit_code, 0);
    assert.equal(output.signal, null);
    assert.equal(output.stdout, "logs\n--tail=100\n--previous\n");
    assert.equal(output.stderr, "");
    assert.equal(output.stdout_truncated, false);
    assert.deepEqual(output.command, ["kubectl", "logs", "--tail=100", "--previous"]);
    assert.equal(output.ran_on, "local");
    assert.equal(typeof output.duration_ms, "number");
  });

  test("no shell: metacharacters in rendered arguments reach the program as plain text", async () => {
    const marker = join(bin.dir, "pwned");
    const hostile = [`$(touch ${marker})`, `; touch ${marker}`, `| touch ${marker}`, "`id`", "*"];
    const { step } = await runFirstStep(t.orch, `
name: no-shell
steps: [{ id: run, type: command, config: { tool: kubectl, args: "{{input.args}}" } }]
`, { args: hostile });
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal((step.output as { stdout: string }).stdout, hostile.map((a) => `${a}\n`).join(""));
    assert.equal(existsSync(marker), false);
  });

  test("only allow-listed tools run: another name fails at once, listing the allowed ones", async () => {
    const { step } = await runFirstStep(t.orch, `
name: not-allowed
steps: [{ id: run, type: command, config: { tool: rm, args: ["-rf", "/"] }, retry: { max_attempts: 3, initial_delay: 1s } }]
`, {});
    assert.equal(step.status, "failed");
    assert.equal(step.attempts, 1);
    assert.equal(step.error, `config.tool: "rm" is not an allowed program; allowed: ${Object.keys(bin.programs).sort().join(", ")}`);
  });

  test("the environment is scrubbed: only the operator's env and the step's own reach the program", async () => {
    process.env.SYNERGYMESH_TEST_LEAK = "must-not-leak";
    try {
      const { step } = await runFirstStep(t.orch, `
name: env
steps: [{ id: run, type: command, config: { tool: printenv, env: { REGION: eu-1, TOKEN: "{{secrets.deploy_token}}" }, parse_json: true } }]
`, {});
      // No secret yet: the template fails the step before anything runs.
      assert.equal(step.status, "failed");
      await t.orch.setSecret("deploy_token", "tok-123456789");
      const second = await runFirstStep(t.orch, `
name: env-2
steps: [{ id: run, type: command, config: { tool: printenv, env: { REGION: eu-1, TOKEN: "{{secrets.deploy_token}}" }, parse_json: true } }]
`, {});
      assert.equal(second.step.status, "completed", second.step.error ?? "");
      const env = (second.step.output as { json: Record<string, string> }).json;
      assert.deepEqual(env, { PATH: "/usr/bin:/bin", KUBECONFIG: "/etc/kube/config", REGION: "eu-1", TOKEN: "[REDACTED]" });
    } finally {
      delete process.env.SYNERGYMESH_TEST_LEAK;
    }
    assert.throws(
      () => t.orch.validateWorkflow(`
name: bad-env
steps: [{ id: run, type: command, config: { tool: printenv, env: { LD_PRELOAD: /tmp/x.so, PATH: /tmp, "bad name": x } } }]
`),
      (error: unknown) => {
        const issues = (error as { issues: Array<{ path: string }> }).issues;
        assert.deepEqual(issues.map((i) => i.path).sort(), ["steps[0].config.env.LD_PRELOAD", "steps[0].config.env.PATH", 'steps[0].config.env["bad name"]']);
        return true;
      },
    );
  });

  test("a non-zero exit fails the attempt and is retried by the step's policy; ok_exit_codes widens success", async () => {
    const marker = join(bin.dir, "flaky-marker");
    const executionId = await startWorkflow(t.orch, `
name: flaky
steps: [{ id: run, type: command, config: { tool: flaky, args: ["${marker}"] }, retry: { max_attempts: 3, initial_delay: 1s } }]
`, {});
    assert.equal(await fireNextTimer(), 1000);
    const { step } = await finishFirstStep(t.orch, executionId);
    assert.equal(step.status, "completed", step.error ?? "");
    assert.equal(step.attempts, 2);
    assert.equal((step.output as { stdout: string }).stdout, "recovered\n");
    const logs = await t.orch.getExecutionLogs(executionId);
    assert.ok(logs.some((l) => /flaky exited with code 3: not yet; retrying in 1000 ms/.test(l.message)), JSON.stringify(logs.map((l) => l.message)));

    const other = join(bin.dir, "flaky-marker-2");
    const tolerated = await runFirstStep(t.orch, `
name: ok-codes
steps: [{ id: run, type: command, config: { tool: flaky, args: ["${other}"], ok_exit_codes: [0, 3] } }]
`, {});
    assert.equal(tolerated.step.status, "completed");
    assert.equal((tolerated.step.output as { exit_code: number }).exit_code, 3);
  });

  test("output past max_output_bytes is dropped and flagged; stdin reaches the program", async () => {
    const { step } = await runFirstStep(t.orch, `
name: chatty
steps: [{ id: run, type: command, config: { tool: chatty, max_output_bytes: 1000 } }]
`, {});
    const output = step.output as { stdout: string; stderr: string; stdout_truncated: boolean; stderr_truncated: boolean };
    assert.equal(output.stdout, "x".repeat(1000));
    assert.equal(output.stderr, "y".repeat(1000));
    assert.equal(output.stdout_truncated, true);
    assert.equal(output.stderr_truncated, true);
    const upper = await runFirstStep(t.orch, `
name: stdin
steps: [{ id: run, type: command, config: { tool: upper, stdin: "{{input.text}}" } }]
`, { text: "hello" });
    assert.equal((upper.step.output as { stdout: string }).stdout, "HELLO");
  });

  test("the step timeout kills the program and what it started", async () => {
    const report = await startReportServer();
    try {
      const executionId = await startWorkflow(t.orch, `
name: linger-timeout
steps: [{ id: run, type: command, timeout: 30s, config: { tool: linger, args: ["${report.port}"] } }]
`, {});
      await report.bothReported;
      assert.equal(await fireNextTimer(), 30_000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "timed_out");
      await report.bothGone();
    } finally {
      await report.close();
    }
  });

  test("cancelling the execution kills the program and what it started", async () => {
    const report = await startReportServer();
    try {
      const executionId = await startWorkflow(t.orch, `
name: linger-cancel
steps: [{ id: run, type: command, config: { tool: linger, args: ["${report.port}"] } }]
`, {});
      await report.bothReported;
      await t.orch.cancelExecution(executionId);
      const { done, step } = await finishFirstStep(t.orch, executionId);
      assert.equal(done.status, "cancelled");
      assert.equal(step.status, "cancelled");
      await report.bothGone();
    } finally {
      await report.close();
    }
  });

  test("the config timeout kills the program and fails the attempt as retryable TIMEOUT", async () => {
    const report = await startReportServer();
    try {
      const { step } = await runFirstStep(t.orch, `
name: linger-config-timeout
steps: [{ id: run, type: command, config: { tool: linger, args: ["${report.port}"], timeout: 300ms } }]
`, {});
      assert.equal(step.status, "failed");
      assert.match(step.error ?? "", /linger timed out after 300 ms$/);
      await report.bothGone();
    } finally {
      await report.close();
    }
  });

  describe("forwarded to the agent manager", () => {
    const agentManager = (extra: Partial<AgentManagerOptions> = {}): AgentManagerOptions => ({ url: `${manager.origin}/`, token: { secret: "agent_token" }, egress: { allow: ["127.0.0.1"] }, ...extra });

    test("a tool that is not local is POSTed with the idempotency key and the token from a secret; its answer is the output", async () => {
      await t.orch.setSecret("agent_token", "agent-secret-token");
      register({ programs: {} }, agentManager());
      manager.handle((request, res) => sendJson(res, 200, { exit_code: 0, stdout: `pods for ${request.headers.authorization}`, stderr: "" }));
      const { executionId, step } = await runFirstStep(t.orch, `
name: remote
steps: [{ id: collect_logs, type: command, config: { tool: kubectl, action: logs, args: ["--tail=100"], agent: node-7 } }]
`, {});
      assert.equal(step.status, "completed", step.error ?? "");
      const request = manager.requests[0];
      assert.equal(request?.method, "POST");
      assert.equal(request?.url, "/v1/commands");
      assert.equal(request?.headers["idempotency-key"], `${executionId}:collect_logs:0`);
      assert.equal(request?.headers.authorization, "Bearer agent-secret-token");
      assert.deepEqual(JSON.parse(request?.body ?? ""), {
        tool: "kubectl",
        args: ["logs", "--tail=100"],
        agent: "node-7",
        timeout_ms: 300_000,
        max_output_bytes: 1024 * 1024,
        tenant_id: "default",
        execution_id: executionId,
        step_id: "collect_logs",
      });
      const output = step.output as { stdout: string; ran_on: string; exit_code: number };
      assert.equal(output.ran_on, "agent_manager");
      assert.equal(output.exit_code, 0);
      assert.equal(output.stdout, "pods for Bearer [REDACTED]", "the token the manager echoed is redacted");
    });

    test("a 5xx from the manager is retried; a remote non-zero exit fails the attempt", async () => {
      await t.orch.setSecret("agent_token", "agent-secret-token");
      register({ programs: {} }, agentManager());
      let calls = 0;
      manager.handle((_, res) => (++calls === 1 ? sendJson(res, 502, { error: "bad gateway" }) : sendJson(res, 200, { exit_code: 1, stdout: "", stderr: "pod not found" })));
      const executionId = await startWorkflow(t.orch, `
name: remote-retry
steps: [{ id: run, type: command, config: { tool: kubectl, action: describe }, retry: { max_attempts: 2, initial_delay: 1s } }]
`, {});
      assert.equal(await fireNextTimer(), 1000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 2);
      assert.equal(step.error, "kubectl exited with code 1: pod not found");
      assert.deepEqual(manager.requests.map((r) => r.headers["idempotency-key"]), [`${executionId}:run:0`, `${executionId}:run:1`]);
    });

    test("egress: without the operator's allow entry the tenant's policy refuses the loopback manager, and nothing is sent", async () => {
      register({ programs: {} }, agentManager({ egress: undefined, token: undefined }));
      const { step } = await runFirstStep(t.orch, `
name: remote-egress
steps: [{ id: run, type: command, config: { tool: kubectl, action: get }, retry: { max_attempts: 3, initial_delay: 1s } }]
`, {});
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 1);
      assert.match(step.error ?? "", /^egress to 127\.0\.0\.1 refused: loopback address/);
      assert.equal(manager.requests.length, 0);
    });

    test("the manager's tools list limits what is forwarded", async () => {
      register({ programs: {} }, agentManager({ tools: ["kubectl"], token: undefined }));
      const { step } = await runFirstStep(t.orch, `
name: remote-tools
steps: [{ id: run, type: command, config: { tool: helm, action: list } }]
`, {});
      assert.equal(step.status, "failed");
      assert.equal(step.error, 'config.tool: "helm" is not an allowed program; allowed: none (the agent manager takes kubectl)');
      assert.equal(manager.requests.length, 0);
    });
  });

  test("operator configuration is checked: relative paths and bad names are CONFIG_INVALID naming the field", () => {
    assert.throws(() => resolveCommandOptions({ programs: { kubectl: "kubectl" } }), { code: "CONFIG_INVALID", message: /commands\.programs\.kubectl: must be an absolute path/ });
    assert.throws(() => resolveCommandOptions({ programs: { "a b": "/bin/echo" } }), { code: "CONFIG_INVALID", message: /commands\.programs\.a b/ });
    assert.throws(() => resolveCommandOptions({}, { url: "ftp://x" }), { code: "CONFIG_INVALID", message: /agentManager\.url/ });
  });
});
