// Config fields shared by the HTTP-speaking step types. Each schema comes in two modes: `definition`
// (templates unrendered: a `{{...}}` stands for a value known only at run time and is not checked)
// and `runtime` (the rendered config, checked for real before anything is sent).
import { z } from "zod";
import type { ZodType } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ValidationError } from "../../core/errors.js";
import type { ValidationIssue } from "../../core/errors.js";

export type SchemaMode = "definition" | "runtime";

const TEMPLATE = /\{\{[\s\S]*?\}\}/;

/** A string holding a template, checked only after rendering. */
export function hasTemplate(value: unknown): boolean {
  return typeof value === "string" && TEMPLATE.test(value);
}

/** In a definition a template may stand where any value goes; at run time the value itself is checked. */
export function templatable<T extends ZodType>(mode: SchemaMode, schema: T): T {
  if (mode === "runtime") return schema;
  // The definition-mode output is never used (only its issues), so the declared type can stay T.
  return z.preprocess((value) => (hasTemplate(value) ? undefined : value), schema) as unknown as T;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

export function urlField(mode: SchemaMode) {
  return z.string().refine((value) => (mode === "definition" && hasTemplate(value)) || isHttpUrl(value), { message: "must be an http:// or https:// URL" });
}

function isDuration(value: string | number): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

export function durationField(mode: SchemaMode) {
  return templatable(mode, z.union([z.string(), z.number().nonnegative()]).refine(isDuration, { message: "must be a duration such as 500ms, 30s or 5m (a bare number is seconds)" }).optional());
}

const STATUS_PATTERN = /^[1-5]xx$/i;

/** `expected_status`: codes (`404`) and classes (`2xx`). */
export function statusListField(mode: SchemaMode) {
  const entry = z.union([z.number().int().min(100).max(599), z.string().regex(STATUS_PATTERN)], { error: "must be a status code (100-599) or a class such as 2xx" });
  return templatable(mode, z.array(entry).min(1).optional());
}

export function headersField(mode: SchemaMode) {
  return templatable(mode, z.record(z.string().min(1), z.union([z.string(), z.number(), z.boolean()])).optional());
}

export function positiveIntegerField(mode: SchemaMode) {
  return templatable(mode, z.number().int().positive().optional());
}

export function booleanField(mode: SchemaMode) {
  return templatable(mode, z.boolean().optional());
}

/** Whether `status` is one `expected_status` names; with none given, any 2xx is expected. */
export function isExpectedStatus(status: number, expected: ReadonlyArray<number | string> | undefined): boolean {
  if (!expected) return status >= 200 && status < 300;
  return expected.some((entry) => (typeof entry === "number" ? entry === status : Math.floor(status / 100) === Number(entry[0])));
}

/** Checks a rendered config against its runtime schema; problems become one ValidationError under `config.`. */
export function parseRuntimeConfig<T extends ZodType>(schema: T, config: unknown): z.output<T> {
  const result = schema.safeParse(config);
  if (result.success) return result.data;
  const issues: ValidationIssue[] = result.error.issues.map((issue) => {
    const path = ["config", ...issue.path.map((segment) => (typeof segment === "number" ? `[${segment}]` : String(segment)))].join(".").replace(/\.\[/g, "[");
    const message = issue.code === "unrecognized_keys" ? `unknown keys ${issue.keys.map((k) => JSON.stringify(k)).join(", ")}` : issue.message;
    return { path, message };
  });
  throw new ValidationError(issues);
}
