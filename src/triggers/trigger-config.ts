// The config of each trigger type (snake_case, as in definitions and REST bodies): checked with every
// problem at its path, and read into the settings the runners use. Pure.
import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import type { ValidationIssue } from "../core/errors.js";
import { ValidationError } from "../core/errors.js";
import type { TriggerType } from "../store/trigger-store.js";
import { checkExpression } from "../workflow/expressions.js";
import { cronProblem, timezoneProblem } from "../workflow/schedule-check.js";
import type { CatchUpPolicy } from "./cron/cron-schedule.js";
import { CATCH_UP_POLICIES } from "./cron/cron-schedule.js";

export const TRIGGER_TYPES: readonly TriggerType[] = ["schedule", "webhook", "event", "condition"];

const duration = z.union([z.string(), z.number()]).superRefine((value, ctx) => {
  try {
    parseDuration(value);
  } catch (error) {
    ctx.addIssue({ code: "custom", message: error instanceof ValidationError ? (error.issues[0]?.message ?? "not a duration") : "not a duration" });
  }
});
const input = z.record(z.string(), z.unknown()).optional();
const expression = z.string().superRefine((value, ctx) => {
  const problem = checkExpression(value);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
});
/** A webhook secret is always a reference to a tenant secret, so it stays encrypted at rest. */
const SECRET_REF = /^\{\{\s*secrets\.([A-Za-z0-9_.-]+)\s*\}\}$/;
const secretRef = z.string().regex(SECRET_REF, "must name a tenant secret as {{secrets.<name>}} (store it with setSecret); a literal secret would be kept in clear");
export const WEBHOOK_PATH = /^[A-Za-z0-9][A-Za-z0-9._~-]*(\/[A-Za-z0-9._~-]+)*$/;

const scheduleSchema = z
  .object({
    cron: z.string().superRefine((value, ctx) => {
      const problem = cronProblem(value);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
    }),
    timezone: z
      .string()
      .superRefine((value, ctx) => {
        const problem = timezoneProblem(value);
        if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    catch_up: z.enum(CATCH_UP_POLICIES as [CatchUpPolicy, ...CatchUpPolicy[]]).optional(),
    max_catch_up: z.number().int().min(1).max(1000).optional(),
    input,
  })
  .strict();

const webhookSchema = z
  .object({
    path: z
      .string()
      .transform((p) => p.replace(/^\/+/, ""))
      .pipe(z.string().max(200).regex(WEBHOOK_PATH, "must be letters, digits, '.', '_', '~', '-' in '/'-separated segments, such as webhook/data-process")),
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE"]).optional(),
    secret: z.union([secretRef, z.array(secretRef).min(1).max(5)]).optional(),
    signature: z.enum(["standard", "hmac"]).optional(),
    header: z.string().min(1).optional(),
    prefix: z.string().optional(),
    encoding: z.enum(["hex", "base64"]).optional(),
    tolerance: duration.optional(),
    dedup_header: z.string().min(1).optional(),
    public: z.boolean().optional(),
    input,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.secret !== undefined && c.public === true) ctx.addIssue({ code: "custom", path: ["public"], message: "a trigger with a secret is not public; remove one of them" });
  });

const eventSchema = z
  .object({
    event: z.string().min(1).max(200).optional(),
    filter: expression.optional(),
    // Seed 003's trigger_config: the Kubernetes event reason and the least severity.
    event_reason: z.string().min(1).optional(),
    severity: z.string().min(1).optional(),
    input,
  })
  .strict();

const conditionSchema = z
  .object({
    expression,
    interval: duration.optional(),
    source: z
      .union([
        z.literal("metrics"),
        z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            method: z.enum(["GET", "POST"]).optional(),
            headers: z.record(z.string(), z.string()).optional(),
            body: z.unknown().optional(),
            timeout: duration.optional(),
          })
          .strict(),
      ])
      .optional(),
    input,
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.interval !== undefined && parseDuration(c.interval) < 1000) ctx.addIssue({ code: "custom", path: ["interval"], message: "must be at least 1s" });
  });

const SCHEMAS = { schedule: scheduleSchema, webhook: webhookSchema, event: eventSchema, condition: conditionSchema } as const;

/** Checks a trigger's config; returns it normalized (webhook path without a leading '/') or throws every problem. */
export const UNSIGNED_WEBHOOK = "required: a webhook trigger needs a secret to verify signatures, or `public: true` to accept unsigned calls (with public rate and size limits)";

/**
 * A webhook trigger with neither a secret nor `public: true` would take anyone's calls. The API
 * refuses it; a definition's (seed 001 writes one) is stored disabled with this reason.
 */
