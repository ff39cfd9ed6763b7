// The audit record types every store verb shares: entries before sealing, sealed records, chain
// heads and the sealer (pure; audit/audit-chain.ts implements it). Kept apart so that both store
// contracts can use them without importing each other.

export type AuditChain = "standard" | "sensitive";

/** An audit record before it is sealed into its chain. */
export interface AuditEntry {
  auditId: string;
  tenantId: string;
  timestamp: number;
  action: string;
  componentId: string | null;
  userId: string | null;
  status: string;
  metadata: Record<string, unknown>;
  chain: AuditChain;
}

/** A stored audit record: the entry, its place in the chain and its hashes. */
export interface AuditRecordRow extends Omit<AuditEntry, "metadata"> {
  seq: number;
  metadataJson: string;
  prevHash: string;
  hash: string;
}

/** The signed newest link of one chain, and the signed anchor left by retention purges. */
export interface AuditHeadRow {
  tenantId: string;
  chain: AuditChain;
  seq: number;
  hash: string;
  signature: string;
  anchorSeq: number;
  anchorHash: string;
  anchorSignature: string;
}

/**
 * Seals entries into a chain. The store calls it inside the write transaction with the chain's
 * locked head, so chains stay linear across processes and nodes. Pure: see audit/audit-chain.ts.
 */
export interface AuditSealer {
  seal(head: AuditHeadRow | undefined, tenantId: string, chain: AuditChain, entries: AuditEntry[]): { records: AuditRecordRow[]; head: AuditHeadRow };
  anchor(head: AuditHeadRow, lastPurged: AuditRecordRow): AuditHeadRow;
}

