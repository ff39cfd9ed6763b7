// The `agent` step (seed 001): hands a task to an agent service (`agent_id` -> base URL from the
// operator's config). `POST <base>/tasks` answers 200 `{ output }` (done) or 202 `{ task_id }`; then
// the step waits, holding no worker slot, and polls `GET <base>/tasks/<id>` or is resumed by the
// agent's signed callback (see agent-callback.ts and docs/workflows.md "agent").
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { CancelledError, NonRetryableError, SynergyMeshError, TimeoutError, errorMessage } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { createEgressFetch } from "../../net/egress-policy.js";
import { durationField, parseRuntimeConfig, templatable } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { statusError } from "../http/http-request.js";
import type { AgentResult } from "./agent-callback.js";
import type { ResolvedAgentService, ResolvedAgents } from "./agent-options.js";

export function agentConfigSchema(mode: SchemaMode) {
  return z
    .object({
      agent_id: templatable(mode, z.string().min(1)),
      task: templatable(mode, z.string().min(1)),
      input: z.unknown().optional(),
      timeout: durationField(mode),
      poll_interval: durationField(mode),
    })
    .strict();
}

const runtimeSchema = agentConfigSchema("runtime");

/** What the step keeps (as its output) while it waits for the agent. */
export interface AgentWaitState {
  status: "waiting";
  agent_id: string;
  task: string;
  task_id: string;
  idempotency_key: string;
  started_at: number;
  deadline: number;
  polls: number;
  /** Set by a verified callback (orch.completeAgentTask). */
  result?: AgentResult;
}

export interface AgentExecutorOptions {
  agents: ResolvedAgents;
  /** The callback URL of a waiting step, when callbacks can reach this orchestrator (`publicUrl` is set). */
  callbackUrl?: ((ctx: StepContext) => string) | undefined;
}

const DONE = new Set(["completed", "succeeded"]);
const FAILED = new Set(["failed", "error", "cancelled", "canceled"]);

/** Ends the step `timed_out` (the runner reads `timedOut`); waiting longer would not help. */
class AgentTaskTimeout extends NonRetryableError {
  readonly timedOut = true;
}

async function agentRequest(ctx: StepContext, agent: ResolvedAgentService, method: "GET" | "POST", url: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const what = `${method} ${url}`;
  const headers: Record<string, string> = { "user-agent": "synergymesh", accept: "application/json" };
  for (const [name, value] of Object.entries(agent.headers)) headers[name.toLowerCase()] = value;
  const key = agent.apiKeySecret !== undefined ? await ctx.secret(agent.apiKeySecret) : agent.apiKey;
  if (agent.apiKeySecret !== undefined && key === undefined) throw new NonRetryableError(`the agent service ${agent.id} takes its key from the tenant's secret ${JSON.stringify(agent.apiKeySecret)}, which this tenant does not have`);
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) {
    headers["content-type"] = "application/json";
    headers["idempotency-key"] = ctx.idempotencyKey;
  }
  const fetcher = createEgressFetch(agent.egress, { policyPath: `agent service ${agent.id}` });
  const timeout = AbortSignal.timeout(agent.requestTimeoutMs);
  try {
    const response = await fetcher(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.any([ctx.signal, timeout]) });
    const text = await response.text();
    if (response.status < 200 || response.status > 299) throw statusError(ctx, what, response, text.slice(0, 2000));
    let json: unknown;
    try {
      json = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      throw new NonRetryableError(`${what} answered ${response.status} with a body that is not JSON: ${text.slice(0, 200)}`);
    }
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new NonRetryableError(`${what} answered ${response.status} with JSON that is not an object`);
    return { status: response.status, json: json as Record<string, unknown> };
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new CancelledError();
    if (timeout.aborted) throw new TimeoutError(what, agent.requestTimeoutMs);
    if (error instanceof SynergyMeshError) throw error;
    throw new Error(`${what} failed: ${errorMessage((error as { cause?: unknown }).cause ?? error)}`, { cause: error });
  } finally {
    await fetcher.destroy().catch(() => {});
  }
}

function finished(state: { agent_id: string; task_id: string }, result: { status: string; output?: unknown; error?: unknown }): unknown {
  if (DONE.has(result.status)) return result.output ?? null;
  const reason = typeof result.error === "string" ? result.error : result.error === undefined ? "no reason given" : JSON.stringify(result.error);
  throw new NonRetryableError(`agent ${state.agent_id} task ${state.task_id} ${result.status}: ${reason}`);
}

