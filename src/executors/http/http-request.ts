// One outbound HTTP request of a step (http, webhook, notification): sent through the tenant's egress
// policy, bounded in time and size, and its status turned into the engine's retry meaning.
import { TextDecoder } from "node:util";
import type { Headers as UndiciHeaders, Response } from "undici";
import { CancelledError, NonRetryableError, RetryAfterError, SynergyMeshError, TimeoutError, errorMessage } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import { createEgressFetch } from "../../net/egress-policy.js";
import type { EgressFetchOptions, EgressPolicy } from "../../net/egress-policy.js";
import { isExpectedStatus } from "./config-fields.js";

/** What every executor that makes outbound requests is built with. */
export interface EgressExecutorOptions {
  /** The egress policy of a tenant; every URL a step is given passes it (SPEC D "Egress"). */
  egress: (tenantId: string) => EgressPolicy | Promise<EgressPolicy>;
  /** Redirect limit, resolver and connect timeout of the outbound connections. */
  egressOptions?: EgressFetchOptions;
}

export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | undefined;
  /** The request's own time limit (the step's `timeout` applies on top through `ctx.signal`). */
  timeoutMs?: number | undefined;
  expectedStatus?: ReadonlyArray<number | string> | undefined;
  maxResponseBytes: number;
  followRedirects?: boolean;
  /** The policy to use instead of the tenant's (an operator-configured target). */
  egress?: EgressPolicy | undefined;
}

/** The output of http, webhook and notification steps. */
export interface HttpOutput {
  status_code: number;
  /** Lower-case names; `set-cookie` is a list, every other header one string. */
  headers: Record<string, string | string[]>;
  body: string;
  /** The parsed body when the response is JSON (`application/json`, `*+json`), else null. */
  json: unknown;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 10 * 1024 * 1024;
/** How much of an unexpected response's body an error message quotes. */
const ERROR_BODY_CHARS = 200;

class ResponseTooLarge extends NonRetryableError {}

/** Sends `spec` under the tenant's policy; resolves with the output, or throws with the retry meaning. */
export async function sendHttpRequest(ctx: StepContext, options: EgressExecutorOptions, spec: HttpRequestSpec): Promise<HttpOutput> {
  const what = `${spec.method} ${spec.url}`;
  const policy = spec.egress ?? (await options.egress(ctx.tenantId));
  const fetcher = createEgressFetch(policy, { ...options.egressOptions, policyPath: spec.egress ? "channel egress" : `egress policy of tenant ${ctx.tenantId}` });
  const timeout = spec.timeoutMs === undefined ? undefined : AbortSignal.timeout(spec.timeoutMs);
  const signal = timeout ? AbortSignal.any([ctx.signal, timeout]) : ctx.signal;
  try {
    const response = await fetcher(spec.url, {
      method: spec.method,
      headers: spec.headers,
      body: spec.body,
      signal,
      redirect: spec.followRedirects === false ? "manual" : "follow",
    });
    const expected = isExpectedStatus(response.status, spec.expectedStatus);
    let text: string;
    try {
      text = await readBody(response, spec.maxResponseBytes, what);
    } catch (error) {
      // An unexpected answer is reported by its status, whatever its size.
      if (expected || !(error instanceof ResponseTooLarge)) throw error;
      text = "";
    }
    ctx.log("info", `${what} answered ${response.status}`);
    if (!expected) throw statusError(ctx, what, response, text);
    return { status_code: response.status, headers: headersOf(response.headers), body: text, json: parseJson(ctx, response, text) };
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new CancelledError();
    if (timeout?.aborted) throw new TimeoutError(what, spec.timeoutMs as number);
    if (error instanceof SynergyMeshError) throw error;
    // Network failures (refused, reset, DNS) may pass: retryable.
    throw new Error(`${what} failed: ${networkReason(error)}`, { cause: error });
  } finally {
    await fetcher.destroy().catch(() => {});
  }
}

function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const inner = cause ?? error;
  const code = (inner as { code?: unknown }).code;
  const message = errorMessage(inner);
  return typeof code === "string" && !message.includes(code) ? `${message} (${code})` : message;
}

/** Reads the body, refusing past `max` bytes (counted after decompression, as held in memory). */
async function readBody(response: Response, max: number, what: string): Promise<string> {
  const tooLarge = () => new ResponseTooLarge(`${what}: the response is larger than max_response_bytes (${max} bytes)`);
  const declared = Number(response.headers.get("content-length") ?? Number.NaN);
  if (!response.body) return "";
  if (Number.isFinite(declared) && declared > max && !response.headers.has("content-encoding")) {
    await response.body.cancel().catch(() => {});
    throw tooLarge();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > max) throw tooLarge(); // leaving the loop cancels the stream
    chunks.push(chunk);
  }
  return decoder(response.headers.get("content-type")).decode(Buffer.concat(chunks));
}

function decoder(contentType: string | null): TextDecoder {
  const charset = /;\s*charset="?([^";\s]+)"?/i.exec(contentType ?? "")?.[1];
  try {
    return new TextDecoder(charset ?? "utf-8");
  } catch {
    return new TextDecoder("utf-8");
  }
}

function headersOf(headers: UndiciHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of headers) if (name !== "set-cookie") out[name] = value;
  const cookies = headers.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}

function isJsonType(contentType: string | null): boolean {
  const media = (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return media === "application/json" || media.endsWith("+json");
}

function parseJson(ctx: StepContext, response: Response, text: string): unknown {
  if (!isJsonType(response.headers.get("content-type")) || text.trim() === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    ctx.log("warn", `the response says it is JSON but does not parse: ${errorMessage(error)}`);
    return null;
  }
}

/** `Retry-After` as milliseconds from now: delay-seconds or an HTTP date. */
export function retryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** 429 and 503 with Retry-After wait as told; 408, 429 and 5xx are retryable; other answers are final (shared with llm and agent). */
export function statusError(ctx: StepContext, what: string, response: Response, text: string): Error {
  const excerpt = text.length > ERROR_BODY_CHARS ? `${text.slice(0, ERROR_BODY_CHARS)}...` : text;
  const message = `${what} answered ${response.status}${response.statusText ? ` ${response.statusText}` : ""}${excerpt.trim() ? `: ${excerpt.trim()}` : ""}`;
  if (response.status === 429 || response.status === 503) {
    const wait = retryAfterMs(response.headers.get("retry-after"), ctx.now());
    if (wait !== undefined) return new RetryAfterError(`${message} (retry after ${wait} ms)`, wait);
  }
  if (response.status >= 500 || response.status === 429 || response.status === 408) return new Error(message);
  return new NonRetryableError(message);
}
