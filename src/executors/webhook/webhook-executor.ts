// The `webhook` step: an outgoing POST of a JSON payload (the step's input unless `payload` is
// given), signed per Standard Webhooks when a `secret` is set. Output and errors as the http step's.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { durationField, headersField, parseRuntimeConfig, positiveIntegerField, statusListField, templatable, urlField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from "../http/http-request.js";
import type { EgressExecutorOptions, HttpOutput } from "../http/http-request.js";
import { signWebhook, webhookSecretKey } from "./webhook-signature.js";

export function webhookConfigSchema(mode: SchemaMode) {
  return z
    .object({
      url: urlField(mode),
      payload: z.unknown().optional(),
      secret: templatable(mode, z.string().min(1).optional()),
      headers: headersField(mode),
      timeout: durationField(mode),
      expected_status: statusListField(mode),
      max_response_bytes: positiveIntegerField(mode),
    })
    .strict();
}

const runtimeSchema = webhookConfigSchema("runtime");

export function createWebhookExecutor(options: EgressExecutorOptions): StepExecutor {
  return {
    type: "webhook",
    configSchema: webhookConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<HttpOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const key = config.secret === undefined ? undefined : webhookSecretKey(config.secret);
      const body = JSON.stringify(config.payload === undefined ? ctx.input : config.payload) ?? "null";
      const id = ctx.idempotencyKey;
      const timestamp = Math.floor(ctx.now() / 1000);
      const headers: Record<string, string> = { "user-agent": "synergymesh" };
      for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = String(value);
      Object.assign(headers, { "content-type": "application/json", "webhook-id": id, "webhook-timestamp": String(timestamp) });
      if (key) headers["webhook-signature"] = signWebhook(key, id, timestamp, body);
      return sendHttpRequest(ctx, options, {
        method: "POST",
        url: config.url,
        headers,
        body,
        timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, "config.timeout"),
        expectedStatus: config.expected_status,
        maxResponseBytes: config.max_response_bytes ?? DEFAULT_MAX_RESPONSE_BYTES,
      });
    },
  };
}
