// Operator configuration of the agent services that `agent` steps call (OrchestratorOptions
// `agents`: agent_id -> base URL, key, callback secret, polling), checked once at open.
import { ConfigError } from "../../core/errors.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { webhookSecretKey } from "../webhook/webhook-signature.js";

export interface AgentServiceOptions {
  /** The service's API root: tasks are created with `POST <baseUrl>/tasks`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <key>`. */
  apiKey?: string;
  /** Or: the name of a tenant secret holding the key, read when the step runs. */
  apiKeySecret?: string;
  headers?: Record<string, string>;
  /**
   * The Standard Webhooks secret (`whsec_<base64>` or plain text) the service signs its result
   * callbacks with. Without it (or without the orchestrator's `publicUrl`) no `callback_url` is sent.
   */
  callbackSecret?: string;
  /** How often a task that answered 202 is polled (default 5000 ms); 0: never, wait for the callback. */
  pollIntervalMs?: number;
  /** Time limit of one request to the service (default 30 000 ms). */
  requestTimeoutMs?: number;
  /** How long a task may run when the step's config gives no `timeout` (default 1 h). */
  maxWaitMs?: number;
  /** Trusted by config: the tenant's egress policy does not apply; this one does (default: refuse internal addresses). */
  egress?: EgressPolicy;
}

export interface ResolvedAgentService extends Required<Omit<AgentServiceOptions, "apiKey" | "apiKeySecret" | "callbackSecret" | "egress" | "headers">> {
  readonly id: string;
  readonly apiKey: string | undefined;
  readonly apiKeySecret: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly callbackKey: Buffer | undefined;
  readonly egress: EgressPolicy;
}

export type ResolvedAgents = Readonly<Record<string, ResolvedAgentService>>;

function wholeNumber(value: number, path: string, min: number): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(path, `must be a whole number of milliseconds of at least ${min}, got ${String(value)}`);
  return value;
}

export function resolveAgents(agents: Record<string, AgentServiceOptions> = {}): ResolvedAgents {
  const resolved: Record<string, ResolvedAgentService> = {};
  for (const [id, agent] of Object.entries(agents)) {
    const path = `agents.${id}`;
    let url: URL;
    try {
      url = new URL(agent?.baseUrl ?? "");
    } catch {
      throw new ConfigError(`${path}.baseUrl`, "must be an http:// or https:// URL");
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${path}.baseUrl`, "must be an http:// or https:// URL");
    if (agent.apiKey !== undefined && agent.apiKeySecret !== undefined) throw new ConfigError(path, "give apiKey or apiKeySecret, not both");
    let callbackKey: Buffer | undefined;
    try {
      callbackKey = agent.callbackSecret === undefined ? undefined : webhookSecretKey(agent.callbackSecret, `${path}.callbackSecret`);
    } catch (error) {
      throw new ConfigError(`${path}.callbackSecret`, (error as Error).message);
    }
    resolved[id] = Object.freeze({
      id,
      baseUrl: agent.baseUrl.replace(/\/+$/, ""),
      apiKey: agent.apiKey,
      apiKeySecret: agent.apiKeySecret,
      headers: Object.freeze({ ...(agent.headers ?? {}) }),
      callbackKey,
      pollIntervalMs: wholeNumber(agent.pollIntervalMs ?? 5000, `${path}.pollIntervalMs`, 0),
      requestTimeoutMs: wholeNumber(agent.requestTimeoutMs ?? 30_000, `${path}.requestTimeoutMs`, 1),
      maxWaitMs: wholeNumber(agent.maxWaitMs ?? 3_600_000, `${path}.maxWaitMs`, 1),
      egress: agent.egress ?? {},
    });
  }
  return Object.freeze(resolved);
}
