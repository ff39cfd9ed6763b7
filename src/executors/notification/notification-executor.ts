// The `notification` step (seed 003: `channel: slack`, `message`): a message POSTed as JSON to a
// generic webhook (`{ text, ...fields }`) or a Slack-compatible incoming webhook (`{ text, blocks? }`).
// Targets come from the step (`webhook_url` / `url`) or from the operator's named channels; the email
// channel sends `message` through the email step's mailer.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ConfigError, NonRetryableError, ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { durationField, hasTemplate, headersField, parseRuntimeConfig, templatable, urlField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { DEFAULT_MAX_RESPONSE_BYTES, sendHttpRequest } from "../http/http-request.js";
import type { EgressExecutorOptions, HttpOutput } from "../http/http-request.js";
import { addresses } from "../email/email-config.js";
import { addressIssues, lineBreakIssue } from "../email/mail-headers.js";
import type { EmailOutput, Mailer } from "../email/mailer.js";

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
  /** Sends the email channel's messages (the email step's mailer); without a configured one the channel is refused. */
  mailer?: Mailer | undefined;
}

const EMAIL_MESSAGE = "email notifications need an SMTP server: the operator configures the smtp option (the email step type needs it too)";
const EMAIL_KEYS: ReadonlySet<string> = new Set(["channel", "message", "to", "cc", "bcc", "from", "subject", "server"]);
const DEFAULT_EMAIL_SUBJECT = "Workflow notification";

function notificationConfigSchema(mode: SchemaMode, channels: Record<string, NotificationChannel>, emailReady: boolean) {
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
        // Without a mailer the channel is the one problem; its keys (to, subject, ...) are not reported.
        if (!emailReady) ctx.addIssue({ code: "custom", path: ["channel"], message: EMAIL_MESSAGE });
        else for (const issue of emailIssues(config as Record<string, unknown>, mode)) ctx.addIssue({ code: "custom", path: issue.path.split(/\.|(?=\[)/).map((p) => (p.startsWith("[") ? Number(p.slice(1, -1)) : p)), message: issue.message });
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

/** The email channel's keys: `to` (required), `cc`, `bcc`, `from`, `subject`, `server`; header values single-line. */
function emailIssues(config: Record<string, unknown>, mode: SchemaMode): Array<{ path: string; message: string }> {
  const issues: Array<{ path: string; message: string }> = [];
  const unknown = Object.keys(config).filter((key) => !EMAIL_KEYS.has(key));
  for (const key of unknown) issues.push({ path: key, message: "is not a key of the email channel (to, cc, bcc, from, subject, server, message)" });
  if (config.to === undefined) issues.push({ path: "to", message: "required: the email channel needs a recipient" });
  for (const key of ["to", "cc", "bcc", "from"]) {
    const value = config[key];
    if (value === undefined || (mode === "definition" && hasTemplate(value))) continue;
    const ok = typeof value === "string" || (Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === "string"));
    if (!ok || (key === "from" && typeof value !== "string")) issues.push({ path: key, message: key === "from" ? "must be an e-mail address" : "must be an e-mail address or a list of them" });
    else issues.push(...addressIssues(value as string | string[], key));
  }
  for (const key of ["subject", "server"]) {
    const value = config[key];
    if (value === undefined || (mode === "definition" && hasTemplate(value))) continue;
    if (typeof value !== "string") issues.push({ path: key, message: "must be a string" });
    else if (key === "subject") {
      const broken = lineBreakIssue(value, key);
      if (broken) issues.push(broken);
    }
  }
  return issues;
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
  const mailer = options.mailer?.configured ? options.mailer : undefined;
  const runtimeSchema = notificationConfigSchema("runtime", channels, mailer !== undefined);
  return {
    type: "notification",
    configSchema: notificationConfigSchema("definition", channels, mailer !== undefined),
    async execute(ctx: StepContext): Promise<HttpOutput | EmailOutput> {
      if (ctx.config.channel === "email" && !mailer) throw new NonRetryableError(EMAIL_MESSAGE);
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      if (config.channel === "email" && mailer) {
        const email = config as Record<string, unknown>;
        return mailer.send(
          ctx,
          {
            from: email.from as string | undefined,
            to: addresses(email.to as string | string[]),
            cc: addresses(email.cc as string | string[] | undefined),
            bcc: addresses(email.bcc as string | string[] | undefined),
            subject: (email.subject as string | undefined) ?? DEFAULT_EMAIL_SUBJECT,
            text: text(config.message),
          },
          email.server as string | undefined,
        );
      }
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
