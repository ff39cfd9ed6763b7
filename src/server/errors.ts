// Maps every error to the HTTP answer of the error registry: `{ error: { code, message, details } }`
// with the registry's status, `Retry-After` on refusals, and never a stack trace. Fastify's own
// errors (malformed JSON, body too large, unsupported media type) get registry codes too.
import type { ErrorCode } from "../core/errors.js";
import { ERROR_REGISTRY, isSynergyMeshError } from "../core/errors.js";

export interface HttpErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export interface HttpError {
  status: number;
  body: HttpErrorBody;
  headers: Record<string, string>;
  /** True for errors nobody raised on purpose: the server logs them (the client sees a generic message). */
  unexpected: boolean;
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): HttpErrorBody {
  return { error: { code, message, ...(details !== undefined ? { details } : {}) } };
}

export function toHttpError(error: unknown): HttpError {
  if (isSynergyMeshError(error)) {
    const headers: Record<string, string> = {};
    const retryAfterMs = error.details?.retryAfterMs;
    if (typeof retryAfterMs === "number") headers["retry-after"] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    return { status: error.status, body: errorBody(error.code, error.message, error.details), headers, unexpected: false };
  }
  const fastifyError = error as { statusCode?: number; code?: string; message?: string } | undefined;
  const status = fastifyError?.statusCode;
  if (status === 413 || fastifyError?.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    return plain("PAYLOAD_TOO_LARGE", "The request body is larger than this server accepts; send a smaller body");
  }
  if (fastifyError?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" || status === 415) {
    return plain("VALIDATION_FAILED", "Unsupported Content-Type; send JSON with Content-Type: application/json", { issues: [{ path: "headers.content-type", message: "must be application/json" }] });
  }
  if (fastifyError?.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
    return plain("VALIDATION_FAILED", "The body is empty but Content-Type says JSON; send a JSON body or no Content-Type", { issues: [{ path: "body", message: "must be JSON" }] });
  }
  if (error instanceof SyntaxError || fastifyError?.code === "FST_ERR_CTP_INVALID_JSON_BODY" || (status === 400 && /JSON/i.test(fastifyError?.message ?? ""))) {
    return plain("VALIDATION_FAILED", "The body is not valid JSON", { issues: [{ path: "body", message: "malformed JSON" }] });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return plain("VALIDATION_FAILED", "The request is malformed", { issues: [{ path: "request", message: fastifyError?.code ?? "bad request" }] });
  }
  return { ...plain("INTERNAL", "An unexpected error occurred; it was logged on the server"), unexpected: true };
}

function plain(code: ErrorCode, message: string, details?: Record<string, unknown>): HttpError {
  return { status: ERROR_REGISTRY[code].status, body: errorBody(code, message, details), headers: {}, unexpected: false };
}
