// One OpenAI-compatible chat-completions call (`POST <base>/chat/completions`), plain or streamed
// (server-sent events), through an egress-checked fetch, with the provider's status codes turned
// into the engine's retry meaning (429 Retry-After waits as told, other 4xx are final).
import { CancelledError, NonRetryableError, SynergyMeshError, TimeoutError, errorMessage } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import { createEgressFetch } from "../../net/egress-policy.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { statusError } from "../http/http-request.js";

export interface ChatMessage {
  role: "system" | "user" | "assistant" | "tool" | "developer";
  content: string;
  name?: string;
}

export interface ChatTarget {
  baseUrl: string;
  apiKey: string | undefined;
  headers: Record<string, string>;
  timeoutMs: number;
  egress: EgressPolicy;
  /** Names the policy in errors ("egress policy of tenant x", "llm provider openai"). */
  policyPath: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  max_tokens?: number;
  temperature?: number;
  response_format?: Record<string, unknown>;
  stream: boolean;
}

export interface ChatUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResult {
  content: string;
  model: string;
  finish_reason: string | null;
  /** Null when the provider reported none. */
  usage: ChatUsage | null;
}

/** A chat answer (or a stream) larger than this is refused: a model's reply is text, not a download. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export async function chatCompletion(ctx: StepContext, target: ChatTarget, request: ChatRequest): Promise<ChatResult> {
  const url = `${target.baseUrl}/chat/completions`;
  const what = `POST ${url}`;
  const headers: Record<string, string> = { "user-agent": "synergymesh", ...lower(target.headers), "content-type": "application/json", "idempotency-key": ctx.idempotencyKey };
  if (target.apiKey !== undefined) headers.authorization = `Bearer ${target.apiKey}`;
  if (request.stream) headers.accept = "text/event-stream";
  const body = JSON.stringify({ ...request, ...(request.stream ? { stream_options: { include_usage: true } } : {}) });
  const fetcher = createEgressFetch(target.egress, { policyPath: target.policyPath });
  const timeout = AbortSignal.timeout(target.timeoutMs);
  const signal = AbortSignal.any([ctx.signal, timeout]);
  try {
    const response = await fetcher(url, { method: "POST", headers, body, signal });
    if (response.status < 200 || response.status > 299) {
      const text = await readLimited(response.body, 64 * 1024, what).catch(() => "");
      throw statusError(ctx, what, response, providerMessage(text));
    }
    const type = response.headers.get("content-type") ?? "";
    if (request.stream && type.includes("text/event-stream")) return await readStream(response.body, what, request.model);
    return parseCompletion(await readLimited(response.body, MAX_RESPONSE_BYTES, what), what, request.model);
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? new CancelledError();
    if (timeout.aborted) throw new TimeoutError(what, target.timeoutMs);
    if (error instanceof SynergyMeshError) throw error;
    // Refused or reset connections may pass: retryable.
    const cause = (error as { cause?: unknown }).cause;
    throw new Error(`${what} failed: ${errorMessage(cause ?? error)}`, { cause: error });
  } finally {
    await fetcher.destroy().catch(() => {});
  }
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), String(value)]));
}

/** OpenAI-style errors are `{ error: { message } }`; quote that rather than the whole body. */
function providerMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string };
    const message = typeof parsed.error === "string" ? parsed.error : parsed.error?.message;
    if (typeof message === "string") return message;
  } catch {
    // not JSON: quote the text
  }
  return text;
}

async function readLimited(body: AsyncIterable<Uint8Array> | null, max: number, what: string): Promise<string> {
  if (!body) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) throw new NonRetryableError(`${what}: the answer is larger than ${max} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

function usageOf(value: unknown): ChatUsage | null {
  const usage = value as Partial<ChatUsage> | null | undefined;
  if (!usage || typeof usage.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number") return null;
  return { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens, total_tokens: usage.total_tokens ?? usage.prompt_tokens + usage.completion_tokens };
}

interface CompletionBody {
  model?: string;
  choices?: Array<{ message?: { content?: string | null }; delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: unknown;
  error?: { message?: string };
}

function parseCompletion(text: string, what: string, model: string): ChatResult {
  let body: CompletionBody;
  try {
    body = JSON.parse(text) as CompletionBody;
  } catch {
    throw new Error(`${what}: the answer is not JSON: ${text.slice(0, 200)}`);
  }
  const choice = body.choices?.[0];
  if (!choice || !choice.message) throw new Error(`${what}: the answer has no choices${body.error?.message ? `: ${body.error.message}` : ""}`);
  return { content: choice.message.content ?? "", model: body.model ?? model, finish_reason: choice.finish_reason ?? null, usage: usageOf(body.usage) };
}

/** Server-sent events: `data: {chunk}` lines, ended by `data: [DONE]`; the usage comes in the last chunk. */
async function readStream(body: AsyncIterable<Uint8Array> | null, what: string, model: string): Promise<ChatResult> {
  const result: ChatResult = { content: "", model, finish_reason: null, usage: null };
  if (!body) return result;
  const decoder = new TextDecoder();
  let buffer = "";
  let size = 0;
  let done = false;
  const take = (line: string) => {
    if (!line.startsWith("data:")) return; // comments, event names and ids carry nothing we need
    const data = line.slice(5).trim();
    if (data === "[DONE]") {
      done = true;
      return;
    }
    let chunk: CompletionBody;
    try {
      chunk = JSON.parse(data) as CompletionBody;
    } catch {
      throw new Error(`${what}: a streamed event is not JSON: ${data.slice(0, 200)}`);
    }
    if (chunk.error) throw new Error(`${what}: the stream reported an error: ${chunk.error.message ?? "unknown"}`);
    if (chunk.model) result.model = chunk.model;
    const choice = chunk.choices?.[0];
    if (choice?.delta?.content) result.content += choice.delta.content;
    if (choice?.finish_reason) result.finish_reason = choice.finish_reason;
    result.usage = usageOf(chunk.usage) ?? result.usage;
  };
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > MAX_RESPONSE_BYTES) throw new NonRetryableError(`${what}: the stream is larger than ${MAX_RESPONSE_BYTES} bytes`);
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      take(buffer.slice(0, newline).replace(/\r$/, ""));
      buffer = buffer.slice(newline + 1);
    }
    if (done) break;
  }
  if (!done) {
    take(buffer.trim());
    // A stream cut before [DONE] and without a finish reason lost part of the answer: try again.
    if (!done && result.finish_reason === null) throw new Error(`${what}: the stream ended before the answer was complete`);
  }
  return result;
}
