// A small MCP server built with the official SDK, for the mcp step's tests: tools `add` (structured
// output), `create_session` (seed 001's fragment), `fail` (a tool error) and `hang` (never answers,
// reports when its request is cancelled). Served over stdio (stdio-server.ts) or streamable HTTP.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface ServerEvents {
  onCall?: (tool: string, args: unknown) => void;
  onHangCancelled?: () => void;
}

export function createTestMcpServer(events: ServerEvents = {}): McpServer {
  const server = new McpServer({ name: "test-tools", version: "1.0.0" });
  server.registerTool(
    "add",
    { description: "Adds two numbers", inputSchema: { a: z.number(), b: z.number() }, outputSchema: { sum: z.number() } },
    async ({ a, b }) => {
      events.onCall?.("add", { a, b });
      return { content: [{ type: "text", text: `${a} + ${b} = ${a + b}` }], structuredContent: { sum: a + b } };
    },
  );
  server.registerTool("create_session", { description: "Opens a conversation session", inputSchema: { user_id: z.string(), agent_id: z.string() } }, async ({ user_id, agent_id }) => {
    events.onCall?.("create_session", { user_id, agent_id });
    return { content: [{ type: "text", text: `session-${user_id}-${agent_id}` }] };
  });
  server.registerTool("fail", { description: "Always fails" }, async () => ({ content: [{ type: "text", text: "the database is read-only" }], isError: true }));
  server.registerTool("hang", { description: "Never answers" }, (extra) => {
    events.onCall?.("hang", {});
    return new Promise((_, reject) => {
      extra.signal.addEventListener("abort", () => {
        events.onHangCancelled?.();
        reject(new Error("cancelled"));
      });
    });
  });
  return server;
}

/** Streamable HTTP on 127.0.0.1 (stateless: a server and transport per request, as the SDK shows). */
export async function startHttpMcpServer(events: ServerEvents = {}) {
  const requests: Array<{ method: string; headers: Record<string, unknown> }> = [];
  const http = createServer(async (req, res) => {
    requests.push({ method: req.method ?? "", headers: req.headers });
    const server = createTestMcpServer(events);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
    res.on("close", () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
