// Orchestrator options: every field optional with a documented default; resolveOptions() reads the
// environment (the only place that does) and freezes the result.
import { POOL_LABEL, POOL_LABEL_RULE } from "../scheduling/pool-label.js";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { hostname } from "node:os";
import type { Clock } from "../core/clock.js";
import { systemClock } from "../core/clock.js";
import { ConfigError } from "../core/errors.js";
import type { AgentServiceOptions, ResolvedAgents } from "../executors/agent/agent-options.js";
import { resolveAgents } from "../executors/agent/agent-options.js";
import type { LlmOptions, ResolvedLlmOptions } from "../executors/llm/llm-options.js";
import type { PythonOptions } from "../executors/script/script-config.js";
import type { McpServerOptions, ResolvedMcpServers } from "../executors/mcp/mcp-options.js";
import { resolveMcpServers } from "../executors/mcp/mcp-options.js";
import { resolveLlmOptions } from "../executors/llm/llm-options.js";
import type { NatsOptions } from "../events/nats-bridge.js";
import { checkNatsOptions } from "../events/nats-bridge.js";
import type { EgressPolicy } from "../net/egress-policy.js";
import type { AgentManagerOptions, CommandOptions, ResolvedCommandOptions } from "./command-options.js";
import { resolveCommandOptions } from "./command-options.js";
import type { DatabaseConnection } from "./database-options.js";
import { checkDatabaseConnections } from "./database-options.js";
import type { SmtpServer } from "./smtp-options.js";
import { checkSmtpServers } from "./smtp-options.js";
import type { RateLimiter } from "../tenancy/rate-limiter.js";
import type { Logger } from "../telemetry/logger.js";
import { createLogger } from "../telemetry/logger.js";
import { loadOrCreateKeyFile } from "./key-file.js";