function agentFor(agents: ResolvedAgents, id: string): ResolvedAgentService {
  const agent = agents[id];
  if (!agent) {
    const known = Object.keys(agents);
    throw new NonRetryableError(`no agent service is configured for agent_id ${JSON.stringify(id)} (OrchestratorOptions.agents); configured: ${known.join(", ") || "none"}`);
  }
  return agent;
}

/** The next time to look again: the poll interval, or (callback only) the deadline. */
function nextWake(agent: ResolvedAgentService, state: AgentWaitState, pollMs: number, now: number): number {
  return pollMs > 0 ? Math.min(now + pollMs, state.deadline) : state.deadline;
}

async function resume(ctx: StepContext, agents: ResolvedAgents, state: AgentWaitState, pollMs: number): Promise<unknown> {
  if (state.result) return finished(state, state.result);
  const now = ctx.now();
  if (now >= state.deadline) throw new AgentTaskTimeout(`agent ${state.agent_id} task ${state.task_id} did not finish within ${state.deadline - state.started_at} ms`);
  const agent = agentFor(agents, state.agent_id);
  if (pollMs === 0) return ctx.waitUntil(state.deadline, state);
  try {
    const { json } = await agentRequest(ctx, agent, "GET", `${agent.baseUrl}/tasks/${encodeURIComponent(state.task_id)}`);
    const status = typeof json.status === "string" ? json.status.toLowerCase() : "";
    if (DONE.has(status) || FAILED.has(status)) return finished(state, { status, output: json.output, error: json.error });
  } catch (error) {
    // A failed poll is not the task's failure: an answer the service refuses for good (404: it lost
    // the task) ends the step; a transient one (a reset, a 503) is tried again at the next poll.
    if (error instanceof NonRetryableError || ctx.signal.aborted) throw error;
    ctx.log("warn", `polling agent ${state.agent_id} task ${state.task_id} failed, trying again later: ${errorMessage(error)}`);
  }
  return ctx.waitUntil(nextWake(agent, state, pollMs, ctx.now()), { ...state, polls: state.polls + 1 });
}

export function createAgentExecutor(options: AgentExecutorOptions): StepExecutor {
  return {
    type: "agent",
    configSchema: agentConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<unknown> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const agent = agentFor(options.agents, config.agent_id);
      const pollMs = config.poll_interval === undefined ? agent.pollIntervalMs : parseDuration(config.poll_interval, "config.poll_interval");
      const previous = ctx.previousOutput as AgentWaitState | null;
      // Only a state written for this attempt counts: a manual retry starts a new task.
      if (previous?.status === "waiting" && previous.idempotency_key === ctx.idempotencyKey) return resume(ctx, options.agents, previous, pollMs);
      const now = ctx.now();
      const callbackUrl = agent.callbackKey && options.callbackUrl ? options.callbackUrl(ctx) : undefined;
      const { status, json } = await agentRequest(ctx, agent, "POST", `${agent.baseUrl}/tasks`, {
        agent_id: config.agent_id,
        task: config.task,
        input: config.input === undefined ? ctx.input : config.input,
        idempotency_key: ctx.idempotencyKey,
        ...(callbackUrl ? { callback_url: callbackUrl } : {}),
      });
      const taskId = json.task_id;
      if (status !== 202 && (json.output !== undefined || typeof taskId !== "string")) return finished({ agent_id: config.agent_id, task_id: String(taskId ?? "-") }, { status: typeof json.status === "string" ? json.status : "completed", output: json.output, error: json.error });
      if (typeof taskId !== "string" || taskId === "") throw new NonRetryableError(`agent ${config.agent_id} answered ${status} without a task_id`);
      if (pollMs === 0 && !callbackUrl) throw new NonRetryableError(`agent ${config.agent_id} runs task ${taskId} asynchronously, but polling is off and no callback can reach this orchestrator (set publicUrl and the agent's callbackSecret)`);
      const waitMs = config.timeout === undefined ? agent.maxWaitMs : parseDuration(config.timeout, "config.timeout");
      const state: AgentWaitState = { status: "waiting", agent_id: config.agent_id, task: config.task, task_id: taskId, idempotency_key: ctx.idempotencyKey, started_at: now, deadline: now + waitMs, polls: 0 };
      ctx.log("info", `agent ${config.agent_id} accepted task ${taskId}${callbackUrl ? "; waiting for its callback" : ""}${pollMs > 0 ? `; polling every ${pollMs} ms` : ""}`);
      return ctx.waitUntil(nextWake(agent, state, pollMs, now), state);
    },
  };
}
