// Identifier formats (SPEC D): tenants are `tenant-` + 12 hex characters, everything else a UUID.
import { randomBytes, randomUUID } from "node:crypto";

export const DEFAULT_TENANT_ID = "default";
const TENANT_ID = /^(tenant-[0-9a-f]{12}|default)$/;

export function newTenantId(): string {
  return `tenant-${randomBytes(6).toString("hex")}`;
}

export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}

export function newId(): string {
  return randomUUID();
}
