// The public, signed entry points: webhook trigger deliveries (`/hooks/<tenant>/<path>`, SPEC D) and
// agents' result callbacks. Neither takes an API key: the trigger's signature (or its public flag)
// and the callback's signed token plus Standard Webhooks signature are the credentials, checked
// over the body exactly as received, so these routes read it as raw bytes.
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import * as z from "zod";
import { AGENT_CALLBACK_PATH } from "../../executors/agent/agent-completion.js";
import type { Orchestrator } from "../../orchestrator.js";

const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
const HOOK_PARAMS = z.object({ tenant: z.string().min(1).max(200), "*": z.string().max(500) });
const TOKEN_PARAMS = z.object({ token: z.string().min(1).max(2000) });

function headersOf(request: FastifyRequest): Record<string, string | string[] | undefined> {
  return request.headers as Record<string, string | string[] | undefined>;
}

export async function registerHookRoutes(app: FastifyInstance, orch: Orchestrator): Promise<void> {
  await app.register(async (scope) => {
    // Raw bytes for every content type in this scope only: a signature is over what was sent.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser("*", { parseAs: "buffer" }, (_request, body, done) => done(null, body));

    // One route per method, so each has its own operation in the OpenAPI document.
    for (const method of METHODS) {
      scope.route({
        method,
        url: "/hooks/:tenant/*",
        schema: {
          operationId: `hooks.deliver.${method.toLowerCase()}`,
          summary: "Deliver to a webhook trigger (public; Standard Webhooks or HMAC signature unless the trigger is public)",
          tags: ["hooks"],
          security: [],
          params: HOOK_PARAMS,
        },
        handler: async (request: FastifyRequest<{ Params: { tenant: string; "*": string } }>, reply: FastifyReply) => {
          const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
          const result = await orch.deliverWebhook(request.params.tenant, request.params["*"], {
            method: request.method,
            headers: headersOf(request),
            rawBody,
            query: (request.query ?? {}) as Record<string, string | string[]>,
          });
          return reply.code(202).send({ execution_id: result.executionId, duplicate: result.duplicate, trigger_id: result.triggerId });
        },
      });
    }

    scope.route({
      method: "POST",
      url: `${AGENT_CALLBACK_PATH}:token`,
      schema: { operationId: "agents.callback", summary: "An agent's result for a waiting agent step (public; signed token and Standard Webhooks signature)", tags: ["agents"], security: [], params: TOKEN_PARAMS },
      handler: async (request: FastifyRequest<{ Params: { token: string } }>, reply: FastifyReply) => {
        const rawBody = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
        const done = await orch.completeAgentTask(request.params.token, { headers: headersOf(request), rawBody });
        return reply.code(200).send({ execution_id: done.executionId, step_id: done.stepId });
      },
    });
  });
}
