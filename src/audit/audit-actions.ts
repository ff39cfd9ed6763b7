// Which actions are sensitive (kept 1 year) and the retention periods (SPEC F8, D "Audit timing").
import type { AuditChain } from "../store/store.js";

export const DAY_MS = 86_400_000;
export const STANDARD_RETENTION_MS = 90 * DAY_MS;
export const SENSITIVE_RETENTION_MS = 365 * DAY_MS;

/** Tenant, quota, key, policy and secret changes: kept 1 year. */
export const SENSITIVE_ACTIONS: ReadonlySet<string> = new Set([
  "create_tenant",
  "delete_tenant",
  "purge_tenant",
  "suspend_tenant",
  "resume_tenant",
  "modify_quota",
  "create_api_key",
  "revoke_api_key",
  "create_policy",
  "update_policy",
  "delete_policy",
  "set_secret",
  "delete_secret",
]);

export function chainFor(action: string): AuditChain {
  return SENSITIVE_ACTIONS.has(action) ? "sensitive" : "standard";
}
