// The `http` step (seed 001): one request to a tenant-given URL through the tenant's egress policy.
// Output `{ status_code, headers, body, json }`; 5xx and network errors retry, 429/503 wait for
// Retry-After, other unexpected answers fail at once.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { booleanField, durationField, hasTemplate, headersField, parseRuntimeConfig, positiveIntegerField, statusListField, templatable, urlField } from "./config-fields.js";
import type { SchemaMode } from "./config-fields.js";
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from "./http-request.js";
import type { EgressExecutorOptions, HttpOutput } from "./http-request.js";

export const HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
/** Methods that change nothing get no Idempotency-Key. */
const SAFE_METHODS: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS"]);
const METHOD_PATTERN = new RegExp(`^(${HTTP_METHODS.join("|")})$`, "i");

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export function httpConfigSchema(mode: SchemaMode) {
  return z
    .object({
      method: z
        .string()
        .refine((value) => (mode === "definition" && hasTemplate(value)) || METHOD_PATTERN.test(value), { message: `must be one of ${HTTP_METHODS.join(", ")}` })
        .optional(),
      url: urlField(mode),
      headers: headersField(mode),
      query: templatable(mode, z.record(z.string().min(1), z.union([scalar, z.array(scalar)])).optional()),
      body: z.unknown().optional(),
      timeout: durationField(mode),
      expected_status: statusListField(mode),
      max_response_bytes: positiveIntegerField(mode),
      idempotency_key: booleanField(mode),
      follow_redirects: booleanField(mode),
    })
    .strict()
    .superRefine((config, ctx) => {
      const method = config.method === undefined ? "GET" : hasTemplate(config.method) ? undefined : config.method.toUpperCase();
      if ((method === "GET" || method === "HEAD") && config.body !== undefined && config.body !== null) {
        ctx.addIssue({ code: "custom", path: ["body"], message: `a ${method} request has no body; use POST, PUT or PATCH to send one` });
      }
    });
}

export type HttpConfig = z.output<ReturnType<typeof httpConfigSchema>>;

const runtimeSchema = httpConfigSchema("runtime");

function withQuery(url: string, query: HttpConfig["query"]): string {
  if (!query) return url;
  const target = new URL(url);
  for (const [name, value] of Object.entries(query)) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== null) target.searchParams.append(name, String(item));
  }
  return target.href;
}

function headerName(headers: Record<string, string>, name: string): string | undefined {
  return Object.keys(headers).find((key) => key.toLowerCase() === name);
}

/** An object or list is sent as JSON (or as a form when the content type says so); a string as it is. */
function encodeBody(body: unknown, headers: Record<string, string>): string | undefined {
  if (body === undefined || body === null) return undefined;
  const typeKey = headerName(headers, "content-type");
  if (typeof body === "string") {
    if (typeKey === undefined) headers["content-type"] = "text/plain;charset=UTF-8";
    return body;
  }
  const contentType = typeKey === undefined ? undefined : headers[typeKey];
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded") && typeof body === "object" && !Array.isArray(body)) {
    return new URLSearchParams(Object.entries(body as Record<string, unknown>).map(([k, v]): [string, string] => [k, typeof v === "string" ? v : JSON.stringify(v)])).toString();
  }
  if (typeKey === undefined) headers["content-type"] = "application/json";
  return JSON.stringify(body);
}

/** The request headers: config headers as strings, Idempotency-Key on unsafe methods, a user agent. */
function requestHeaders(ctx: StepContext, config: HttpConfig, method: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers ?? {})) headers[name] = String(value);
  try {
    new Headers(headers);
  } catch (error) {
    throw new ValidationError([{ path: "config.headers", message: `not valid HTTP headers: ${(error as Error).message}` }]);
  }
  if (!SAFE_METHODS.has(method) && config.idempotency_key !== false && headerName(headers, "idempotency-key") === undefined) {
    headers["idempotency-key"] = ctx.idempotencyKey;
  }
  if (headerName(headers, "user-agent") === undefined) headers["user-agent"] = "synergymesh";
  return headers;
}

export function createHttpExecutor(options: EgressExecutorOptions): StepExecutor {
  return {
    type: "http",
    configSchema: httpConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<HttpOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const method = (config.method ?? "GET").toUpperCase();
      const headers = requestHeaders(ctx, config, method);
      return sendHttpRequest(ctx, options, {
        method,
        url: withQuery(config.url, config.query),
        headers,
        body: encodeBody(config.body, headers),
        timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, "config.timeout"),
        expectedStatus: config.expected_status,
        maxResponseBytes: config.max_response_bytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        followRedirects: config.follow_redirects ?? true,
      });
    },
  };
}