export interface OrchestratorOptions {
  /**
   * A SQLite file path (default `./synergymesh.db`), `:memory:`, or a `postgres://` URL.
   * Environment: `SYNERGYMESH_DATABASE_URL`.
   */
  database?: string;
  /** PostgreSQL schema for the tables (default `public`). Environment: `SYNERGYMESH_DATABASE_SCHEMA`. */
  schema?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /** Time source (default: the system clock). Tests pass a FakeClock. */
  clock?: Clock;
  /** A pino-compatible logger (default: pino to stderr at `SYNERGYMESH_LOG_LEVEL`, else `warn`). */
  logger?: Logger;
  /**
   * HMAC key signing audit chain heads: 32+ bytes, hex or base64 (environment `SYNERGYMESH_AUDIT_KEY`).
   * Default: read from (or created in) the key file.
   */
  auditKey?: string | Buffer;
  /**
   * Key encrypting tenants' secrets (AES-256-GCM): 32+ bytes, hex or base64 (environment
   * `SYNERGYMESH_MASTER_KEY`). Default: read from (or created in) the key file. Every node must share it.
   */
  masterKey?: string | Buffer;
  /**
   * Where the generated keys live (mode 0600): default `<database>.key` beside a SQLite file,
   * `./synergymesh.key` for PostgreSQL (every node must share it), none for `:memory:`.
   * Environment: `SYNERGYMESH_KEY_FILE`.
   */
  keyFile?: string;
  /** The per-second request limiter (default: exact in-process sliding window). */
  rateLimiter?: RateLimiter;
  /** How long a tenant read from the store is trusted before it is read again (default 1000 ms). */
  tenantCacheTtlMs?: number;
  /** Most audit records one group commit carries (default 2000). */
  auditBatchSize?: number;
  /** Random source in [0, 1) for retry jitter (default Math.random). */
  random?: () => number;
  /**
   * This node's persistent id (default: the host name; environment `SYNERGYMESH_NODE_ID`). A node
   * restarted with the same id reclaims its unfinished steps at once; others wait for the lease.
   * Give each process sharing one database its own id.
   */
  nodeId?: string;
  /** Workflow steps this node runs at once (default 10). */
  concurrency?: number;
  /**
   * Worker pools this node serves (environment `SYNERGYMESH_NODE_LABELS`, comma-separated): it
   * claims steps with a `runs_on` among them, and steps without `runs_on` (default: none).
   */
  labels?: string[];
  /**
   * How this node picks work (seed 002 `scheduling`): `strategy` priority_based (default; within a
   * tenant by priority), round_robin (within a tenant by ready time only) or load_balanced
   * (priority_based, and a node above `loadThreshold` of its concurrency leases nothing on commit,
   * leaving ready steps to claims, where the least busy node takes most). `loadThreshold` 0..1, default 0.8.
   */
  scheduler?: { strategy?: SchedulerStrategy; loadThreshold?: number };
  /** How long a claimed step is this node's before another may take it over (default 30 s); renewed while it runs. */
  leaseMs?: number;
  /** How often to look for work other nodes made ready (default 1000 ms). */
  pollMs?: number;
  /** Attempts of a step lost to crashes before it fails as `crashed` (default 3). */
  maxLostAttempts?: number;
  /** Start claiming workflow steps at open (default true); false for a node that only submits. */
  startWorkers?: boolean;
  /**
   * Egress policy for outbound calls of steps (http, webhook, notification): one policy, or one per
   * tenant. Default: refuse loopback, private, link-local and metadata addresses (SPEC D "Egress").
   */
  egress?: EgressPolicy | ((tenantId: string) => EgressPolicy | Promise<EgressPolicy>);
  /** Named notification channels configured by the operator (`channel: slack` -> its webhook URL). */
  notificationChannels?: Record<string, { url: string; egress?: EgressPolicy }>;
  /** Folder that `script` steps' `script: file.js` names resolve in (`synergymesh run`: the definition's folder). */
  scriptRoot?: string;
  /**
   * The default SMTP server of `email` steps and `notification` steps with `channel: email`
   * (default: none, and those steps fail). Credentials may name tenant secrets (`{ secret: NAME }`).
   */
  smtp?: SmtpServer;
  /** More SMTP servers, picked by a step's `server: <name>` (default none). */
  smtpServers?: Record<string, SmtpServer>;
  /**
   * Named connections of `database` steps (`main_db: { url: "postgres://app@db/main", password: { secret: "db_password" } }`);
   * default none. Operator-configured, so not under the egress policy.
   */
  databases?: Record<string, DatabaseConnection>;
  /** What `command` and `remediation` steps may run locally (default: nothing) and their limits. */
  commands?: CommandOptions;
  /** The remote agent manager that runs tools that are not local programs (default none). */
  agentManager?: AgentManagerOptions;
  /** LLM providers of `llm` and `ai_analysis` steps (base URL, default model, key or the name of a tenant secret holding it). Default: none. */
  llm?: LlmOptions;
  /** Agent services of `agent` steps, by `agent_id`: base URL, key, callback secret, polling. Default: none. */
  agents?: Record<string, AgentServiceOptions>;
  /**
   * The URL this orchestrator's server is reachable at from outside (`https://flows.example.com`).
   * Agent tasks get `callback_url: <publicUrl>/api/v1/agent-callbacks/<token>`; without it agents are only polled.
   */
  publicUrl?: string;
  /** MCP servers of `mcp` steps, by name: `{ command, args, env }` (stdio) or `{ url, headers }` (streamable HTTP). Default: none. */
  mcpServers?: Record<string, McpServerOptions>;
  /** Python `script` steps (Pyodide): warm workers, concurrency, load time limit. Defaults in docs/workflows.md. */
  python?: PythonOptions;
  /** Schedule, condition and webhook triggers (docs/triggers.md). */
  triggers?: TriggerOptions;
  /** NATS: subjects whose messages become tenant events, and lifecycle events published back. Default: no NATS. */
  nats?: NatsOptions;
  /** Test hook: called at named points of the engine's checkpoint path (crash tests). */
  faultPoint?: (point: "claimed" | "before-commit" | "after-commit") => void;
}

