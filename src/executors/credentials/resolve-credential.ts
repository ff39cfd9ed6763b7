// Resolves an operator credential (config/credential.ts) for the step's tenant: `{ secret: NAME }` or
// the `{{secrets.NAME}}` in a string, read through ctx.secret so the runner redacts the values.
import { NonRetryableError } from "../../core/errors.js";
import type { Credential } from "../../config/credential.js";
import type { StepContext } from "../../engine/step-executor.js";

const SECRET_REFERENCE = /\{\{\s*secrets\.([A-Za-z0-9_-]+)\s*\}\}/g;
/**
 * The clear value for this step's tenant. Every secret read goes through `ctx.secret`, so the runner
 * redacts it from the step's logs, output and error. A secret the tenant lacks fails the step
 * without a retry, naming the secret and where it was asked for (never a value).
 */
export async function resolveCredential(ctx: StepContext, value: Credential | undefined, where: string): Promise<string | undefined> {
  if (value === undefined) return undefined;
  if (typeof value !== "string") return lookup(ctx, value.secret, where);
  const names = [...new Set([...value.matchAll(SECRET_REFERENCE)].map((m) => m[1] as string))];
  const values = new Map<string, string>();
  for (const name of names) values.set(name, await lookup(ctx, name, where));
  return value.replace(SECRET_REFERENCE, (_, name: string) => values.get(name) as string);
}

async function lookup(ctx: StepContext, name: string, where: string): Promise<string> {
  const found = await ctx.secret(name);
  if (found === undefined) throw new NonRetryableError(`${where} needs the secret ${JSON.stringify(name)}, which tenant ${ctx.tenantId} does not have; set it with setSecret`);
  return found;
}
