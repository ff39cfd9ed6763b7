// The `mcp` step (seed 001): calls one tool on an MCP server with the official SDK, over stdio (a
// server the operator configured) or streamable HTTP (a configured server, or a tenant-given `url`
// under the tenant's egress policy). The tool must be one the server lists. See docs/workflows.md.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport, getDefaultEnvironment } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { ErrorCode, McpError } from "@modelcontextprotocol/sdk/types.js";
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { CancelledError, NonRetryableError, SynergyMeshError, TimeoutError, ValidationError, errorMessage } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { createEgressFetch } from "../../net/egress-policy.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { durationField, parseRuntimeConfig, templatable, urlField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import type { ResolvedMcpServer, ResolvedMcpServers } from "./mcp-options.js";
import { DEFAULT_MCP_TIMEOUT_MS } from "./mcp-options.js";

/** Keys of the config itself; any other key is a tool argument (seed 001 writes them inline). */
const OWN_KEYS = ["server", "url", "tool", "action", "arguments", "timeout"] as const;

export function mcpConfigSchema(mode: SchemaMode) {
  return z
    .object({
      server: templatable(mode, z.string().min(1).optional()),
      url: urlField(mode).optional(),
      tool: templatable(mode, z.string().min(1).optional()),
      action: templatable(mode, z.string().min(1).optional()),
      arguments: templatable(mode, z.record(z.string(), z.unknown()).optional()),
      timeout: durationField(mode),
    })
    .catchall(z.unknown())
    .superRefine((config, ctx) => {
      if (config.tool === undefined && config.action === undefined) ctx.addIssue({ code: "custom", path: ["tool"], message: "required: the tool to call (`action` is seed 001's name for it)" });
      if (config.tool !== undefined && config.action !== undefined) ctx.addIssue({ code: "custom", path: ["action"], message: "give tool or action, not both" });
      if (config.server !== undefined && config.url !== undefined) ctx.addIssue({ code: "custom", path: ["url"], message: "give server (configured by the operator) or url, not both" });
      const inline = Object.keys(config).filter((key) => !(OWN_KEYS as readonly string[]).includes(key));
      if (config.arguments !== undefined && inline.length > 0) ctx.addIssue({ code: "custom", path: [inline[0] as string], message: "unknown key: with `arguments` given, tool arguments go inside it" });
    });
}

const runtimeSchema = mcpConfigSchema("runtime");

export interface McpExecutorOptions {
  servers: ResolvedMcpServers;
  /** The tenant's egress policy, for a `url` the step gives itself. */
  egress: (tenantId: string) => EgressPolicy | Promise<EgressPolicy>;
}

export interface McpOutput {
  /** The tool's content blocks as the server sent them (`{ type: "text", text }`, images, resources). */
  content: unknown[];
  /** The text blocks joined by newlines (handy in templates). */
  text: string;
  /** The tool's `structuredContent`, or null. */
  structured_content: unknown;
}

type Target = { kind: "stdio"; server: Extract<ResolvedMcpServer, { kind: "stdio" }> } | { kind: "http"; name: string; url: string; headers: Record<string, string>; egress: EgressPolicy; policyPath: string; timeoutMs: number };

async function targetOf(ctx: StepContext, options: McpExecutorOptions, server: string | undefined, url: string | undefined): Promise<Target> {
  if (url !== undefined) {
    return { kind: "http", name: url, url, headers: {}, egress: await options.egress(ctx.tenantId), policyPath: `egress policy of tenant ${ctx.tenantId}`, timeoutMs: DEFAULT_MCP_TIMEOUT_MS };
  }
  const names = Object.keys(options.servers);
  const name = server ?? (names.length === 1 ? names[0] : undefined);
  if (name === undefined) {
    throw new NonRetryableError(names.length === 0 ? "no MCP server is configured on this orchestrator (OrchestratorOptions.mcpServers); configure one, or give config.url" : `config.server is required: several MCP servers are configured (${names.join(", ")})`);
  }
  const configured = options.servers[name];
  if (!configured) throw new ValidationError([{ path: "config.server", message: `names no configured MCP server; configured: ${names.join(", ") || "none"}` }]);
  if (configured.kind === "stdio") return { kind: "stdio", server: configured };
  return { kind: "http", name, url: configured.url, headers: { ...configured.headers }, egress: configured.egress, policyPath: `mcp server ${name}`, timeoutMs: configured.timeoutMs };
}