export interface TriggerOptions {
  /** Run the loop that fires schedules and checks conditions on this node (default: `startWorkers`). */
  enabled?: boolean;
  /** Longest sleep of that loop, so triggers changed on other nodes are seen (default 5000 ms). */
  pollMs?: number;
  /** Condition triggers checked at once (default 10); the schedules due at one instant fire together, in one commit. */
  concurrency?: number;
  /** Under catch-up `none`, how late a fire may be and still run (default 60 000 ms). */
  graceMs?: number;
  /** Largest body of a signed webhook delivery (default 1 MiB). */
  webhookMaxBodyBytes?: number;
  /** Largest body of a delivery to a public (unsigned) webhook (default 64 KiB). */
  publicWebhookMaxBodyBytes?: number;
  /** Deliveries per second one public webhook accepts (default 5). */
  publicWebhookRatePerSecond?: number;
}

export interface ResolvedTriggerOptions {
  readonly enabled: boolean;
  readonly pollMs: number;
  readonly concurrency: number;
  readonly graceMs: number;
  readonly webhookMaxBodyBytes: number;
  readonly publicWebhookMaxBodyBytes: number;
  readonly publicWebhookRatePerSecond: number;
}

export interface ResolvedOptions {
  readonly database: string;
  readonly schema: string | undefined;
  readonly poolSize: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly auditKey: Buffer;
  readonly masterKey: Buffer;
  readonly keyFile: string | undefined;
  /** True when this open created the key file (so a database with existing chains can refuse it). */
  readonly keyFileCreated: boolean;
  /** Removes a key file this open created (used when opening is refused). */
  forgetCreatedKeyFile(): void;
  readonly rateLimiter: RateLimiter | undefined;
  readonly tenantCacheTtlMs: number;
  readonly auditBatchSize: number;
  readonly random: () => number;
  readonly nodeId: string;
  readonly concurrency: number;
  readonly labels: readonly string[];
  readonly scheduler: { readonly strategy: SchedulerStrategy; readonly loadThreshold: number };
  readonly leaseMs: number;
  readonly pollMs: number;
  readonly maxLostAttempts: number;
  readonly startWorkers: boolean;
  readonly faultPoint: ((point: "claimed" | "before-commit" | "after-commit") => void) | undefined;
  readonly egress: (tenantId: string) => EgressPolicy | Promise<EgressPolicy>;
  readonly notificationChannels: Record<string, { url: string; egress?: EgressPolicy }>;
  readonly scriptRoot: string | undefined;
  readonly smtp: SmtpServer | undefined;
  readonly smtpServers: Record<string, SmtpServer>;
  readonly databases: Record<string, DatabaseConnection>;
  /** The allow-list, limits and agent manager, checked and with defaults filled. */
  readonly commands: ResolvedCommandOptions;
  readonly llm: ResolvedLlmOptions;
  readonly agents: ResolvedAgents;
  readonly publicUrl: string | undefined;
  readonly mcpServers: ResolvedMcpServers;
  readonly python: PythonOptions;
  readonly triggers: ResolvedTriggerOptions;
  readonly nats: NatsOptions | undefined;
}

export const DEFAULT_DATABASE = "./synergymesh.db";

