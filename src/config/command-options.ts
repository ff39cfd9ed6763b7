// Operator configuration of the `command` and `remediation` steps: the allow-list (name -> absolute
// path), limits and base environment for local programs, and the remote agent manager (seed 003).
import { isAbsolute } from "node:path";
import { ConfigError } from "../core/errors.js";
import type { EgressPolicy } from "../net/egress-policy.js";
import type { Credential } from "./credential.js";
import { isCredential } from "./credential.js";

/** One allow-listed program: an absolute path, with arguments always put first and extra environment. */
export interface CommandProgram {
  path: string;
  args?: string[];
  env?: Record<string, string>;
}

export interface CommandOptions {
  /** Programs a step may name in `tool` (`kubectl: /usr/local/bin/kubectl`). Nothing else runs locally. */
  programs?: Record<string, string | CommandProgram>;
  /** The whole environment of every program (default `{ PATH: "/usr/local/bin:/usr/bin:/bin" }`): nothing is inherited from this process. */
  env?: Record<string, string>;
  /** Working directory (default the system temp folder). */
  cwd?: string;
  /** Longest run of one program (default 60 s); a step's `timeout` may only shorten it. */
  timeoutMs?: number;
  /** Most bytes kept of stdout and of stderr each (default 1 MiB); the rest is read and dropped. */
  maxOutputBytes?: number;
}

/** A remote agent manager that runs commands for steps whose tool is not a local program (seed 003). */
export interface AgentManagerOptions {
  /** Base URL; commands are POSTed to `<url>/v1/commands`. */
  url: string;
  /** Bearer token: a literal, `{ secret: NAME }` or a string with `{{secrets.NAME}}`. */
  token?: Credential;
  /** Tools it accepts (default: any tool that is not a local program). */
  tools?: string[];
  /** Egress policy for its address (default: the tenant's); give one to reach an internal address. */
  egress?: EgressPolicy;
  /** Limit of one request (default 5 minutes); a step's `timeout` may shorten it. */
  timeoutMs?: number;
}

export interface ResolvedProgram {
  path: string;
  args: string[];
  env: Record<string, string>;
}

export interface ResolvedCommandOptions {
  programs: ReadonlyMap<string, ResolvedProgram>;
  env: Record<string, string>;
  cwd: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  agentManager: AgentManagerOptions | undefined;
}

export const DEFAULT_COMMAND_ENV: Readonly<Record<string, string>> = Object.freeze({ PATH: "/usr/local/bin:/usr/bin:/bin" });
export const DEFAULT_COMMAND_TIMEOUT_MS = 60_000;
export const DEFAULT_MAX_OUTPUT_BYTES = 1024 * 1024;
export const DEFAULT_AGENT_MANAGER_TIMEOUT_MS = 5 * 60_000;
const TOOL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function stringMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value) || Object.values(value).some((v) => typeof v !== "string")) throw new ConfigError(path, "must be a mapping of names to strings");
  return { ...(value as Record<string, string>) };
}

function positive(value: number | undefined, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new ConfigError(path, `must be a positive integer, got ${value}`);
  return value;
}

/** Checks the operator's configuration once (paths absolute, names plain) and fills the defaults. */
export function resolveCommandOptions(commands: CommandOptions = {}, agentManager?: AgentManagerOptions): ResolvedCommandOptions {
  const programs = new Map<string, ResolvedProgram>();
  for (const [name, entry] of Object.entries(commands.programs ?? {})) {
    const path = `commands.programs.${name}`;
    if (!TOOL_NAME.test(name)) throw new ConfigError(path, "a program name is letters, digits, '.', '_' and '-'");
    const program = typeof entry === "string" ? { path: entry } : entry;
    if (typeof program?.path !== "string" || !isAbsolute(program.path)) throw new ConfigError(typeof entry === "string" ? path : `${path}.path`, "must be an absolute path: programs are never looked up in PATH");
    if (program.args !== undefined && !(Array.isArray(program.args) && program.args.every((a) => typeof a === "string"))) throw new ConfigError(`${path}.args`, "must be a list of strings");
    programs.set(name, { path: program.path, args: [...(program.args ?? [])], env: stringMap(program.env, `${path}.env`) });
  }
  if (agentManager !== undefined) {
    let ok: boolean;
    try {
      const url = new URL(agentManager.url);
      ok = url.protocol === "http:" || url.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError("agentManager.url", "must be an http:// or https:// URL");
    if (agentManager.token !== undefined && !isCredential(agentManager.token)) throw new ConfigError("agentManager.token", "must be a string or { secret: NAME }");
    if (agentManager.tools !== undefined && !(Array.isArray(agentManager.tools) && agentManager.tools.every((t) => typeof t === "string" && TOOL_NAME.test(t)))) throw new ConfigError("agentManager.tools", "must be a list of tool names");
    positive(agentManager.timeoutMs, DEFAULT_AGENT_MANAGER_TIMEOUT_MS, "agentManager.timeoutMs");
  }
  return {
    programs,
    env: commands.env === undefined ? { ...DEFAULT_COMMAND_ENV } : stringMap(commands.env, "commands.env"),
    cwd: commands.cwd,
    timeoutMs: positive(commands.timeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, "commands.timeoutMs"),
    maxOutputBytes: positive(commands.maxOutputBytes, DEFAULT_MAX_OUTPUT_BYTES, "commands.maxOutputBytes"),
    agentManager,
  };
}
