// Callback tokens of agent tasks: the last segment of a `callback_url`, naming the waiting step
// (tenant, execution, step, attempt key) under an HMAC so that nobody can make one up, and the
// body the agent posts there.
import { createHmac, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { NotFoundError, ValidationError } from "../../core/errors.js";

export interface CallbackTarget {
  tenantId: string;
  executionId: string;
  stepId: string;
  /** The attempt's idempotency key: a callback for an older attempt does not finish a newer one. */
  key: string;
}

/** The key signing tokens, derived from the master key so every node that shares it accepts them. */
export function callbackTokenKey(masterKey: Buffer): Buffer {
  return createHmac("sha256", masterKey).update("synergymesh agent callback token v1").digest();
}

export function signCallbackToken(key: Buffer, target: CallbackTarget): string {
  const payload = Buffer.from(JSON.stringify([target.tenantId, target.executionId, target.stepId, target.key])).toString("base64url");
  return `${payload}.${createHmac("sha256", key).update(payload).digest("base64url")}`;
}

/** The target of a genuine token; anything else answers like a missing object (NOT_FOUND). */
export function readCallbackToken(key: Buffer, token: string): CallbackTarget {
  const missing = () => new NotFoundError("agent task", token.length > 16 ? `${token.slice(0, 16)}...` : token);
  if (typeof token !== "string") throw missing();
  const [payload, mac, extra] = token.split(".");
  if (!payload || !mac || extra !== undefined) throw missing();
  const expected = createHmac("sha256", key).update(payload).digest();
  const given = Buffer.from(mac, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw missing();
  const [tenantId, executionId, stepId, attemptKey] = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as string[];
  return { tenantId: String(tenantId), executionId: String(executionId), stepId: String(stepId), key: String(attemptKey) };
}

export const agentResultSchema = z
  .object({
    task_id: z.string().optional(),
    status: z.enum(["completed", "succeeded", "failed", "cancelled"]),
    output: z.unknown().optional(),
    error: z.unknown().optional(),
  })
  .loose();

export type AgentResult = z.output<typeof agentResultSchema>;

/** Parses a callback body: JSON `{ status, output, error }`, problems at their paths. */
export function parseAgentResult(rawBody: string | Buffer): AgentResult {
  let value: unknown;
  try {
    value = JSON.parse(typeof rawBody === "string" ? rawBody : rawBody.toString("utf8"));
  } catch {
    throw new ValidationError([{ path: "body", message: "must be JSON: { status, output, error }" }]);
  }
  const result = agentResultSchema.safeParse(value);
  if (!result.success) throw new ValidationError(result.error.issues.map((issue) => ({ path: ["body", ...issue.path.map(String)].join("."), message: issue.message })));
  return result.data;
}