function transportOf(target: Target, stderr: string[]): { transport: Transport; close: () => Promise<void> } {
  if (target.kind === "stdio") {
    const { server } = target;
    const transport = new StdioClientTransport({ command: server.command, args: [...server.args], env: { ...getDefaultEnvironment(), ...server.env }, ...(server.cwd ? { cwd: server.cwd } : {}), stderr: "pipe" });
    // The server's stderr is kept (its last lines explain a crash), never passed to ours.
    transport.stderr?.on("data", (chunk: Buffer) => {
      stderr.push(...chunk.toString("utf8").split("\n").filter((line) => line.trim() !== ""));
      if (stderr.length > 20) stderr.splice(0, stderr.length - 20);
    });
    return { transport, close: async () => {} };
  }
  const fetcher = createEgressFetch(target.egress, { policyPath: target.policyPath });
  const transport = new StreamableHTTPClientTransport(new URL(target.url), { fetch: fetcher as unknown as typeof fetch, requestInit: { headers: target.headers } });
  return { transport, close: () => fetcher.destroy().catch(() => {}) };
}

async function listAllTools(client: Client, request: { signal: AbortSignal; timeout: number }): Promise<Array<{ name: string }>> {
  const tools: Array<{ name: string }> = [];
  let cursor: string | undefined;
  // A server may page its list; a bound keeps a broken one from looping.
  for (let page = 0; page < 100; page++) {
    const result = await client.listTools(cursor === undefined ? undefined : { cursor }, request);
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (!cursor) break;
  }
  return tools;
}

function textOf(content: unknown[]): string {
  return content
    .filter((block): block is { type: "text"; text: string } => (block as { type?: unknown }).type === "text" && typeof (block as { text?: unknown }).text === "string")
    .map((block) => block.text)
    .join("\n");
}

/** The engine's retry meaning of what the SDK threw. */
function failure(ctx: StepContext, error: unknown, where: string, timeoutMs: number, stderr: string[]): Error {
  if (ctx.signal.aborted) return (ctx.signal.reason as Error | undefined) ?? new CancelledError();
  if (error instanceof SynergyMeshError) return error;
  const tail = stderr.length ? ` (server stderr: ${stderr.slice(-3).join(" | ")})` : "";
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout) return new TimeoutError(where, timeoutMs);
    // The server understood the request and refused it: the same request would be refused again.
    if (error.code === ErrorCode.InvalidParams || error.code === ErrorCode.InvalidRequest || error.code === ErrorCode.MethodNotFound) return new NonRetryableError(`${where}: ${error.message}${tail}`);
  }
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof SynergyMeshError) return cause;
  // Could not start or reach the server, or it broke off: another attempt may work.
  return new Error(`${where} failed: ${errorMessage(error)}${tail}`, { cause: error });
}

export function createMcpExecutor(options: McpExecutorOptions): StepExecutor {
  return {
    type: "mcp",
    configSchema: mcpConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<McpOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config) as Record<string, unknown> & z.output<typeof runtimeSchema>;
      const tool = (config.tool ?? config.action) as string;
      const args = config.arguments ?? Object.fromEntries(Object.entries(config).filter(([key]) => !(OWN_KEYS as readonly string[]).includes(key)));
      const target = await targetOf(ctx, options, config.server, config.url);
      const name = target.kind === "stdio" ? target.server.name : target.name;
      const timeoutMs = config.timeout !== undefined ? parseDuration(config.timeout, "config.timeout") : target.kind === "stdio" ? target.server.timeoutMs : target.timeoutMs;
      const stderr: string[] = [];
      const { transport, close } = transportOf(target, stderr);
      const client = new Client({ name: "synergymesh", version: "1" });
      // Closing the client ends the stdio server process or the HTTP session: cancellation reaches it.
      const onAbort = () => void client.close().catch(() => {});
      ctx.signal.addEventListener("abort", onAbort, { once: true });
      const request = { signal: ctx.signal, timeout: timeoutMs };
      let where = `connecting to MCP server ${name}`;
      try {
        ctx.signal.throwIfAborted();
        await client.connect(transport, request);
        where = `listing the tools of MCP server ${name}`;
        const tools = await listAllTools(client, request);
        if (!tools.some((t) => t.name === tool)) {
          throw new ValidationError([{ path: config.tool !== undefined ? "config.tool" : "config.action", message: `MCP server ${name} has no tool ${JSON.stringify(tool)}; it lists: ${tools.map((t) => t.name).join(", ") || "none"}` }]);
        }
        where = `calling tool ${tool} on MCP server ${name}`;
        const result = await client.callTool({ name: tool, arguments: args }, undefined, request);
        const content = Array.isArray(result.content) ? (result.content as unknown[]) : [];
        if (result.isError === true) throw new NonRetryableError(`tool ${tool} on MCP server ${name} reported an error: ${textOf(content) || "no message"}`);
        ctx.log("info", `${where}: ${content.length} content block(s)`);
        return { content, text: textOf(content), structured_content: result.structuredContent ?? null };
      } catch (error) {
        throw failure(ctx, error, where, timeoutMs, stderr);
      } finally {
        ctx.signal.removeEventListener("abort", onAbort);
        await client.close().catch(() => {});
        await close();
      }
    },
  };
}
