// The `email` step (seed 001 `type: email` with `to`, `subject`, `template: process_complete`): one
// message over SMTP; the subject and bodies come from the config or a stored template rendered against
// the step's context. Output { message_id, accepted, rejected, response, envelope }.
import { NonRetryableError, ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { renderTemplate } from "../../workflow/templates.js";
import { parseRuntimeConfig } from "../http/config-fields.js";
import { addresses, bodyText, emailConfigSchema } from "./email-config.js";
import { lineBreakIssue } from "./mail-headers.js";
import type { EmailOutput, Mailer } from "./mailer.js";

/** A stored message template (seed 001 `template: process_complete`); its strings hold `{{...}}` templates. */
export interface EmailTemplate {
  subject?: string;
  text?: string;
  html?: string;
}

/** Looks a tenant's stored template up by name; `undefined` when it has none by that name. */
export type EmailTemplateLookup = (tenantId: string, name: string) => Promise<EmailTemplate | undefined>;

export interface EmailExecutorOptions {
  mailer: Mailer;
  /** Stored templates (the server's template store); without it, a step naming a template fails. */
  templates?: EmailTemplateLookup | undefined;
}

const runtimeSchema = emailConfigSchema("runtime");

/**
 * Renders a stored template against what the step's own config templates see: `input` (the
 * execution's), `variables`, `steps` and `execution`. Secrets are not offered: a mail body leaves
 * the system, and a template is shared by every workflow of the tenant.
 */
function renderStored(ctx: StepContext, name: string, template: EmailTemplate): EmailTemplate {
  const scope = {
    input: ctx.execution.input ?? {},
    variables: ctx.execution.variables,
    steps: ctx.steps,
    execution: { id: ctx.executionId, workflow_id: ctx.workflowId, tenant_id: ctx.tenantId },
  };
  const out: EmailTemplate = {};
  for (const key of ["subject", "text", "html"] as const) {
    const value = template[key];
    if (typeof value === "string") out[key] = String(renderTemplate(value, scope, { path: `template ${name}.${key}` }) ?? "");
  }
  return out;
}

export function createEmailExecutor(options: EmailExecutorOptions): StepExecutor {
  return {
    type: "email",
    configSchema: emailConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<EmailOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      let stored: EmailTemplate = {};
      if (config.template !== undefined) {
        if (!options.templates) throw new NonRetryableError(`template ${JSON.stringify(config.template)} cannot be read: no template store is configured; give subject and text instead`);
        const found = await options.templates(ctx.tenantId, config.template);
        if (!found) throw new ValidationError([{ path: "config.template", message: `no template named ${JSON.stringify(config.template)} for this tenant` }]);
        stored = renderStored(ctx, config.template, found);
      }
      const subject = config.subject ?? stored.subject;
      if (subject === undefined) throw new ValidationError([{ path: "config.subject", message: `required: template ${JSON.stringify(config.template)} has no subject` }]);
      const broken = config.subject === undefined ? lineBreakIssue(subject, "template.subject") : undefined;
      if (broken) throw new ValidationError([broken]);
      const text = bodyText(config.text ?? config.body) ?? stored.text;
      const html = bodyText(config.html) ?? stored.html;
      if (text === undefined && html === undefined) throw new ValidationError([{ path: "config.text", message: `required: template ${JSON.stringify(config.template)} has no text or html` }]);
      return options.mailer.send(
        ctx,
        {
          from: config.from,
          to: addresses(config.to),
          cc: addresses(config.cc),
          bcc: addresses(config.bcc),
          replyTo: config.reply_to,
          subject,
          text,
          html,
          headers: Object.fromEntries(Object.entries(config.headers ?? {}).map(([k, v]) => [k, String(v)])),
        },
        config.server,
      );
    },
  };
}
