// synergymesh/server: the HTTP face. `createServer(orchestrator, options)` returns a Fastify app
// that never listens by itself (mount it, `inject()` it in tests, or `listen()` it).
export { createServer, serverRoutes } from "./create-server.js";
export type { ServerOptions } from "./create-server.js";
export { SUPPORTED_PROTOCOLS } from "./ws/gateway.js";
export { loadServerConfig } from "../config/server-config.js";
export type { ServerConfig, ServerConfigFlags } from "../config/server-config.js";
