// The HTTP app factory (STYLE 9): createServer(orchestrator, options) builds a Fastify app with
// every operation as a REST route, the WebSocket gateway, /health, /metrics, /openapi.json and
// /docs. It never listens: tests call inject() or listen themselves; `synergymesh serve` listens.
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import fastifyWebsocket from "@fastify/websocket";
import Fastify from "fastify";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { jsonSchemaTransform, jsonSchemaTransformObject } from "fastify-type-provider-zod";
import type { Orchestrator } from "../orchestrator.js";
import type { Logger } from "../telemetry/logger.js";
import { authenticate, isPublicPath } from "./auth/authenticate.js";
import { principalOf, setPrincipal } from "./auth/request-principal.js";
import { errorBody, toHttpError } from "./errors.js";
import { httpMetrics } from "./http-metrics.js";
import type { Operation } from "./operation.js";
import { isRawResult } from "./operation.js";
import { rateLimitHeaders } from "./rate-limit-headers.js";
import { registerHookRoutes } from "./routes/hooks.js";
import { ALL_OPERATIONS } from "./routes/all-operations.js";
import { registerSystemRoutes } from "./routes/system.js";
import { runOperation } from "./run-operation.js";
import { registerGateway } from "./ws/gateway.js";

export interface ServerOptions {
  /** Largest accepted request body in bytes (default 1 MiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Serve /docs and /openapi.json without a key (default false: only /health and webhooks are public). */
  publicDocs?: boolean;
  /** Where request errors nobody expected are logged (default: silent). */
  logger?: Logger;
  /** The version shown in /openapi.json and the WebSocket hello. */
  version?: string;
}

export interface ResolvedServerOptions {
  bodyLimit: number;
  publicDocs: boolean;
  logger: Logger | undefined;
  version: string;
}

const routeLists = new WeakMap<FastifyInstance, Array<{ method: string; url: string }>>();

/** Every route the app serves (method and URL pattern), for comparing with the OpenAPI document. */
export function serverRoutes(app: FastifyInstance): ReadonlyArray<{ method: string; url: string }> {
  return routeLists.get(app) ?? [];
}

export async function createServer(orch: Orchestrator, options: ServerOptions = {}): Promise<FastifyInstance> {
  const resolved: ResolvedServerOptions = { bodyLimit: options.bodyLimit ?? 1024 * 1024, publicDocs: options.publicDocs ?? false, logger: options.logger, version: options.version ?? "0.1.0" };
  const app = Fastify({ bodyLimit: resolved.bodyLimit, logger: false, routerOptions: { ignoreTrailingSlash: true }, return503OnClosing: true });
  // Input is validated by the operation pipeline (the same code for REST and RPC); the zod
  // schemas given to Fastify serve the OpenAPI document only.
  app.setValidatorCompiler(() => (value) => ({ value }));
  app.setSerializerCompiler(() => (value) => JSON.stringify(value));
  const metrics = httpMetrics(orch.prometheus.registry, orch);
  // Definitions may be posted as YAML text (`curl --data-binary @flow.yaml -H 'Content-Type: application/yaml'`).
  app.addContentTypeParser(["application/yaml", "application/x-yaml", "text/yaml"], { parseAs: "string" }, (_request, body, done) => done(null, body));
  const routes: Array<{ method: string; url: string }> = [];
  routeLists.set(app, routes);
  app.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) if (method !== "HEAD") routes.push({ method, url: route.url });
  });

  app.addHook("onRequest", async (request) => {
    if (isPublicPath(request.url, resolved)) return;
    setPrincipal(request, await authenticate(orch, request.headers.authorization));
  });
  app.addHook("onResponse", async (request, reply) => {
    metrics.observe(request.method, request.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
  });
  app.setErrorHandler(async (error, request, reply) => {
    const mapped = toHttpError(error);
    if (mapped.unexpected) resolved.logger?.error({ err: error, method: request.method, route: request.routeOptions.url }, "request failed unexpectedly");
    const retryAfterMs = (error as { details?: { retryAfterMs?: number; limit?: number } }).details;
    if (mapped.body.error.code === "RATE_LIMITED" && typeof retryAfterMs?.limit === "number") {
      void reply.headers(rateLimitHeaders(retryAfterMs.limit, 0, (retryAfterMs.retryAfterMs ?? 1000) / 1000));
    }
    if (mapped.body.error.code === "UNAUTHENTICATED") void reply.header("www-authenticate", 'Bearer realm="synergymesh"');
    return reply.code(mapped.status).headers(mapped.headers).type("application/json; charset=utf-8").send(JSON.stringify(mapped.body));
  });
  app.setNotFoundHandler(async (request, reply) => reply.code(404).type("application/json; charset=utf-8").send(JSON.stringify(errorBody("NOT_FOUND", `No route ${request.method} ${request.url.split("?", 1)[0]}`))));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: "3.1.0",
      info: { title: "SynergyMesh API", version: resolved.version, description: "Multi-tenant workflow orchestrator. Every path except /health, /hooks/* (webhook trigger deliveries, signed) and /api/v1/agent-callbacks/* (signed) needs `Authorization: Bearer <API key>`." },
      components: { securitySchemes: { apiKey: { type: "http", scheme: "bearer" } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  await app.register(fastifyWebsocket, { options: { maxPayload: resolved.bodyLimit } });

  for (const op of ALL_OPERATIONS) addOperationRoute(app, orch, op);
  registerSystemRoutes(app, orch);
  await registerHookRoutes(app, orch);
  registerGateway(app, orch, ALL_OPERATIONS, { version: resolved.version, metrics, ...(resolved.logger ? { logger: resolved.logger } : {}) });
  await app.ready();
  return app;
}

function addOperationRoute(app: FastifyInstance, orch: Orchestrator, op: Operation): void {
  const status = op.status ?? 200;
  app.route({
    method: op.method,
    url: op.path,
    schema: {
      operationId: op.name,
      summary: op.summary,
      tags: [op.tag],
      ...(op.params ? { params: op.params } : {}),
      ...(op.query ? { querystring: op.query } : {}),
      ...(op.body ? { body: op.body } : {}),
      ...(op.response ? { response: { [status]: op.response } } : {}),
    },
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      const principal = principalOf(request);
      // Unreachable: the onRequest hook authenticated every non-public path.
      if (!principal) throw new Error("no principal on an authenticated route");
      const query = (request.query ?? {}) as Record<string, unknown>;
      const header = request.headers["x-tenant-id"];
      const requested = typeof header === "string" && header !== "" ? header : typeof query.tenant_id === "string" ? query.tenant_id : undefined;
      const idempotency = request.headers["idempotency-key"];
      const outcome = await runOperation(
        orch,
        op,
        { principal, requestedTenant: requested, idempotencyKey: typeof idempotency === "string" && idempotency !== "" ? idempotency : undefined, rpc: false, facts: { ip: request.ip, transport: "http" } },
        { params: (request.params ?? {}) as Record<string, unknown>, query, body: request.body },
      );
      if (outcome.admission) {
        const a = outcome.admission;
        void reply.headers(rateLimitHeaders(a.limit, a.remaining, a.resetMs / 1000));
      }
      if (isRawResult(outcome.result)) {
        const raw = outcome.result;
        if (raw.filename) void reply.header("content-disposition", `attachment; filename="${raw.filename}"`);
        return reply.code(status).type(raw.contentType).send(raw.body);
      }
      return reply.code(status).type("application/json; charset=utf-8").send(JSON.stringify(outcome.result));
    },
  });
}
