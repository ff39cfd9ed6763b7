// Operator configuration of the MCP servers that `mcp` steps call (OrchestratorOptions `mcpServers`):
// a stdio server is a program the operator names (the allow-list: steps choose a server by name,
// never a command); an HTTP server is a streamable-HTTP URL. Checked once at open.
import { isAbsolute } from "node:path";
import { ConfigError } from "../../core/errors.js";
import type { EgressPolicy } from "../../net/egress-policy.js";

interface McpServerCommon {
  /** Time limit of each MCP request (connect, list tools, the call): default 60 000 ms. */
  timeoutMs?: number;
}

export interface McpStdioServerOptions extends McpServerCommon {
  /** The program, run without a shell. */
  command: string;
  args?: string[];
  /** Added to the small default environment (HOME, PATH, ...); the orchestrator's own environment is not passed on. */
  env?: Record<string, string>;
  cwd?: string;
}

export interface McpHttpServerOptions extends McpServerCommon {
  /** The streamable-HTTP endpoint, e.g. `https://tools.example.com/mcp`. */
  url: string;
  headers?: Record<string, string>;
  /** Trusted by config: the tenant's egress policy does not apply; this one does (default: refuse internal addresses). */
  egress?: EgressPolicy;
}

export type McpServerOptions = McpStdioServerOptions | McpHttpServerOptions;

export type ResolvedMcpServer =
  | (Required<McpServerCommon> & { readonly name: string; readonly kind: "stdio"; readonly command: string; readonly args: readonly string[]; readonly env: Readonly<Record<string, string>>; readonly cwd: string | undefined })
  | (Required<McpServerCommon> & { readonly name: string; readonly kind: "http"; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly egress: EgressPolicy });

export type ResolvedMcpServers = Readonly<Record<string, ResolvedMcpServer>>;

export const DEFAULT_MCP_TIMEOUT_MS = 60_000;

export function resolveMcpServers(servers: Record<string, McpServerOptions> = {}): ResolvedMcpServers {
  const resolved: Record<string, ResolvedMcpServer> = {};
  for (const [name, server] of Object.entries(servers)) {
    const path = `mcpServers.${name}`;
    const timeoutMs = server?.timeoutMs ?? DEFAULT_MCP_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError(`${path}.timeoutMs`, `must be a positive whole number of milliseconds, got ${String(timeoutMs)}`);
    const hasCommand = typeof (server as McpStdioServerOptions)?.command === "string";
    const hasUrl = typeof (server as McpHttpServerOptions)?.url === "string";
    if (hasCommand === hasUrl) throw new ConfigError(path, "give either command (a stdio server) or url (a streamable-HTTP server)");
    if (hasCommand) {
      const stdio = server as McpStdioServerOptions;
      if (stdio.command.trim() === "") throw new ConfigError(`${path}.command`, "must name a program");
      if (stdio.args !== undefined && (!Array.isArray(stdio.args) || stdio.args.some((a) => typeof a !== "string"))) throw new ConfigError(`${path}.args`, "must be a list of strings");
      if (stdio.cwd !== undefined && !isAbsolute(stdio.cwd)) throw new ConfigError(`${path}.cwd`, "must be an absolute path");
      resolved[name] = Object.freeze({ name, kind: "stdio", command: stdio.command, args: Object.freeze([...(stdio.args ?? [])]), env: Object.freeze({ ...(stdio.env ?? {}) }), cwd: stdio.cwd, timeoutMs });
    } else {
      const http = server as McpHttpServerOptions;
      let url: URL;
      try {
        url = new URL(http.url);
      } catch {
        throw new ConfigError(`${path}.url`, "must be an http:// or https:// URL");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(`${path}.url`, "must be an http:// or https:// URL");
      resolved[name] = Object.freeze({ name, kind: "http", url: http.url, headers: Object.freeze({ ...(http.headers ?? {}) }), egress: http.egress ?? {}, timeoutMs });
    }
  }
  return Object.freeze(resolved);
}
