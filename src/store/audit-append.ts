// Appending audit records inside a write transaction, shared by every store verb that audits:
// lock the chain's head (created as the genesis placeholder when missing), seal, insert, save.
import type { Kysely } from "kysely";
import type { DialectAdapter } from "./dialect-adapter.js";
import type { AuditLogTable, Database } from "./schema.js";
import type { AuditChain, AuditEntry, AuditHeadRow, AuditRecordRow, AuditSealer } from "./audit-types.js";

export const GENESIS_HASH = "0".repeat(64);

export async function appendAudit(trx: Kysely<Database>, adapter: DialectAdapter, sealer: AuditSealer, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const groups = new Map<string, AuditEntry[]>();
  for (const entry of entries) {
    const key = `${entry.tenantId}\u0000${entry.chain}`;
    const group = groups.get(key);
    if (group) group.push(entry);
    else groups.set(key, [entry]);
  }
  for (const group of groups.values()) {
    const { tenantId, chain } = group[0] as AuditEntry;
    const head = await lockAuditHead(trx, tenantId, chain);
    const sealed = sealer.seal(head, tenantId, chain, group);
    await adapter.insertAuditRows(trx, sealed.records.map(auditToRow));
    await saveAuditHead(trx, sealed.head);
  }
}

/** The chain's head, created as the genesis placeholder when missing, locked for this transaction. */
export async function lockAuditHead(trx: Kysely<Database>, tenantId: string, chain: AuditChain): Promise<AuditHeadRow> {
  // One statement: an existing head is "updated" to itself, which locks its row on PostgreSQL
  // (as FOR UPDATE would) and returns it; a missing one is inserted as the genesis placeholder.
  const row = await trx
    .insertInto("audit_heads")
    .values({ tenant_id: tenantId, chain, seq: 0, hash: GENESIS_HASH, signature: "", anchor_seq: 0, anchor_hash: GENESIS_HASH, anchor_signature: "" })
    .onConflict((oc) => oc.columns(["tenant_id", "chain"]).doUpdateSet((eb) => ({ seq: eb.ref("audit_heads.seq") })))
    .returningAll()
    .executeTakeFirstOrThrow();
  return rowToHead(row);
}

export async function saveAuditHead(trx: Kysely<Database>, head: AuditHeadRow): Promise<void> {
  await trx
    .updateTable("audit_heads")
    .set({ seq: head.seq, hash: head.hash, signature: head.signature, anchor_seq: head.anchorSeq, anchor_hash: head.anchorHash, anchor_signature: head.anchorSignature })
    .where("tenant_id", "=", head.tenantId)
    .where("chain", "=", head.chain)
    .execute();
}

export function auditToRow(r: AuditRecordRow): AuditLogTable {
  return {
    audit_id: r.auditId,
    tenant_id: r.tenantId,
    chain: r.chain,
    seq: r.seq,
    timestamp: r.timestamp,
    action: r.action,
    component_id: r.componentId,
    user_id: r.userId,
    status: r.status,
    metadata: r.metadataJson,
    prev_hash: r.prevHash,
    hash: r.hash,
  };
}

export function rowToAudit(r: AuditLogTable): AuditRecordRow {
  return {
    auditId: r.audit_id,
    tenantId: r.tenant_id,
    chain: r.chain as AuditChain,
    seq: Number(r.seq),
    timestamp: Number(r.timestamp),
    action: r.action,
    componentId: r.component_id,
    userId: r.user_id,
    status: r.status,
    metadataJson: r.metadata,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function rowToHead(r: Database["audit_heads"]): AuditHeadRow {
  return {
    tenantId: r.tenant_id,
    chain: r.chain as AuditChain,
    seq: Number(r.seq),
    hash: r.hash,
    signature: r.signature,
    anchorSeq: Number(r.anchor_seq),
    anchorHash: r.anchor_hash,
    anchorSignature: r.anchor_signature,
  };
}
