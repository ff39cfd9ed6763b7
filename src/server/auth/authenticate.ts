// Who is calling: `Authorization: Bearer <key>` proves a principal (tenant key or platform admin).
// Every path needs a key except /health, webhook deliveries (/hooks/...) and agent callbacks (signed); the check works on the
// decoded, lower-cased path without trailing slashes, so no spelling of a path escapes it.
import { SynergyMeshError } from "../../core/errors.js";
import type { Orchestrator } from "../../orchestrator.js";
import type { ApiPrincipal } from "../../tenancy/api-key-service.js";

export class UnauthenticatedError extends SynergyMeshError {
  constructor(message: string) {
    super("UNAUTHENTICATED", message);
  }
}

/** Paths answered without a key. `/ws` authenticates inside its `hello` message instead. */
export function isPublicPath(url: string, options: { publicDocs: boolean }): boolean {
  let path = url.split("?", 1)[0] ?? "";
  try {
    path = decodeURIComponent(path);
  } catch {
    return false;
  }
  path = path.toLowerCase().replace(/\/+$/, "");
  if (path.split("/").some((segment) => segment === ".." || segment === ".")) return false;
  if (path === "/health" || path.startsWith("/hooks/") || path.startsWith("/api/v1/agent-callbacks/") || path === "/ws") return true;
  return options.publicDocs && (path === "/docs" || path.startsWith("/docs/") || path === "/openapi.json");
}

export function bearerToken(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(value) : null;
  return match?.[1];
}

export async function authenticate(orch: Orchestrator, header: string | string[] | undefined): Promise<ApiPrincipal> {
  const token = bearerToken(header);
  if (token === undefined) throw new UnauthenticatedError("Send an API key: Authorization: Bearer <key>");
  const principal = await orch.authenticateApiKey(token);
  if (!principal) throw new UnauthenticatedError("The API key is unknown, revoked or expired");
  return principal;
}
