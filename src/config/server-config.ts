// `synergymesh serve` configuration: a YAML file in seed 001's layout (services.orchestrator.port,
// database.url, scheduler.*, executor.*), then environment overrides, then command-line flags.
// Like options.ts, this is the only reader of the environment for the server.
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import * as z from "zod";
import { parseDuration } from "../core/duration.js";
import { ConfigError } from "../core/errors.js";
import { formatPath } from "../core/parse-input.js";

export interface ServerConfig {
  host: string;
  port: number;
  /** SQLite path or postgres:// URL; undefined: the library default (`./synergymesh.db`). */
  database: string | undefined;
  /** A platform admin key to register (else the first start generates one and prints it). */
  adminKey: string | undefined;
  bodyLimit: number;
  publicDocs: boolean;
  /** `scheduler.enabled: false` makes a node that serves the API and claims no work. */
  startWorkers: boolean;
  /** `scheduler.workers`: steps this node runs at once. */
  concurrency: number | undefined;
  /** `scheduler.poll_interval`. */
  pollMs: number | undefined;
  /** `scheduler.lease`. */
  leaseMs: number | undefined;
  logLevel: string;
  /** Fields of seed 001's layout that are accepted but not applied yet (listed at start). */
  notApplied: string[];
}

const duration = z.union([z.string(), z.number()]);
const schedulerSchema = z
  .object({
    enabled: z.boolean().optional(),
    workers: z.number().int().min(1).max(10_000).optional(),
    max_concurrent: z.number().int().min(1).optional(),
    poll_interval: duration.optional(),
    lease: duration.optional(),
    priority_queue: z.boolean().optional(),
    retry_attempts: z.number().int().min(1).optional(),
    retry_delay: duration.optional(),
    retry: z.object({ max_attempts: z.number().int().min(1).optional(), initial_delay: duration.optional(), max_delay: duration.optional(), backoff_factor: z.number().min(1).optional() }).strict().optional(),
  })
  .strict();
const executorSchema = z.object({ timeout: duration.optional(), max_memory: z.union([z.string(), z.number()]).optional(), log_retention: duration.optional() }).strict();
const orchestratorSchema = z
  .object({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65_535).optional(),
    admin_key: z.string().optional(),
    body_limit: z.number().int().min(1024).optional(),
    public_docs: z.boolean().optional(),
    log_level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).optional(),
    database: z.object({ url: z.string().min(1) }).strict().optional(),
    scheduler: schedulerSchema.optional(),
    executor: executorSchema.optional(),
  })
  .strict();
const fileSchema = z
  .object({
    services: z.object({ orchestrator: orchestratorSchema.optional() }).passthrough().optional(),
    // Seed 001 also shows `scheduler:` at the top level; `database` and `executor` are accepted there too.
    database: z.object({ url: z.string().min(1) }).strict().optional(),
    scheduler: schedulerSchema.optional(),
    executor: executorSchema.optional(),
  })
  .passthrough();

export interface ServerConfigFlags {
  host?: string;
  port?: number;
  database?: string;
  publicDocs?: boolean;
}

export function loadServerConfig(file: string | undefined, flags: ServerConfigFlags = {}, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  let raw: unknown = {};
  if (file !== undefined) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new ConfigError("config", `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
      raw = parseYaml(text) ?? {};
    } catch (error) {
      throw new ConfigError(file, `not valid YAML: ${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)}`);
    }
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError(formatPath(issue?.path ?? []), `${issue?.message ?? "invalid"}${parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : ""}`);
  }
  const o = parsed.data.services?.orchestrator ?? {};
  const scheduler = { ...parsed.data.scheduler, ...o.scheduler };
  const executor = { ...parsed.data.executor, ...o.executor };
  const ms = (value: string | number | undefined, path: string) => {
    if (value === undefined) return undefined;
    try {
      return parseDuration(value, path);
    } catch {
      throw new ConfigError(path, `${JSON.stringify(value)} is not a duration such as 5s or 1m`);
    }
  };
  const port = flags.port ?? (env.SYNERGYMESH_PORT !== undefined ? Number(env.SYNERGYMESH_PORT) : (o.port ?? 8084));
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new ConfigError(flags.port !== undefined ? "--port" : "SYNERGYMESH_PORT", "must be a port number (0-65535)");
  const workers = env.SYNERGYMESH_WORKERS !== undefined ? Number(env.SYNERGYMESH_WORKERS) : scheduler.workers;
  if (workers !== undefined && !(Number.isInteger(workers) && workers >= 1)) throw new ConfigError("SYNERGYMESH_WORKERS", "must be a positive integer");
  const notApplied = [
    ...(["max_concurrent", "priority_queue", "retry_attempts", "retry_delay", "retry"] as const).filter((k) => scheduler[k] !== undefined).map((k) => `scheduler.${k}`),
    ...(["timeout", "max_memory", "log_retention"] as const).filter((k) => executor[k] !== undefined).map((k) => `executor.${k}`),
  ];
  return {
    host: flags.host ?? env.SYNERGYMESH_HOST ?? o.host ?? "127.0.0.1",
    port,
    database: flags.database ?? env.SYNERGYMESH_DATABASE_URL ?? o.database?.url ?? parsed.data.database?.url,
    adminKey: env.SYNERGYMESH_ADMIN_KEY ?? o.admin_key,
    bodyLimit: o.body_limit ?? 1024 * 1024,
    publicDocs: flags.publicDocs ?? (env.SYNERGYMESH_PUBLIC_DOCS !== undefined ? env.SYNERGYMESH_PUBLIC_DOCS === "true" : (o.public_docs ?? false)),
    startWorkers: scheduler.enabled ?? true,
    concurrency: workers,
    pollMs: ms(scheduler.poll_interval, "scheduler.poll_interval"),
    leaseMs: ms(scheduler.lease, "scheduler.lease"),
    logLevel: env.SYNERGYMESH_LOG_LEVEL ?? o.log_level ?? "info",
    notApplied,
  };
}
