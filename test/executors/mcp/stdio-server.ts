// The test MCP server over stdio: run as `node --import tsx stdio-server.ts` by the mcp step's tests.
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { createTestMcpServer } from "./test-mcp-server.js";

await createTestMcpServer().connect(new StdioServerTransport());
