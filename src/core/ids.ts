// Identifier formats (SPEC D): tenants are `tenant-` + 12 hex characters, everything else a UUID.
import { randomBytes, randomFillSync, randomUUID } from "node:crypto";

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

const v7 = Buffer.alloc(16);
/** Random bytes drawn 4 KiB at a time: one randomFillSync call per 409 ids instead of one each. */
const pool = Buffer.alloc(4096);
let poolOffset = pool.length;

/**
 * A time-ordered UUID (version 7, RFC 9562): 48 bits of Unix milliseconds, then random bits.
 * Used for append-heavy tables (audit records), where ordered keys keep B-tree inserts local.
 */
let lastMs = -1;
let counter = 0;

export function newSortableId(now: number = Date.now()): string {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  pool.copy(v7, 6, poolOffset, poolOffset + 10);
  poolOffset += 10;
  // RFC 9562 method 1: a 12-bit counter in rand_a keeps ids of one millisecond in creation order
  // within this process (it restarts from a random value each new millisecond).
  if (now === lastMs && counter < 0xfff) counter += 1;
  else {
    lastMs = now;
    counter = (v7[6] as number) & 0x07;
  }
  v7.writeUIntBE(now, 0, 6);
  v7[6] = 0x70 | (counter >> 8);
  v7[7] = counter & 0xff;
  v7[8] = ((v7[8] as number) & 0x3f) | 0x80;
  const h = v7.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
