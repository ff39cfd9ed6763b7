// Request and response schemas shared by the route groups: pagination, ids, the error body and the
// JSON shapes of the library's objects (snake_case, as seed 001's REST API). Routes document their
// answers with these; OpenAPI is generated from them.
import * as z from "zod";

export const idParams = z.object({ id: z.string().min(1).max(200) });
export const nameParams = z.object({ name: z.string().min(1).max(200) });

export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(500).optional(),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

export const okSchema = z.object({ ok: z.literal(true) });

export function page<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() });
}

export const workflowSchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.enum(["draft", "active", "paused", "archived"]),
  version: z.number().int(),
  tags: z.array(z.string()),
  owner_id: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

export const stepExecutionSchema = z.object({
  id: z.string(),
  execution_id: z.string(),
  step_id: z.string(),
  status: z.string(),
  attempts: z.number().int(),
  output: z.unknown(),
  error: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
});

export const executionSchema = z.object({
  id: z.string(),
  workflow_id: z.string(),
  version: z.number().int(),
  status: z.enum(["pending", "running", "paused", "completed", "failed", "cancelled", "timed_out"]),
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  priority: z.number().int(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  idempotency_key: z.string().nullable(),
  steps: z.array(stepExecutionSchema).optional(),
});

export const logSchema = z.object({ id: z.string(), step_id: z.string().nullable(), level: z.string(), message: z.string(), data: z.unknown(), timestamp: z.string() });

export const tenantSchema = z.object({
  id: z.string(),
  name: z.string(),
  tier: z.string(),
  status: z.string(),
  quota: z.record(z.string(), z.number().nullable()),
  features: z.array(z.string()),
  created_at: z.string(),
  deleted_at: z.string().nullable(),
});

export const apiKeySchema = z.object({
  id: z.string(),
  tenant_id: z.string().nullable(),
  prefix: z.string(),
  name: z.string(),
  role: z.string(),
  created_at: z.string(),
  expires_at: z.string().nullable(),
  revoked_at: z.string().nullable(),
});

export const auditSchema = z.object({
  audit_id: z.string(),
  timestamp: z.string(),
  tenant_id: z.string(),
  action: z.string(),
  component_id: z.string().nullable(),
  user_id: z.string().nullable(),
  status: z.string(),
  metadata: z.record(z.string(), z.unknown()),
});

/** Opaque cursors: base64url of JSON, so clients cannot depend on what is inside. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

export function decodeCursor<T>(cursor: string, check: (value: unknown) => value is T): T | undefined {
  try {
    const value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as unknown;
    return check(value) ? value : undefined;
  } catch {
    return undefined;
  }
}
