// The scheduling limits of tenants (tier weight and quota), read from the tenants table and kept
// for a second: admission runs on every claim and every commit that leases, and quotas change
// rarely, so a changed quota bounds new leases within a second on every node.
import type { Kysely } from "kysely";
import type { TenantLimits } from "../scheduling/admission.js";
import { tierWeight } from "../scheduling/tier-weights.js";
import type { ResourceQuota } from "../tenancy/tiers.js";
import type { Database } from "./schema.js";

const UNBOUNDED: TenantLimits = Object.freeze({ weight: 1, quota: undefined });

export class TenantLimitsCache {
  #entries = new Map<string, { limits: TenantLimits; at: number }>();
  #ttlMs: number;

  constructor(ttlMs = 1000) {
    this.#ttlMs = ttlMs;
  }

  /** Limits of these tenants (a tenant without a row is unbounded, weight 1). */
  async load(trx: Kysely<Database>, tenantIds: Iterable<string>): Promise<Map<string, TenantLimits>> {
    // Real time, not the injected clock: this is a cache, not state.
    const now = performance.now();
    const out = new Map<string, TenantLimits>();
    const missing: string[] = [];
    for (const id of tenantIds) {
      const entry = this.#entries.get(id);
      if (entry && now - entry.at < this.#ttlMs) out.set(id, entry.limits);
      else missing.push(id);
    }
    if (missing.length === 0) return out;
    const rows = await trx.selectFrom("tenants").select(["tenant_id", "tier", "quota"]).where("tenant_id", "in", missing).execute();
    const found = new Map(rows.map((r) => [r.tenant_id, r]));
    for (const id of missing) {
      const row = found.get(id);
      let limits = UNBOUNDED;
      if (row) {
        const q = JSON.parse(row.quota) as ResourceQuota;
        limits = { weight: tierWeight(row.tier), quota: { maxConcurrentTasks: q.maxConcurrentTasks, maxMemoryMb: q.maxMemoryMb, maxCpuPercent: q.maxCpuPercent } };
      }
      this.#entries.set(id, { limits, at: now });
      out.set(id, limits);
    }
    return out;
  }

  /** Forgets what was read (a quota or tier changed through this process). */
  clear(): void {
    this.#entries.clear();
  }
}
