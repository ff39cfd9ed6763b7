// Tenants: create, read, list, quota changes, suspend / resume, delete (suspend + keep) and purge.
// Every change commits with its audit record. Reads are cached briefly so the hot path
// (executeWithRetry, API requests) does not hit the store for every call.
import type { GroupCommitter } from "../audit/audit-log.js";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { ConflictError, TenantInactiveError, TenantNotFoundError, ValidationError } from "../core/errors.js";
import type { ValidationIssue } from "../core/errors.js";
import { DEFAULT_TENANT_ID, newTenantId } from "../core/ids.js";
import type { Store, TenantPatch, TenantRow } from "../store/store.js";
import type { ResourceQuota, Tenant, TenantTier } from "./tiers.js";
import { TENANT_TIERS, TIER_FEATURES, TIER_QUOTAS } from "./tiers.js";

export interface Actor {
  /** Who acts, recorded as the audit record's `user_id` (default `system`). */
  userId?: string;
}

const QUOTA_FIELDS: Array<keyof ResourceQuota> = ["maxConcurrentTasks", "maxMemoryMb", "maxCpuPercent", "maxTasksPerHour", "rateLimitPerSecond", "maxTokensPerDay"];

export class TenantService {
  #store: Store;
  #clock: Clock;
  #cacheTtlMs: number;
  #cache = new Map<string, { row: TenantRow; until: number }>();
  #committer: GroupCommitter;

  constructor(store: Store, clock: Clock, committer: GroupCommitter, options: { cacheTtlMs: number }) {
    this.#store = store;
    this.#clock = clock;
    this.#committer = committer;
    this.#cacheTtlMs = options.cacheTtlMs;
  }

