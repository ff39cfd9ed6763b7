// The library side of an agent's result callback (`orch.completeAgentTask`): the token names the
// waiting step, the Standard Webhooks signature proves the agent sent it, and the step is resumed
// with the result. The server's route only passes the token, headers and raw body through.
import { NotFoundError, SynergyMeshError } from "../../core/errors.js";
import { webhookSignatureProblem } from "../webhook/webhook-signature.js";
import { parseAgentResult, readCallbackToken } from "./agent-callback.js";
import type { AgentWaitState } from "./agent-executor.js";
import type { ResolvedAgents } from "./agent-options.js";

/** Where the server serves callbacks: `<publicUrl>/api/v1/agent-callbacks/<token>`. */
export const AGENT_CALLBACK_PATH = "/api/v1/agent-callbacks/";

export interface AgentCallbackRequest {
  /** The request's headers (names in any case): `webhook-id`, `webhook-timestamp`, `webhook-signature`. */
  headers: Record<string, string | string[] | undefined>;
  /** The body exactly as received: the signature covers its bytes. */
  rawBody: string | Buffer;
}

export interface AgentCompletionParts {
  tokenKey: Buffer;
  agents: ResolvedAgents;
  nowMs: () => number;
  /** The step's waiting state, or undefined when the execution or step does not exist for the tenant. */
  waitingState: (tenantId: string, executionId: string, stepId: string) => Promise<unknown>;
  resume: (tenantId: string, executionId: string, stepId: string, update: (state: unknown) => unknown) => Promise<unknown>;
}

export async function completeAgentTask(parts: AgentCompletionParts, token: string, request: AgentCallbackRequest, tenantId?: string): Promise<{ tenantId: string; executionId: string; stepId: string }> {
  const target = readCallbackToken(parts.tokenKey, token);
  // A tenant-scoped caller gets another tenant's task exactly as a missing one.
  if (tenantId !== undefined && tenantId !== target.tenantId) throw new NotFoundError("agent task", target.stepId);
  const state = (await parts.waitingState(target.tenantId, target.executionId, target.stepId)) as AgentWaitState | null | undefined;
  const agent = state?.agent_id === undefined ? undefined : parts.agents[state.agent_id];
  if (!state || !agent?.callbackKey) throw new NotFoundError("agent task", target.stepId);
  const headers = Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));
  const body = typeof request.rawBody === "string" ? request.rawBody : Buffer.from(request.rawBody ?? "").toString("utf8");
  const problem = webhookSignatureProblem(agent.callbackKey, headers, body, Math.floor(parts.nowMs() / 1000));
  if (problem) throw new SynergyMeshError("UNAUTHENTICATED", `The agent callback is not signed by agent ${state.agent_id}: ${problem}`);
  const result = parseAgentResult(body);
  await parts.resume(target.tenantId, target.executionId, target.stepId, (current) => {
    const waiting = current as AgentWaitState | null;
    if (waiting?.status !== "waiting" || waiting.idempotency_key !== target.key) return `step ${target.stepId} is no longer waiting for this agent task`;
    if (result.task_id !== undefined && result.task_id !== waiting.task_id) return `step ${target.stepId} waits for task ${waiting.task_id}, not ${result.task_id}`;
    return { ...waiting, result };
  });
  return { tenantId: target.tenantId, executionId: target.executionId, stepId: target.stepId };
}