export function isUnsignedWebhook(type: string, config: Record<string, unknown>): boolean {
  return type === "webhook" && config.secret === undefined && config.public !== true;
}

/** As checkTriggerConfig, and a webhook must have a secret or be public (API-created triggers). */
export function checkApiTriggerConfig(type: string, config: unknown, path = "config"): Record<string, unknown> {
  const checked = checkTriggerConfig(type, config, path);
  if (isUnsignedWebhook(type, checked)) throw new ValidationError([{ path: `${path}.secret`, message: UNSIGNED_WEBHOOK }]);
  return checked;
}

export function checkTriggerConfig(type: string, config: unknown, path = "config"): Record<string, unknown> {
  const issues = triggerConfigIssues(type, config, path);
  if (issues.length > 0) throw new ValidationError(issues);
  return SCHEMAS[type as TriggerType].parse(config) as Record<string, unknown>;
}

export function triggerConfigIssues(type: string, config: unknown, path = "config", typePath = "type"): ValidationIssue[] {
  if (!(TRIGGER_TYPES as readonly string[]).includes(type)) return [{ path: typePath, message: `must be one of ${TRIGGER_TYPES.join(", ")}, got ${JSON.stringify(type)}` }];
  const result = SCHEMAS[type as TriggerType].safeParse(config);
  if (result.success) return [];
  return result.error.issues.map((issue) => ({ path: [path, ...issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))].join("").replace(/\.\[/g, "["), message: issue.code === "invalid_type" && issue.input === undefined ? "required" : issue.message }));
}

export interface ScheduleSettings {
  cron: string;
  timezone: string;
  catchUp: CatchUpPolicy;
  maxCatchUp: number;
}

export function scheduleSettings(config: Record<string, unknown>): ScheduleSettings {
  return {
    cron: String(config.cron),
    timezone: typeof config.timezone === "string" ? config.timezone : "UTC",
    catchUp: (config.catch_up as CatchUpPolicy | undefined) ?? "latest",
    maxCatchUp: typeof config.max_catch_up === "number" ? config.max_catch_up : 10,
  };
}

export interface WebhookSettings {
  path: string;
  method: string;
  secretNames: string[];
  signature: "standard" | "hmac";
  header: string;
  prefix: string;
  encoding: "hex" | "base64";
  toleranceMs: number;
  dedupHeader: string | undefined;
  public: boolean;
}

export function webhookSettings(config: Record<string, unknown>): WebhookSettings {
  const secrets = config.secret === undefined ? [] : Array.isArray(config.secret) ? (config.secret as string[]) : [config.secret as string];
  const signature = (config.signature as "standard" | "hmac" | undefined) ?? "standard";
  return {
    path: String(config.path).replace(/^\/+/, ""),
    method: (config.method as string | undefined) ?? "POST",
    secretNames: secrets.map((s) => (SECRET_REF.exec(s) as RegExpExecArray)[1] as string),
    signature,
    header: ((config.header as string | undefined) ?? (signature === "hmac" ? "x-hub-signature-256" : "webhook-signature")).toLowerCase(),
    prefix: (config.prefix as string | undefined) ?? (signature === "hmac" ? "sha256=" : ""),
    encoding: (config.encoding as "hex" | "base64" | undefined) ?? (signature === "hmac" ? "hex" : "base64"),
    toleranceMs: config.tolerance === undefined ? 5 * 60_000 : parseDuration(config.tolerance as string | number),
    dedupHeader: signature === "standard" ? "webhook-id" : (config.dedup_header as string | undefined)?.toLowerCase(),
    public: config.public === true,
  };
}

export interface ConditionSettings {
  expression: string;
  intervalMs: number;
  source: "metrics" | { url: string; method: string; headers: Record<string, string>; body: unknown; timeoutMs: number };
}

export function conditionSettings(config: Record<string, unknown>): ConditionSettings {
  const source = config.source as ConditionSettings["source"] | Record<string, unknown> | undefined;
  return {
    expression: String(config.expression),
    intervalMs: config.interval === undefined ? 60_000 : parseDuration(config.interval as string | number),
    source:
      source === undefined || source === "metrics"
        ? "metrics"
        : {
            url: String((source as Record<string, unknown>).url),
            method: ((source as Record<string, unknown>).method as string | undefined) ?? "GET",
            headers: ((source as Record<string, unknown>).headers as Record<string, string> | undefined) ?? {},
            body: (source as Record<string, unknown>).body,
            timeoutMs: (source as Record<string, unknown>).timeout === undefined ? 10_000 : parseDuration((source as Record<string, unknown>).timeout as string),
          },
  };
}

/** The static `input` of a trigger's config, merged under what the fire itself brings. */
export function staticInput(config: Record<string, unknown>): Record<string, unknown> {
  const value = config.input;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
