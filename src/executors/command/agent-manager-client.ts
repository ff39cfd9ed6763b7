// Forwards a command to the remote agent manager (seed 003 "Command: 通过 agent-manager 执行远程命令"):
// one POST through the egress request path, carrying the attempt's idempotency key, answered with the
// run's exit code and output.
import { NonRetryableError } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import { resolveCredential } from "../credentials/resolve-credential.js";
import { sendHttpRequest } from "../http/http-request.js";
import type { EgressExecutorOptions } from "../http/http-request.js";
import type { AgentManagerOptions } from "../../config/command-options.js";
import { DEFAULT_AGENT_MANAGER_TIMEOUT_MS } from "../../config/command-options.js";
import type { ProgramResult } from "./run-program.js";

export interface RemoteCommand {
  tool: string;
  args: string[];
  env: Record<string, string>;
  stdin: string | undefined;
  agent: string | undefined;
  timeoutMs: number | undefined;
  maxOutputBytes: number;
}

/** The manager's answer is bounded too: both streams plus the JSON around them. */
const ANSWER_OVERHEAD_BYTES = 64 * 1024;

export async function callAgentManager(ctx: StepContext, options: EgressExecutorOptions, manager: AgentManagerOptions, command: RemoteCommand): Promise<ProgramResult> {
  const token = await resolveCredential(ctx, manager.token, "agentManager.token");
  const timeoutMs = Math.min(command.timeoutMs ?? manager.timeoutMs ?? DEFAULT_AGENT_MANAGER_TIMEOUT_MS, manager.timeoutMs ?? DEFAULT_AGENT_MANAGER_TIMEOUT_MS);
  const url = `${manager.url.replace(/\/+$/, "")}/v1/commands`;
  const started = performance.now();
  const response = await sendHttpRequest(ctx, options, {
    method: "POST",
    url,
    headers: {
      "content-type": "application/json",
      "user-agent": "synergymesh",
      // The same attempt re-run after a lost lease sends the same key: the manager runs it once.
      "idempotency-key": ctx.idempotencyKey,
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({
      tool: command.tool,
      args: command.args,
      ...(Object.keys(command.env).length ? { env: command.env } : {}),
      ...(command.stdin !== undefined ? { stdin: command.stdin } : {}),
      ...(command.agent !== undefined ? { agent: command.agent } : {}),
      timeout_ms: timeoutMs,
      max_output_bytes: command.maxOutputBytes,
      tenant_id: ctx.tenantId,
      execution_id: ctx.executionId,
      step_id: ctx.stepId,
    }),
    timeoutMs,
    maxResponseBytes: 2 * command.maxOutputBytes + ANSWER_OVERHEAD_BYTES,
    // The operator's policy for the manager, else the tenant's (as for notification channels).
    egress: manager.egress,
  });
  const answer = response.json as Partial<Record<string, unknown>> | null;
  if (!answer || typeof answer !== "object" || !(answer.exit_code === null || Number.isInteger(answer.exit_code))) {
    throw new NonRetryableError(`the agent manager at ${url} answered ${response.status_code} without { exit_code, stdout, stderr }`);
  }
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const stdout = text(answer.stdout);
  const stderr = text(answer.stderr);
  return {
    exit_code: answer.exit_code as number | null,
    signal: typeof answer.signal === "string" ? answer.signal : null,
    stdout: stdout.slice(0, command.maxOutputBytes),
    stderr: stderr.slice(0, command.maxOutputBytes),
    stdout_truncated: answer.stdout_truncated === true || stdout.length > command.maxOutputBytes,
    stderr_truncated: answer.stderr_truncated === true || stderr.length > command.maxOutputBytes,
    duration_ms: typeof answer.duration_ms === "number" ? answer.duration_ms : Math.round(performance.now() - started),
  };
}
