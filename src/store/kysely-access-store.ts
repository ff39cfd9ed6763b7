// The AccessStore contract on Kysely for both dialects: API keys, per-tenant documents and the
// platform counts behind /health. Changes commit with their audit records.
import type { Kysely } from "kysely";
import { appendAudit } from "./audit-append.js";
import type { AccessStore, ApiKeyRow, TenantDocumentKind, TenantDocumentRow } from "./access-store.js";
import type { AuditEntry, AuditSealer } from "./audit-types.js";
import type { DialectAdapter } from "./dialect-adapter.js";
import type { ApiKeysTable, Database, TenantDocumentsTable } from "./schema.js";

export class KyselyAccessStore implements AccessStore {
  #adapter: DialectAdapter;
  #db: Kysely<Database>;
  #sealer: AuditSealer;

  constructor(adapter: DialectAdapter, sealer: AuditSealer) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.#sealer = sealer;
  }

  // --- API keys ----------------------------------------------------------------------------

  insertApiKey(key: ApiKeyRow, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const inserted = await trx.insertInto("api_keys").values(keyToRow(key)).onConflict((oc) => oc.column("prefix").doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return true;
    });
  }

  async findApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined> {
    const row = await this.#db.selectFrom("api_keys").selectAll().where("prefix", "=", prefix).executeTakeFirst();
    return row ? rowToKey(row) : undefined;
  }

  async listApiKeys(tenantId: string | null): Promise<ApiKeyRow[]> {
    let q = this.#db.selectFrom("api_keys").selectAll();
    q = tenantId === null ? q.where("tenant_id", "is", null) : q.where("tenant_id", "=", tenantId);
    const rows = await q.orderBy("created_at", "desc").orderBy("key_id").execute();
    return rows.map(rowToKey);
  }

  revokeApiKey(tenantId: string | null, keyId: string, now: number, audit: AuditEntry[]): Promise<ApiKeyRow | undefined> {
    return this.#adapter.write(async (trx) => {
      let q = trx.selectFrom("api_keys").selectAll().where("key_id", "=", keyId);
      q = tenantId === null ? q.where("tenant_id", "is", null) : q.where("tenant_id", "=", tenantId);
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      if (row.revoked_at !== null) return rowToKey(row);
      await trx.updateTable("api_keys").set({ revoked_at: now }).where("key_id", "=", keyId).execute();
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return rowToKey({ ...row, revoked_at: now });
    });
  }

  revokeTenantApiKeys(tenantId: string, now: number, audit: AuditEntry[]): Promise<number> {
    return this.#adapter.write(async (trx) => {
      const result = await trx.updateTable("api_keys").set({ revoked_at: now }).where("tenant_id", "=", tenantId).where("revoked_at", "is", null).executeTakeFirst();
      const count = Number(result.numUpdatedRows);
      if (count > 0) await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return count;
    });
  }

  // --- per-tenant documents ----------------------------------------------------------------

  putDocument(doc: Omit<TenantDocumentRow, "createdAt" | "updatedAt">, now: number, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const body = JSON.stringify(doc.body);
      const existing = await trx.selectFrom("tenant_documents").select("name").where("tenant_id", "=", doc.tenantId).where("kind", "=", doc.kind).where("name", "=", doc.name).executeTakeFirst();
      if (existing) {
        await trx.updateTable("tenant_documents").set({ body, updated_at: now }).where("tenant_id", "=", doc.tenantId).where("kind", "=", doc.kind).where("name", "=", doc.name).execute();
      } else {
        await trx.insertInto("tenant_documents").values({ tenant_id: doc.tenantId, kind: doc.kind, name: doc.name, body, created_at: now, updated_at: now }).execute();
      }
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return !existing;
    });
  }

  async getDocument(tenantId: string, kind: TenantDocumentKind, name: string): Promise<TenantDocumentRow | undefined> {
    const row = await this.#db.selectFrom("tenant_documents").selectAll().where("tenant_id", "=", tenantId).where("kind", "=", kind).where("name", "=", name).executeTakeFirst();
    return row ? rowToDocument(row) : undefined;
  }

  async listDocuments(tenantId: string, kind: TenantDocumentKind): Promise<TenantDocumentRow[]> {
    const rows = await this.#db.selectFrom("tenant_documents").selectAll().where("tenant_id", "=", tenantId).where("kind", "=", kind).orderBy("name").execute();
    return rows.map(rowToDocument);
  }

  deleteDocument(tenantId: string, kind: TenantDocumentKind, name: string, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const deleted = await trx.deleteFrom("tenant_documents").where("tenant_id", "=", tenantId).where("kind", "=", kind).where("name", "=", name).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return true;
    });
  }

  // --- queue and counts --------------------------------------------------------------------

  async platformCounts() {
    const workflows = await this.#db
      .selectFrom("workflows")
      .select((eb) => [eb.fn.countAll().as("total"), eb.fn.sum<number>(eb.case().when("status", "=", "active").then(1).else(0).end()).as("active")])
      .where("status", "!=", "archived")
      .executeTakeFirstOrThrow();
    const executions = await this.#db.selectFrom("executions").select((eb) => ["status", eb.fn.countAll().as("n")]).where("status", "in", ["pending", "running", "paused"]).groupBy("status").execute();
    const by = (status: string) => Number(executions.find((r) => r.status === status)?.n ?? 0);
    return { workflows: Number(workflows.total), activeWorkflows: Number(workflows.active ?? 0), pending: by("pending"), running: by("running"), paused: by("paused") };
  }
}

function keyToRow(k: ApiKeyRow): ApiKeysTable {
  return { key_id: k.keyId, tenant_id: k.tenantId, prefix: k.prefix, hash: k.hash, name: k.name, role: k.role, created_at: k.createdAt, expires_at: k.expiresAt, revoked_at: k.revokedAt, created_by: k.createdBy };
}

function rowToKey(r: ApiKeysTable): ApiKeyRow {
  return {
    keyId: r.key_id,
    tenantId: r.tenant_id,
    prefix: r.prefix,
    hash: r.hash,
    name: r.name,
    role: r.role,
    createdAt: Number(r.created_at),
    expiresAt: r.expires_at === null ? null : Number(r.expires_at),
    revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
    createdBy: r.created_by,
  };
}

function rowToDocument(r: TenantDocumentsTable): TenantDocumentRow {
  return { tenantId: r.tenant_id, kind: r.kind as TenantDocumentKind, name: r.name, body: JSON.parse(r.body) as unknown, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
}
