// The `notification` step (seed 003: `channel: slack`, `message`): a message POSTed as JSON to a
// generic webhook (`{ text, ...fields }`) or a Slack-compatible incoming webhook (`{ text, blocks? }`).
// Targets come from the step (`webhook_url` / `url`) or from the operator's named channels.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ConfigError, NonRetryableError, ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { durationField, hasTemplate, headersField, parseRuntimeConfig, templatable, urlField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from "../http/http-request.js";
import type { EgressExecutorOptions, HttpOutput } from "../http/http-request.js";

export const NOTIFICATION_CHANNELS = ["webhook", "slack", "email"] as const;
export type NotificationChannelName = (typeof NOTIFICATION_CHANNELS)[number];

/** A channel the operator configures (SPEC D "Egress": operator targets are trusted by config). */
export interface NotificationChannel {
  url: string;
  /** The policy for this target; default the tenant's. Give one to reach an internal relay. */
  egress?: EgressPolicy;
}

export interface NotificationExecutorOptions extends EgressExecutorOptions {
  /** Targets by channel name (`slack`, `webhook`), used when a step gives no `webhook_url` / `url`. */
  channels?: Record<string, NotificationChannel>;
}

const EMAIL_MESSAGE = "email notifications need the email step type: write `type: email` with to, subject and body";

function notificationConfigSchema(mode: SchemaMode, channels: Record<string, NotificationChannel>) {
  const shape = {
    channel: z.string().refine((value) => (mode === "definition" && hasTemplate(value)) || (NOTIFICATION_CHANNELS as readonly string[]).includes(value), {
      message: `must be one of ${NOTIFICATION_CHANNELS.join(", ")}`,
    }),
    // Any value renders into the text; objects are written as JSON.
    message: mode === "definition" ? z.string() : z.unknown().refine((value) => value !== undefined && value !== null, { message: "required" }),
    webhook_url: urlField(mode).optional(),
    url: urlField(mode).optional(),
    blocks: templatable(mode, z.array(z.record(z.string(), z.unknown())).optional()),
    fields: templatable(mode, z.record(z.string(), z.unknown()).optional()),
    headers: headersField(mode),
    timeout: durationField(mode),
  };
  return z
    .object(shape)
    .loose()
    .superRefine((config, ctx) => {
      const channel = config.channel;
      if (channel === "email") {
        // An email step's keys (to, subject, ...) are not reported: the channel is the one problem.
        ctx.addIssue({ code: "custom", path: ["channel"], message: EMAIL_MESSAGE });
        return;
      }
      const unknown = Object.keys(config).filter((key) => !(key in shape));
      if (unknown.length > 0) ctx.addIssue({ code: "unrecognized_keys", keys: unknown, path: [], input: config });
      if (hasTemplate(channel)) return;
      if (channel === "slack" && config.fields !== undefined) ctx.addIssue({ code: "custom", path: ["fields"], message: "fields belong to the webhook channel; Slack takes text and blocks" });
      if (channel === "webhook" && config.blocks !== undefined) ctx.addIssue({ code: "custom", path: ["blocks"], message: "blocks belong to the slack channel; the webhook channel takes text and fields" });
      if (config.webhook_url === undefined && config.url === undefined && channels[channel] === undefined) {
        ctx.addIssue({
          code: "custom",
          path: [channel === "slack" ? "webhook_url" : "url"],
          message: `required: the ${channel} channel needs a target: give ${channel === "slack" ? "webhook_url" : "url"}, or have the operator configure the channel "${channel}"`,
        });
      }
    });
}

function checkChannels(channels: Record<string, NotificationChannel>): void {
  for (const [name, channel] of Object.entries(channels)) {
    let ok: boolean;
    try {
      const url = new URL(channel?.url ?? "");
      ok = url.protocol === "http:" || url.protocol === "https:";
    } catch {
      ok = false;
    }
    if (!ok) throw new ConfigError(`channels.${name}.url`, "must be an http:// or https:// URL");
  }
}

function text(message: unknown): string {
  return typeof message === "string" ? message : JSON.stringify(message);
}

export function createNotificationExecutor(options: NotificationExecutorOptions): StepExecutor {
  const channels = options.channels ?? {};
  checkChannels(channels);
  const runtimeSchema = notificationConfigSchema("runtime", channels);
  return {
    type: "notification",
    configSchema: notificationConfigSchema("definition", channels),
    async execute(ctx: StepContext): Promise<HttpOutput> {
      if (ctx.config.channel === "email") throw new NonRetryableError(EMAIL_MESSAGE);
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const channel = config.channel as Exclude<NotificationChannelName, "email">;
      const given = channel === "slack" ? (config.webhook_url ?? config.url) : (config.url ?? config.webhook_url);
      const operator = given === undefined ? channels[channel] : undefined;
      const url = given ?? operator?.url;
      if (url === undefined) throw new ValidationError([{ path: `config.${channel === "slack" ? "webhook_url" : "url"}`, message: `required: no target for the ${channel} channel` }]);
      const payload = channel === "slack" ? { text: text(config.message), ...(config.blocks ? { blocks: config.blocks } : {}) } : { text: text(config.message), ...config.fields };
      const headers: Record<string, string> = { "user-agent": "synergymesh" };
      for (const [name, value] of Object.entries(config.headers ?? {})) headers[name.toLowerCase()] = String(value);
      headers["content-type"] = "application/json";
      // A generic receiver can drop a repeated delivery by its key (Slack ignores the header).
      if (channel === "webhook") headers["idempotency-key"] ??= ctx.idempotencyKey;
      return sendHttpRequest(ctx, options, {
        method: "POST",
        url,
        headers,
        body: JSON.stringify(payload),
        timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, "config.timeout"),
        maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES,
        egress: operator?.egress,
      });
    },
  };
}