  /** Creates the built-in `default` tenant (enterprise quotas) once; safe from several processes. */
  async ensureDefaultTenant(): Promise<void> {
    if (await this.#store.getTenant(DEFAULT_TENANT_ID)) return;
    await this.#insert(DEFAULT_TENANT_ID, "Default", "enterprise", { userId: "system" });
  }

  async create(name: string, tier: TenantTier, actor: Actor = {}): Promise<string> {
    const issues: ValidationIssue[] = [];
    if (typeof name !== "string" || name.trim() === "") issues.push({ path: "tenantName", message: "must be a non-empty string" });
    else if (name.length > 200) issues.push({ path: "tenantName", message: "must be at most 200 characters" });
    if (!TENANT_TIERS.includes(tier)) issues.push({ path: "tier", message: `must be one of ${TENANT_TIERS.join(", ")}` });
    if (issues.length) throw new ValidationError(issues);
    for (;;) {
      const id = newTenantId();
      if (await this.#insert(id, name.trim(), tier, actor)) return id;
    }
  }

  async #insert(id: string, name: string, tier: TenantTier, actor: Actor): Promise<boolean> {
    const now = this.#clock.now();
    const row: TenantRow = {
      tenantId: id,
      name,
      tier,
      status: "active",
      quota: { ...TIER_QUOTAS[tier] },
      features: [...TIER_FEATURES[tier]],
      createdAt: now,
      updatedAt: now,
      deletedAt: null,
    };
    const audit = makeAuditEntry(this.#clock, { tenantId: id, action: "create_tenant", status: "success", userId: actor.userId ?? "system", metadata: { tenant_name: name, tier } });
    const inserted = await this.#store.insertTenant(row, [audit]);
    if (inserted) this.#remember(row);
    return inserted;
  }

  /** The tenant, from the cache when fresh. Throws TenantNotFoundError. */
  async getRow(tenantId: string): Promise<TenantRow> {
    const cached = this.#cache.get(tenantId);
    if (cached && cached.until > this.#clock.now()) return cached.row;
    const row = typeof tenantId === "string" ? await this.#store.getTenant(tenantId) : undefined;
    if (!row) {
      this.#cache.delete(tenantId);
      throw new TenantNotFoundError(String(tenantId));
    }
    this.#remember(row);
    return row;
  }

  /** The tenant, which must be active (not suspended or deleted). */
  async getActiveRow(tenantId: string): Promise<TenantRow> {
    const row = await this.getRow(tenantId);
    if (row.status !== "active" || row.deletedAt !== null) throw new TenantInactiveError(tenantId, row.deletedAt !== null ? "deleted" : row.status);
    return row;
  }

  async get(tenantId: string): Promise<Tenant> {
    return toTenant(await this.getRow(tenantId));
  }

  async list(options: { includeDeleted?: boolean } = {}): Promise<Tenant[]> {
    return (await this.#store.listTenants(options)).map(toTenant);
  }

  count(): Promise<number> {
    return this.#store.countTenants();
  }

  async modifyQuota(tenantId: string, changes: Partial<ResourceQuota>, actor: Actor = {}): Promise<Tenant> {
    const issues = validateQuotaChanges(changes);
    if (issues.length) throw new ValidationError(issues);
    const row = await this.#update(tenantId, "modify_quota", actor, (before) => ({ quota: { ...before.quota, ...changes } }), (before, after) => ({ before: before.quota, after: after.quota }));
    return toTenant(row);
  }

  async suspend(tenantId: string, actor: Actor = {}): Promise<Tenant> {
    return toTenant(await this.#update(tenantId, "suspend_tenant", actor, () => ({ status: "suspended" })));
  }

  /** `beforeResume` runs first when the tenant is suspended (its triggers restart from now). */
  async resume(tenantId: string, actor: Actor = {}, beforeResume?: () => Promise<void>): Promise<Tenant> {
    const current = await this.#store.getTenant(tenantId);
    if (current?.deletedAt != null) throw new ConflictError(`Tenant ${tenantId} is deleted and cannot be resumed`, { tenantId });
    if (current?.status === "suspended") await beforeResume?.();
    return toTenant(await this.#update(tenantId, "resume_tenant", actor, () => ({ status: "active" })));
  }

  /** Deleting suspends the tenant and keeps its data until retention ends (SPEC D); purge removes it. */
  async delete(tenantId: string, actor: Actor = {}): Promise<Tenant> {
    if (tenantId === DEFAULT_TENANT_ID) throw new ConflictError("The default tenant cannot be deleted", { tenantId });
    return toTenant(await this.#update(tenantId, "delete_tenant", actor, () => ({ status: "suspended", deletedAt: this.#clock.now() })));
  }

  async purge(tenantId: string, actor: Actor = {}): Promise<void> {
    const row = await this.getRow(tenantId);
    if (row.deletedAt === null) throw new ConflictError(`Tenant ${tenantId} must be deleted before it is purged`, { tenantId });
    const audit = makeAuditEntry(this.#clock, { tenantId, action: "purge_tenant", status: "success", userId: actor.userId ?? "system" });
    if (!(await this.#store.purgeTenant(tenantId, [audit]))) throw new TenantNotFoundError(tenantId);
    this.#cache.delete(tenantId);
  }

  /** Records a refusal or other event that changes nothing but its own audit record. */
  recordOnly(tenantId: string, action: string, status: string, metadata: Record<string, unknown>, actor: Actor = {}, componentId?: string): Promise<void> {
    return this.#committer.submit(makeAuditEntry(this.#clock, { tenantId, action, status, metadata, userId: actor.userId ?? "system", componentId: componentId ?? null }));
  }

  async #update(
    tenantId: string,
    action: string,
    actor: Actor,
    change: (before: TenantRow) => Omit<TenantPatch, "updatedAt">,
    describe: (before: TenantRow, after: TenantRow) => Record<string, unknown> = (b, a) => ({ before: b.status, after: a.status }),
  ): Promise<TenantRow> {
    const row = await this.#store.updateTenant(tenantId, (before) => {
      const patch: TenantPatch = { ...change(before), updatedAt: this.#clock.now() };
      const metadata = describe(before, { ...before, ...patch });
      return { patch, audit: [makeAuditEntry(this.#clock, { tenantId, action, status: "success", userId: actor.userId ?? "system", metadata })] };
    });
    if (!row) throw new TenantNotFoundError(tenantId);
    this.#remember(row);
    return row;
  }

  #remember(row: TenantRow): void {
    this.#cache.set(row.tenantId, { row, until: this.#clock.now() + this.#cacheTtlMs });
  }
}

function validateQuotaChanges(changes: Partial<ResourceQuota>): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (typeof changes !== "object" || changes === null) return [{ path: "quota", message: "must be an object" }];
  for (const [key, value] of Object.entries(changes)) {
    const path = `quota.${key}`;
    if (!QUOTA_FIELDS.includes(key as keyof ResourceQuota)) {
      issues.push({ path, message: `is not a quota; known quotas: ${QUOTA_FIELDS.join(", ")}` });
    } else if (key === "maxTokensPerDay" && value === null) {
      continue;
    } else if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      issues.push({ path, message: `must be a non-negative integer, got ${JSON.stringify(value)}` });
    }
  }
  return issues;
}

export function toTenant(row: TenantRow): Tenant {
  return {
    tenantId: row.tenantId,
    tenantName: row.name,
    tier: row.tier,
    status: row.status,
    quota: { ...row.quota },
    featuresEnabled: [...row.features],
    createdAt: new Date(row.createdAt),
    updatedAt: new Date(row.updatedAt),
    deletedAt: row.deletedAt === null ? null : new Date(row.deletedAt),
  };
}
