// Credentials in operator configuration (SMTP servers, databases, the agent manager): a literal, a
// string holding `{{secrets.NAME}}`, or `{ secret: NAME }`, resolved per step for the step's tenant.

/** A credential as the operator writes it: a literal, a string with `{{secrets.NAME}}` in it, or `{ secret: NAME }`. */
export type Credential = string | { secret: string };

const SECRET_NAME = /^[A-Za-z0-9_-]+$/;

/** Whether `value` is a credential the operator may write (checked when options are resolved). */
export function isCredential(value: unknown): value is Credential {
  if (typeof value === "string") return true;
  return typeof value === "object" && value !== null && typeof (value as { secret?: unknown }).secret === "string" && SECRET_NAME.test((value as { secret: string }).secret);
}
