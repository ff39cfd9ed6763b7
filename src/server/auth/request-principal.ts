// The principal a request's key proved, kept beside the request (set by the auth hook, read by
// handlers) without widening Fastify's request type.
import type { FastifyRequest } from "fastify";
import type { ApiPrincipal } from "../../tenancy/api-key-service.js";

const principals = new WeakMap<FastifyRequest, ApiPrincipal>();

export function setPrincipal(request: FastifyRequest, principal: ApiPrincipal): void {
  principals.set(request, principal);
}

export function principalOf(request: FastifyRequest): ApiPrincipal | undefined {
  return principals.get(request);
}