export function resolveOptions(options: OrchestratorOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedOptions {
  const database = options.database ?? env.SYNERGYMESH_DATABASE_URL ?? DEFAULT_DATABASE;
  if (typeof database !== "string" || database.trim() === "") throw new ConfigError("database", "must be a SQLite file path, :memory:, or a postgres:// URL");
  // Checked before any key file is made: a bad option must leave nothing behind.
  checkSmtpServers({ smtp: options.smtp, smtpServers: options.smtpServers });
  const commands = resolveCommandOptions(options.commands, options.agentManager);
  checkDatabaseConnections(options.databases ?? {});
  const isPostgres = /^postgres(ql)?:\/\//i.test(database);
  const keyFile = options.keyFile ?? env.SYNERGYMESH_KEY_FILE ?? (database === ":memory:" ? undefined : isPostgres ? "./synergymesh.key" : `${database}.key`);
  // Each key comes from the option, else the environment, else the key file (created when
  // missing), else (for :memory:) a random key that lives as long as the process.
  const explicitAuditKey = options.auditKey ?? env.SYNERGYMESH_AUDIT_KEY;
  const explicitMasterKey = options.masterKey ?? env.SYNERGYMESH_MASTER_KEY;
  let keyFileCreated = false;
  let fromFile: { auditKey: Buffer; masterKey: Buffer } | undefined;
  if (keyFile && (explicitAuditKey === undefined || explicitMasterKey === undefined)) {
    const keys = loadOrCreateKeyFile(keyFile);
    fromFile = keys;
    // What matters for the lost-key check is whether the audit key is new.
    keyFileCreated = keys.created && explicitAuditKey === undefined;
  }
  const auditKey = explicitAuditKey !== undefined ? parseKey(explicitAuditKey, "auditKey") : (fromFile?.auditKey ?? randomBytes(32));
  const masterKey = explicitMasterKey !== undefined ? parseKey(explicitMasterKey, options.masterKey !== undefined ? "masterKey" : "SYNERGYMESH_MASTER_KEY") : (fromFile?.masterKey ?? randomBytes(32));
  return Object.freeze({
    database,
    schema: options.schema ?? env.SYNERGYMESH_DATABASE_SCHEMA,
    poolSize: positiveInt(options.poolSize ?? 10, "poolSize"),
    clock: options.clock ?? systemClock,
    logger: options.logger ?? createLogger({ level: env.SYNERGYMESH_LOG_LEVEL ?? "warn" }),
    auditKey,
    masterKey,
    keyFile,
    keyFileCreated,
    forgetCreatedKeyFile: () => {
      if (keyFileCreated && keyFile) rmSync(keyFile, { force: true });
    },
    rateLimiter: options.rateLimiter,
    tenantCacheTtlMs: nonNegative(options.tenantCacheTtlMs ?? 1000, "tenantCacheTtlMs"),
    auditBatchSize: positiveInt(options.auditBatchSize ?? 2000, "auditBatchSize"),
    random: options.random ?? Math.random,
    nodeId: nonEmpty(options.nodeId ?? env.SYNERGYMESH_NODE_ID ?? hostname(), "nodeId"),
    concurrency: positiveInt(options.concurrency ?? 10, "concurrency"),
    scheduler: resolveScheduler(options.scheduler ?? {}),
    labels: poolLabels(options.labels ?? (env.SYNERGYMESH_NODE_LABELS ? env.SYNERGYMESH_NODE_LABELS.split(",").map((l) => l.trim()) : [])),
    leaseMs: positiveInt(options.leaseMs ?? 30_000, "leaseMs"),
    pollMs: positiveInt(options.pollMs ?? 1000, "pollMs"),
    maxLostAttempts: positiveInt(options.maxLostAttempts ?? 3, "maxLostAttempts"),
    startWorkers: options.startWorkers ?? true,
    faultPoint: options.faultPoint,
    egress: typeof options.egress === "function" ? options.egress : ((policy: EgressPolicy) => () => policy)(options.egress ?? {}),
    notificationChannels: options.notificationChannels ?? {},
    scriptRoot: options.scriptRoot,
    smtp: options.smtp,
    smtpServers: options.smtpServers ?? {},
    databases: options.databases ?? {},
    commands,
    llm: resolveLlmOptions(options.llm),
    agents: resolveAgents(options.agents),
    publicUrl: publicUrl(options.publicUrl),
    mcpServers: resolveMcpServers(options.mcpServers),
    python: options.python ?? {},
    triggers: resolveTriggerOptions(options.triggers ?? {}, options.startWorkers ?? true),
    nats: options.nats === undefined ? undefined : (checkNatsOptions(options.nats), options.nats),
  });
}

function resolveTriggerOptions(t: TriggerOptions, startWorkers: boolean): ResolvedTriggerOptions {
  return Object.freeze({
    enabled: t.enabled ?? startWorkers,
    pollMs: positiveInt(t.pollMs ?? 5000, "triggers.pollMs"),
    concurrency: positiveInt(t.concurrency ?? 10, "triggers.concurrency"),
    graceMs: nonNegative(t.graceMs ?? 60_000, "triggers.graceMs"),
    webhookMaxBodyBytes: positiveInt(t.webhookMaxBodyBytes ?? 1024 * 1024, "triggers.webhookMaxBodyBytes"),
    publicWebhookMaxBodyBytes: positiveInt(t.publicWebhookMaxBodyBytes ?? 64 * 1024, "triggers.publicWebhookMaxBodyBytes"),
    publicWebhookRatePerSecond: positiveInt(t.publicWebhookRatePerSecond ?? 5, "triggers.publicWebhookRatePerSecond"),
  });
}

export function parseKey(value: string | Buffer, path: string): Buffer {
  const key = Buffer.isBuffer(value) ? value : /^[0-9a-f]+$/i.test(value) && value.length % 2 === 0 ? Buffer.from(value, "hex") : Buffer.from(value, "base64");
  if (key.length < 32) throw new ConfigError(path, "must be at least 32 bytes (64 hex characters or 44 base64 characters)");
  return key;
}

function publicUrl(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value.replace(/\/+$/, "");
  } catch {
    // reported below
  }
  throw new ConfigError("publicUrl", "must be an http:// or https:// URL");
}

