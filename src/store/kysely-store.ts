// The Store contract on Kysely, shared by SQLite and PostgreSQL; dialect differences stay in the adapter.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import { SynergyMeshError } from "../core/errors.js";
import type { ResourceQuota, TenantStatus, TenantTier } from "../tenancy/tiers.js";
import { appendAudit, lockAuditHead, rowToAudit, rowToHead, saveAuditHead } from "./audit-append.js";
import type { DialectAdapter } from "./dialect-adapter.js";
import type { AccessStore } from "./access-store.js";
import type { EngineStore } from "./engine-store.js";
import { KyselyAccessStore } from "./kysely-access-store.js";
import { KyselyEngineStore } from "./kysely-engine-store.js";
import { KyselyTriggerStore } from "./kysely-trigger-store.js";
import type { TriggerStore } from "./trigger-store.js";
import type { Database, TenantsTable } from "./schema.js";
import type {
  AuditChain,
  AuditEntry,
  AuditHeadRow,
  AuditQuery,
  AuditRecordRow,
  AuditSealer,
  ExecutionStatsDelta,
  ExecutionStatsRow,
  RetentionCutoffs,
  Store,
  StoreDialect,
  TenantPatch,
  TenantRow,
  TokenUsageRow,
} from "./store.js";


export class KyselyStore implements Store {
  readonly dialect: StoreDialect;
  readonly engine: EngineStore;
  readonly triggers: TriggerStore;
  readonly access: AccessStore;
  #adapter: DialectAdapter;
  #db: Kysely<Database>;
  #sealer: AuditSealer;
  #closed = false;

