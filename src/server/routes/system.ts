// System routes: /health (public, seed 001's shape), /metrics (Prometheus text; needs a key) and
// /openapi.json (the OpenAPI 3.1 document generated from the operations' schemas).
import type { FastifyInstance } from "fastify";
import type { Orchestrator } from "../../orchestrator.js";
import { principalOf } from "../auth/request-principal.js";
import { ForbiddenError } from "../run-operation.js";

export function registerSystemRoutes(app: FastifyInstance, orch: Orchestrator): void {
  app.get("/health", { schema: { summary: "Liveness and readiness with basic statistics (no key needed)", tags: ["system"], security: [] } }, async (_request, reply) => {
    const health = await orch.getHealth();
    return reply.code(health.status === "healthy" ? 200 : 503).send(health);
  });
  app.get("/metrics", { schema: { summary: "Prometheus metrics (platform admin key)", tags: ["system"] } }, async (request, reply) => {
    // Metrics span every tenant (labels carry tenant ids): the platform admin's view.
    if (principalOf(request)?.tenantId !== null) throw new ForbiddenError("/metrics needs the platform admin key");
    return reply.type(orch.prometheus.contentType).send(await orch.prometheus.text());
  });
  app.get("/openapi.json", { schema: { summary: "This API's OpenAPI 3.1 document", tags: ["system"] } }, async () => app.swagger());
}