function nonEmpty(value: string, path: string): string {
  if (typeof value !== "string" || value.trim() === "" || value.length > 200) throw new ConfigError(path, "must be a non-empty string of at most 200 characters");
  return value;
}

export const SCHEDULER_STRATEGIES = ["priority_based", "round_robin", "load_balanced"] as const;
export type SchedulerStrategy = (typeof SCHEDULER_STRATEGIES)[number];

function resolveScheduler(s: { strategy?: SchedulerStrategy; loadThreshold?: number }): { strategy: SchedulerStrategy; loadThreshold: number } {
  const strategy = s.strategy ?? "priority_based";
  if (!SCHEDULER_STRATEGIES.includes(strategy)) throw new ConfigError("scheduler.strategy", `must be one of ${SCHEDULER_STRATEGIES.join(", ")}, got ${JSON.stringify(strategy)}`);
  const loadThreshold = s.loadThreshold ?? 0.8;
  if (typeof loadThreshold !== "number" || !(loadThreshold > 0 && loadThreshold <= 1)) throw new ConfigError("scheduler.loadThreshold", `must be a number in (0, 1], got ${JSON.stringify(loadThreshold)}`);
  return Object.freeze({ strategy, loadThreshold });
}

function poolLabels(labels: unknown): readonly string[] {
  if (!Array.isArray(labels)) throw new ConfigError("labels", "must be an array of pool labels");
  labels.forEach((label, i) => {
    if (typeof label !== "string" || !POOL_LABEL.test(label)) throw new ConfigError(`labels[${i}]`, `must be ${POOL_LABEL_RULE}, got ${JSON.stringify(label)}`);
  });
  return Object.freeze([...new Set(labels as string[])]);
}

function positiveInt(value: number, path: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(path, `must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(value: number, path: string): number {
  if (!Number.isFinite(value) || value < 0) throw new ConfigError(path, `must be a non-negative number, got ${value}`);
  return value;
}
