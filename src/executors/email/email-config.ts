// The `email` step's config (seed 001: `to`, `subject`, `template`) in definition mode (templates
// unrendered) and runtime mode, with the header checks that refuse injection at their paths.
import { z } from "zod";
import { hasTemplate, headersField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { addressIssues, headerIssues, lineBreakIssue } from "./mail-headers.js";

const addressList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)], { error: "must be an e-mail address or a list of them" });
/** A body may come from a template that renders a mapping: it is written as JSON then. */
const bodyField = (mode: SchemaMode) => (mode === "definition" ? z.string().optional() : z.unknown().optional());

export function emailConfigSchema(mode: SchemaMode) {
  const shape = {
    // Address fields stay strings (templates included) in both modes; the checks below skip templates.
    to: addressList,
    cc: addressList.optional(),
    bcc: addressList.optional(),
    from: z.string().min(1).optional(),
    reply_to: z.string().min(1).optional(),
    subject: z.string().optional(),
    text: bodyField(mode),
    body: bodyField(mode),
    html: bodyField(mode),
    template: z.string().min(1).optional(),
    server: z.string().min(1).optional(),
    headers: headersField(mode),
  };
  return z
    .object(shape)
    .strict()
    .superRefine((config, ctx) => {
      const unchecked = (value: unknown) => mode === "definition" && hasTemplate(value);
      if (config.text !== undefined && config.body !== undefined) ctx.addIssue({ code: "custom", path: ["body"], message: "give the plain-text body as text or as body, not both" });
      if (config.template === undefined) {
        if (config.subject === undefined) ctx.addIssue({ code: "custom", path: ["subject"], message: "required unless a template gives it" });
        if (config.text === undefined && config.body === undefined && config.html === undefined) ctx.addIssue({ code: "custom", path: ["text"], message: "required: give text (or body), html, or a template" });
      }
      const issues = [];
      for (const key of ["to", "cc", "bcc", "from", "reply_to"] as const) {
        const value = config[key];
        if (value === undefined || unchecked(value)) continue;
        if (Array.isArray(value)) issues.push(...addressIssues(value, key).filter((issue) => !unchecked(value[Number(/\[(\d+)\]$/.exec(issue.path)?.[1])])));
        else issues.push(...addressIssues(value, key));
      }
      if (config.subject !== undefined && !unchecked(config.subject)) {
        const broken = lineBreakIssue(config.subject, "subject");
        if (broken) issues.push(broken);
      }
      if (config.headers) issues.push(...headerIssues(Object.fromEntries(Object.entries(config.headers).map(([k, v]) => [k, unchecked(v) ? "" : String(v)])), "headers"));
      for (const issue of issues) ctx.addIssue({ code: "custom", path: issue.path.split(/\.|(?=\[)/).map((p) => (p.startsWith("[") ? Number(p.slice(1, -1)) : p)), message: issue.message });
    });
}

export type EmailConfig = z.output<ReturnType<typeof emailConfigSchema>>;

/** A list of addresses from one address or a list. */
export function addresses(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** A body as text: strings as they are, other rendered values as JSON. */
export function bodyText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === "string" ? value : JSON.stringify(value);
}