  constructor(adapter: DialectAdapter, sealer: AuditSealer) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.dialect = adapter.dialect;
    this.#sealer = sealer;
    const engine = new KyselyEngineStore(adapter, sealer);
    this.engine = engine;
    this.triggers = new KyselyTriggerStore(adapter, sealer, engine);
    this.access = new KyselyAccessStore(adapter, sealer);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#adapter.destroy();
  }

  async ping(): Promise<void> {
    this.#assertOpen();
    await sql`SELECT 1`.execute(this.#db);
  }

  // --- tenants -----------------------------------------------------------------------------

  async insertTenant(tenant: TenantRow, audit: AuditEntry[]): Promise<boolean> {
    return this.#write(async (trx) => {
      const inserted = await trx
        .insertInto("tenants")
        .values(tenantToRow(tenant))
        .onConflict((oc) => oc.column("tenant_id").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await this.#appendAudit(trx, audit);
      return true;
    });
  }

  async getTenant(tenantId: string): Promise<TenantRow | undefined> {
    this.#assertOpen();
    const row = await this.#db.selectFrom("tenants").selectAll().where("tenant_id", "=", tenantId).executeTakeFirst();
    return row ? rowToTenant(row) : undefined;
  }

  async listTenants(options: { includeDeleted?: boolean } = {}): Promise<TenantRow[]> {
    this.#assertOpen();
    let query = this.#db.selectFrom("tenants").selectAll().orderBy("created_at").orderBy("tenant_id");
    if (!options.includeDeleted) query = query.where("deleted_at", "is", null);
    return (await query.execute()).map(rowToTenant);
  }

  async countTenants(options: { includeDeleted?: boolean } = {}): Promise<number> {
    this.#assertOpen();
    let query = this.#db.selectFrom("tenants").select((eb) => eb.fn.countAll().as("n"));
    if (!options.includeDeleted) query = query.where("deleted_at", "is", null);
    const row = await query.executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async updateTenant(tenantId: string, change: (before: TenantRow) => { patch: TenantPatch; audit: AuditEntry[] }): Promise<TenantRow | undefined> {
    return this.#write(async (trx) => {
      let select = trx.selectFrom("tenants").selectAll().where("tenant_id", "=", tenantId);
      if (this.#adapter.lockRows) select = select.forUpdate();
      const row = await select.executeTakeFirst();
      if (!row) return undefined;
      const before = rowToTenant(row);
      const { patch, audit } = change(before);
      const after: TenantRow = { ...before, ...patch };
      const values = tenantToRow(after);
      await trx
        .updateTable("tenants")
        .set({ name: values.name, tier: values.tier, status: values.status, quota: values.quota, features: values.features, updated_at: values.updated_at, deleted_at: values.deleted_at })
        .where("tenant_id", "=", tenantId)
        .execute();
      await this.#appendAudit(trx, audit);
      return after;
    });
  }

  async purgeTenant(tenantId: string, audit: AuditEntry[]): Promise<boolean> {
    return this.#write(async (trx) => {
      const deleted = await trx.deleteFrom("tenants").where("tenant_id", "=", tenantId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await trx.deleteFrom("tenant_stats").where("tenant_id", "=", tenantId).execute();
      await trx.deleteFrom("token_usage").where("tenant_id", "=", tenantId).execute();
      await this.#appendAudit(trx, audit);
      return true;
    });
  }

  // --- audit and statistics ----------------------------------------------------------------

  async commitBatch(batch: { audit: AuditEntry[]; stats: ExecutionStatsDelta[] }): Promise<void> {
    if (batch.audit.length === 0 && batch.stats.length === 0) return;
    await this.#write(async (trx) => {
      await this.#appendAudit(trx, batch.audit);
      for (const delta of batch.stats) {
        await trx
          .insertInto("tenant_stats")
          .values({
            tenant_id: delta.tenantId,
            total: delta.total,
            successful: delta.successful,
            failed: delta.failed,
            timeouts: delta.timeouts,
            retries: delta.retries,
            duration_ms: Math.round(delta.durationMs),
          })
          .onConflict((oc) =>
            oc.column("tenant_id").doUpdateSet((eb) => ({
              total: eb("tenant_stats.total", "+", eb.ref("excluded.total")),
              successful: eb("tenant_stats.successful", "+", eb.ref("excluded.successful")),
              failed: eb("tenant_stats.failed", "+", eb.ref("excluded.failed")),
              timeouts: eb("tenant_stats.timeouts", "+", eb.ref("excluded.timeouts")),
              retries: eb("tenant_stats.retries", "+", eb.ref("excluded.retries")),
              duration_ms: eb("tenant_stats.duration_ms", "+", eb.ref("excluded.duration_ms")),
            })),
          )
          .execute();
      }
    });
  }

  async queryAudit(query: AuditQuery): Promise<AuditRecordRow[]> {
    this.#assertOpen();
    let q = this.#db.selectFrom("audit_log").selectAll();
    if (query.tenantId !== undefined) q = q.where("tenant_id", "=", query.tenantId);
    if (query.since !== undefined) q = q.where("timestamp", ">=", query.since);
    if (query.until !== undefined) q = q.where("timestamp", "<", query.until);
    if (query.action !== undefined) q = q.where("action", "=", query.action);
    if (query.status !== undefined) q = q.where("status", "=", query.status);
    if (query.componentId !== undefined) q = q.where("component_id", "=", query.componentId);
    const rows = await q
      .orderBy("timestamp", "desc")
      .orderBy("seq", "desc")
      .limit(query.limit ?? 10_000)
      .execute();
    return rows.map(rowToAudit);
  }

  async readAuditChain(tenantId: string, chain: AuditChain, afterSeq: number, limit: number): Promise<AuditRecordRow[]> {
    this.#assertOpen();
    const rows = await this.#db
      .selectFrom("audit_log")
      .selectAll()
      .where("tenant_id", "=", tenantId)
      .where("chain", "=", chain)
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(limit)
      .execute();
    return rows.map(rowToAudit);
  }

  async listAuditHeads(tenantId?: string): Promise<AuditHeadRow[]> {
    this.#assertOpen();
    let q = this.#db.selectFrom("audit_heads").selectAll().orderBy("tenant_id").orderBy("chain");
    if (tenantId !== undefined) q = q.where("tenant_id", "=", tenantId);
    return (await q.execute()).map(rowToHead);
  }

  async listAuditChains(tenantId?: string) {
    this.#assertOpen();
    let q = this.#db
      .selectFrom("audit_log")
      .select((eb) => ["tenant_id", "chain", eb.fn.min("seq").as("min_seq"), eb.fn.max("seq").as("max_seq"), eb.fn.countAll().as("n")])
      .groupBy(["tenant_id", "chain"]);
    if (tenantId !== undefined) q = q.where("tenant_id", "=", tenantId);
    const rows = await q.execute();
    return rows.map((r) => ({ tenantId: r.tenant_id, chain: r.chain as AuditChain, minSeq: Number(r.min_seq), maxSeq: Number(r.max_seq), count: Number(r.n) }));
  }

  async purgeAudit(cutoffs: RetentionCutoffs): Promise<number> {
    let removed = 0;
    for (const { tenantId, chain } of await this.listAuditHeads()) {
      // One short transaction per chain: purging a large log never holds the writer lock for long.
      removed += await this.#write(async (trx) => {
        const head = await this.#lockHead(trx, tenantId, chain);
        const cutoff = cutoffs[chain];
        // Only a prefix is purged: the first record at or after the cutoff, and everything after
        // it, stays, so the chain stays verifiable from the new anchor.
        const firstKept = await trx
          .selectFrom("audit_log")
          .select("seq")
          .where("tenant_id", "=", tenantId)
          .where("chain", "=", chain)
          .where("timestamp", ">=", cutoff)
          .orderBy("seq")
          .limit(1)
          .executeTakeFirst();
        const keepFrom = firstKept ? Number(firstKept.seq) : head.seq + 1;
        if (keepFrom - 1 <= head.anchorSeq) return 0;
        const lastPurged = await trx
          .selectFrom("audit_log")
          .selectAll()
          .where("tenant_id", "=", tenantId)
          .where("chain", "=", chain)
          .where("seq", "=", keepFrom - 1)
          .executeTakeFirst();
        if (!lastPurged) return 0;
        const deleted = await trx
          .deleteFrom("audit_log")
          .where("tenant_id", "=", tenantId)
          .where("chain", "=", chain)
          .where("seq", "<", keepFrom)
          .executeTakeFirst();
        const anchored = this.#sealer.anchor(head, rowToAudit(lastPurged));
        await this.#saveHead(trx, anchored);
        return Number(deleted.numDeletedRows);
      });
    }
    return removed;
  }

  async getExecutionStats(tenantId?: string): Promise<ExecutionStatsRow> {
    this.#assertOpen();
    let q = this.#db
      .selectFrom("tenant_stats")
      .select((eb) => [
        eb.fn.sum<number>("total").as("total"),
        eb.fn.sum<number>("successful").as("successful"),
        eb.fn.sum<number>("failed").as("failed"),
        eb.fn.sum<number>("timeouts").as("timeouts"),
        eb.fn.sum<number>("retries").as("retries"),
        eb.fn.sum<number>("duration_ms").as("duration_ms"),
      ]);
    if (tenantId !== undefined) q = q.where("tenant_id", "=", tenantId);
    const row = await q.executeTakeFirst();
    return {
      tenantId: tenantId ?? null,
      total: Number(row?.total ?? 0),
      successful: Number(row?.successful ?? 0),
      failed: Number(row?.failed ?? 0),
      timeouts: Number(row?.timeouts ?? 0),
      retries: Number(row?.retries ?? 0),
      durationMs: Number(row?.duration_ms ?? 0),
    };
  }

  // --- secrets -----------------------------------------------------------------------------

  async putSecret(tenantId: string, name: string, ciphertext: string, now: number, audit: AuditEntry[]): Promise<boolean> {
    return this.#write(async (trx) => {
      const existing = await trx.selectFrom("secrets").select("name").where("tenant_id", "=", tenantId).where("name", "=", name).executeTakeFirst();
      if (existing) await trx.updateTable("secrets").set({ ciphertext, updated_at: now }).where("tenant_id", "=", tenantId).where("name", "=", name).execute();
      else await trx.insertInto("secrets").values({ tenant_id: tenantId, name, ciphertext, created_at: now, updated_at: now }).execute();
      await this.#appendAudit(trx, audit);
      return !existing;
    });
  }

  async getSecret(tenantId: string, name: string): Promise<string | undefined> {
    this.#assertOpen();
    const row = await this.#db.selectFrom("secrets").select("ciphertext").where("tenant_id", "=", tenantId).where("name", "=", name).executeTakeFirst();
    return row?.ciphertext;
  }

  async listSecrets(tenantId: string) {
    this.#assertOpen();
    const rows = await this.#db.selectFrom("secrets").select(["name", "created_at", "updated_at"]).where("tenant_id", "=", tenantId).orderBy("name").execute();
    return rows.map((r) => ({ name: r.name, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) }));
  }

  async deleteSecret(tenantId: string, name: string, audit: AuditEntry[]): Promise<boolean> {
    return this.#write(async (trx) => {
      const deleted = await trx.deleteFrom("secrets").where("tenant_id", "=", tenantId).where("name", "=", name).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await this.#appendAudit(trx, audit);
      return true;
    });
  }

  // --- token usage -------------------------------------------------------------------------

  async addTokenUsage(tenantId: string, day: string, inputTokens: number, outputTokens: number): Promise<TokenUsageRow> {
    return this.#write(async (trx) => {
      await trx
        .insertInto("token_usage")
        .values({ tenant_id: tenantId, day, input_tokens: inputTokens, output_tokens: outputTokens })
        .onConflict((oc) =>
          oc.columns(["tenant_id", "day"]).doUpdateSet((eb) => ({
            input_tokens: eb("token_usage.input_tokens", "+", eb.ref("excluded.input_tokens")),
            output_tokens: eb("token_usage.output_tokens", "+", eb.ref("excluded.output_tokens")),
          })),
        )
        .execute();
      return readTokenUsage(trx, tenantId, day);
    });
  }

  async getTokenUsage(tenantId: string, day: string): Promise<TokenUsageRow> {
    this.#assertOpen();
    return readTokenUsage(this.#db, tenantId, day);
  }

  // --- internals ---------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new SynergyMeshError("STORE_UNAVAILABLE", "The store is closed");
  }

  #write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#adapter.write(fn);
  }

  #appendAudit(trx: Kysely<Database>, entries: AuditEntry[]): Promise<void> {
    return appendAudit(trx, this.#adapter, this.#sealer, entries);
  }

  #lockHead(trx: Kysely<Database>, tenantId: string, chain: AuditChain): Promise<AuditHeadRow> {
    return lockAuditHead(trx, tenantId, chain);
  }

  #saveHead(trx: Kysely<Database>, head: AuditHeadRow): Promise<void> {
    return saveAuditHead(trx, head);
  }
}

async function readTokenUsage(db: Kysely<Database>, tenantId: string, day: string): Promise<TokenUsageRow> {
  const row = await db.selectFrom("token_usage").selectAll().where("tenant_id", "=", tenantId).where("day", "=", day).executeTakeFirst();
  return { tenantId, day, inputTokens: Number(row?.input_tokens ?? 0), outputTokens: Number(row?.output_tokens ?? 0) };
}

function tenantToRow(t: TenantRow): TenantsTable {
  return {
    tenant_id: t.tenantId,
    name: t.name,
    tier: t.tier,
    status: t.status,
    quota: JSON.stringify(t.quota),
    features: JSON.stringify(t.features),
    created_at: t.createdAt,
    updated_at: t.updatedAt,
    deleted_at: t.deletedAt,
  };
}

function rowToTenant(r: TenantsTable): TenantRow {
  return {
    tenantId: r.tenant_id,
    name: r.name,
    tier: r.tier as TenantTier,
    status: r.status as TenantStatus,
    quota: JSON.parse(r.quota) as ResourceQuota,
    features: JSON.parse(r.features) as string[],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    deletedAt: r.deleted_at === null ? null : Number(r.deleted_at),
  };
}



