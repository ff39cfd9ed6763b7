// `synergymesh serve`: opens the orchestrator from the config (YAML + environment + flags), makes
// sure a platform admin key exists (printing a generated one once), optionally the demo tenant, and
// serves the API until SIGINT / SIGTERM; then stops accepting, lets the engine hand back its work
// (running steps end, leases are released) and closes the store.
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { EXIT, UsageError, writeLine, type CliIO } from "./cli-io.js";
import { packageVersion } from "./version.js";

interface ServeOptions {
  config?: string;
  host?: string;
  port?: string;
  database?: string;
  demo?: boolean;
  publicDocs?: boolean;
}

export function addServeCommand(program: Command, io: CliIO, signals: NodeJS.EventEmitter = process): void {
  program
    .command("serve")
    .description("serve the REST API, the WebSocket gateway, /health and /metrics")
    .option("-c, --config <file>", "YAML config in seed 001's layout (services.orchestrator.*)")
    .option("--host <host>", "address to listen on (default 127.0.0.1)")
    .option("-p, --port <port>", "port (default 8084; 0 picks a free one)")
    .option("--database <url>", "SQLite file or postgres:// URL (default ./synergymesh.db)")
    .option("--demo", "on the first start, create a Demo tenant with the example workflows and print its key")
    .option("--public-docs", "serve /docs and /openapi.json without a key")
    .action(async (options: ServeOptions) => {
      io.exitCode = await serve(options, io, signals);
    });
}

async function serve(options: ServeOptions, io: CliIO, signals: NodeJS.EventEmitter): Promise<typeof EXIT.ok> {
  const port = options.port === undefined ? undefined : Number(options.port);
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new UsageError(`--port must be a port number, got ${JSON.stringify(options.port)}`);
  // Listening for the stop signals from the start: one that arrives while opening still stops cleanly.
  let onSignal: (name: string) => void = () => {};
  const stopSignal = new Promise<string>((resolve) => (onSignal = resolve));
  const handlers = { SIGINT: () => onSignal("SIGINT"), SIGTERM: () => onSignal("SIGTERM") };
  signals.on("SIGINT", handlers.SIGINT);
  signals.on("SIGTERM", handlers.SIGTERM);
  try {
    return await serveUntil(stopSignal, options, port, io);
  } finally {
    signals.off("SIGINT", handlers.SIGINT);
    signals.off("SIGTERM", handlers.SIGTERM);
  }
}

async function serveUntil(stopSignal: Promise<string>, options: ServeOptions, port: number | undefined, io: CliIO): Promise<typeof EXIT.ok> {
  const { loadServerConfig } = await import("../config/server-config.js");
  const config = loadServerConfig(options.config, { ...(options.host ? { host: options.host } : {}), ...(port !== undefined ? { port } : {}), ...(options.database ? { database: options.database } : {}), ...(options.publicDocs ? { publicDocs: true } : {}) });
  const { Orchestrator } = await import("../orchestrator.js");
  const { createLogger } = await import("../telemetry/logger.js");
  const { createServer } = await import("../server/create-server.js");
  const logger = createLogger({ level: config.logLevel });
  const orch = await Orchestrator.open({
    ...(config.database !== undefined ? { database: config.database } : {}),
    logger,
    startWorkers: config.startWorkers,
    ...(config.concurrency !== undefined ? { concurrency: config.concurrency } : {}),
    ...(config.pollMs !== undefined ? { pollMs: config.pollMs } : {}),
    ...(config.leaseMs !== undefined ? { leaseMs: config.leaseMs } : {}),
  });
  try {
    if (config.notApplied.length) writeLine(io.stderr, `note: accepted but not applied yet: ${config.notApplied.join(", ")}`);
    const admin = await orch.ensureAdminKey(config.adminKey);
    if (admin.key) writeLine(io.stdout, `platform admin key (shown once, keep it): ${admin.key}`);
    if (options.demo) {
      const { ensureDemoTenant } = await import("./demo-tenant.js");
      const demo = await ensureDemoTenant(orch, fileURLToPath(new URL(import.meta.url.includes("/dist/src/") ? "../../../examples/" : "../../examples/", import.meta.url)));
      if (demo.ownerKey) {
        writeLine(io.stdout, `demo tenant ${demo.tenantId} owner key (shown once): ${demo.ownerKey}`);
        writeLine(io.stdout, `demo workflows loaded: ${demo.loaded.length}; skipped (each needs operator configuration or is a fragment; the reason follows): ${demo.skipped.length}`);
        for (const s of demo.skipped) writeLine(io.stdout, `  skipped ${s.file.replace(/^.*\/examples\//, "examples/")}: ${s.reason.split("\n", 1)[0]?.replace(/; known types: .*$/, "")}`);
      } else {
        writeLine(io.stdout, `demo tenant ${demo.tenantId} (its key was printed on the first start)`);
      }
    }
    const app = await createServer(orch, { bodyLimit: config.bodyLimit, publicDocs: config.publicDocs, logger, version: packageVersion() });
    const address = await app.listen({ host: config.host, port: config.port });
    writeLine(io.stdout, `SynergyMesh serving on ${address} (API docs: ${address}/docs, health: ${address}/health)`);
    const signal = await stopSignal;
    writeLine(io.stdout, `${signal}: stopping (no new requests; running steps are handed back)`);
    await app.close();
  } finally {
    await orch.close();
  }
  writeLine(io.stdout, "stopped");
  return EXIT.ok;
}
