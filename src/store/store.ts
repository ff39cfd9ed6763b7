// The storage contract, in domain verbs. Implementations: sqlite/ and postgres/ through one Kysely
// codebase (kysely-store.ts). No connection or transaction ever leaves the store: every verb that
// changes state also appends its audit records, in the same transaction (SPEC D "Audit timing").
import type { ResourceQuota, TenantStatus, TenantTier } from "../tenancy/tiers.js";
import type { AccessStore } from "./access-store.js";
import type { EngineStore } from "./engine-store.js";
import type { TriggerStore } from "./trigger-store.js";
import type { AuditChain, AuditEntry, AuditHeadRow, AuditRecordRow } from "./audit-types.js";

export type { AuditChain, AuditEntry, AuditHeadRow, AuditRecordRow, AuditSealer } from "./audit-types.js";

export type StoreDialect = "sqlite" | "postgres";

export interface TenantRow {
  tenantId: string;
  name: string;
  tier: TenantTier;
  status: TenantStatus;
  quota: ResourceQuota;
  features: string[];
  createdAt: number;
  updatedAt: number;
  deletedAt: number | null;
}

export interface TenantPatch {
  name?: string;
  tier?: TenantTier;
  status?: TenantStatus;
  quota?: ResourceQuota;
  features?: string[];
  deletedAt?: number | null;
  updatedAt: number;
}

export interface AuditQuery {
  tenantId?: string;
  since?: number;
  until?: number;
  action?: string;
  status?: string;
  componentId?: string;
  limit?: number;
}

/** Counters one batch adds to a tenant's execution statistics. */
export interface ExecutionStatsDelta {
  tenantId: string;
  total: number;
  successful: number;
  failed: number;
  timeouts: number;
  retries: number;
  durationMs: number;
}

export interface ExecutionStatsRow extends Omit<ExecutionStatsDelta, "tenantId"> {
  tenantId: string | null;
}

export interface TokenUsageRow {
  tenantId: string;
  day: string;
  inputTokens: number;
  outputTokens: number;
}

export interface RetentionCutoffs {
  /** Records of this chain older than the cutoff (epoch ms) are purged. */
  standard: number;
  sensitive: number;
}

export interface Store {
  readonly dialect: StoreDialect;
  /** Workflows, executions and the task queue (engine-store.ts). */
  readonly engine: EngineStore;
  /** Triggers, their fires and diagnosis strategies (trigger-store.ts). */
  readonly triggers: TriggerStore;
  /** API keys, per-tenant documents, platform counts (access-store.ts). */
  readonly access: AccessStore;
  close(): Promise<void>;
  /** Cheap liveness check for /health. */
  ping(): Promise<void>;

  /** Inserts the tenant with its audit records; false (and nothing written) when the id exists. */
  insertTenant(tenant: TenantRow, audit: AuditEntry[]): Promise<boolean>;
  getTenant(tenantId: string): Promise<TenantRow | undefined>;
  listTenants(options?: { includeDeleted?: boolean }): Promise<TenantRow[]>;
  countTenants(options?: { includeDeleted?: boolean }): Promise<number>;
  /**
   * Reads the tenant under a row lock, applies the patch `change` computes from it, and appends
   * the audit records it returns, in one transaction; undefined (nothing written) when not found.
   */
  updateTenant(tenantId: string, change: (before: TenantRow) => { patch: TenantPatch; audit: AuditEntry[] }): Promise<TenantRow | undefined>;
  /** Removes the tenant row and its statistics (audit records stay until retention ends). */
  purgeTenant(tenantId: string, audit: AuditEntry[]): Promise<boolean>;

  /** One commit for many audit records and statistics deltas (group commit). */
  commitBatch(batch: { audit: AuditEntry[]; stats: ExecutionStatsDelta[] }): Promise<void>;
  queryAudit(query: AuditQuery): Promise<AuditRecordRow[]>;
  /** A page of one chain in seq order, starting after `afterSeq`. */
  readAuditChain(tenantId: string, chain: AuditChain, afterSeq: number, limit: number): Promise<AuditRecordRow[]>;
  listAuditHeads(tenantId?: string): Promise<AuditHeadRow[]>;
  /** The chains that have records, with their lowest and highest seq (to find chains without a head). */
  listAuditChains(tenantId?: string): Promise<Array<{ tenantId: string; chain: AuditChain; minSeq: number; maxSeq: number; count: number }>>;
  /** Deletes each chain's prefix older than its cutoff and moves the chain's anchor; returns records removed. */
  purgeAudit(cutoffs: RetentionCutoffs): Promise<number>;

  /** Statistics of one tenant, or summed over all tenants when `tenantId` is omitted. */
  getExecutionStats(tenantId?: string): Promise<ExecutionStatsRow>;

  /** Stores (or replaces) an encrypted secret with its audit record; true when it was new. */
  putSecret(tenantId: string, name: string, ciphertext: string, now: number, audit: AuditEntry[]): Promise<boolean>;
  /** The ciphertext of a tenant's secret, or undefined. */
  getSecret(tenantId: string, name: string): Promise<string | undefined>;
  /** Names and times only: values never leave the store in clear. */
  listSecrets(tenantId: string): Promise<Array<{ name: string; createdAt: number; updatedAt: number }>>;
  deleteSecret(tenantId: string, name: string, audit: AuditEntry[]): Promise<boolean>;

  /** Adds tokens to the tenant's day and returns the day's totals after the addition. */
  addTokenUsage(tenantId: string, day: string, inputTokens: number, outputTokens: number): Promise<TokenUsageRow>;
  getTokenUsage(tenantId: string, day: string): Promise<TokenUsageRow>;
}
