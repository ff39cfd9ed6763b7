// The tamper-evident chain: each record's hash covers its fields and the previous record's hash;
// each chain's head (newest seq and hash) and its retention anchor are signed with an HMAC key kept
// outside the database. Editing a record breaks its hash, deleting the newest ones leaves the head
// pointing past the end, and rewriting the whole chain cannot forge the head's signature.
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { AuditChain, AuditEntry, AuditHeadRow, AuditRecordRow, AuditSealer } from "../store/store.js";

export const GENESIS = "0".repeat(64);
const FORMAT = 1;

/** The hash of one record: its fields in a fixed order, as stored (metadata as its JSON text). */
export function recordHash(r: Omit<AuditRecordRow, "hash">): string {
  const canonical = JSON.stringify([
    FORMAT,
    r.tenantId,
    r.chain,
    r.seq,
    r.auditId,
    r.timestamp,
    r.action,
    r.componentId,
    r.userId,
    r.status,
    r.metadataJson,
    r.prevHash,
  ]);
  return createHash("sha256").update(canonical).digest("hex");
}

export function signHead(key: Buffer, tenantId: string, chain: AuditChain, seq: number, hash: string): string {
  return createHmac("sha256", key).update(`head|${tenantId}|${chain}|${seq}|${hash}`).digest("hex");
}

export function signAnchor(key: Buffer, tenantId: string, chain: AuditChain, seq: number, hash: string): string {
  return createHmac("sha256", key).update(`anchor|${tenantId}|${chain}|${seq}|${hash}`).digest("hex");
}

export function signatureMatches(expected: string, actual: string): boolean {
  const a = Buffer.from(expected, "hex");
  const b = Buffer.from(actual, "hex");
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function createAuditSealer(key: Buffer): AuditSealer {
  return {
    seal(head: AuditHeadRow | undefined, tenantId: string, chain: AuditChain, entries: AuditEntry[]) {
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS;
      // Built field by field: object rest/spread here cost several times the hashing itself.
      const records: AuditRecordRow[] = entries.map((entry) => {
        seq += 1;
        const record: AuditRecordRow = {
          auditId: entry.auditId,
          tenantId,
          chain,
          seq,
          timestamp: entry.timestamp,
          action: entry.action,
          componentId: entry.componentId,
          userId: entry.userId,
          status: entry.status,
          metadataJson: JSON.stringify(entry.metadata),
          prevHash,
          hash: "",
        };
        record.hash = recordHash(record);
        prevHash = record.hash;
        return record;
      });
      return {
        records,
        head: {
          tenantId,
          chain,
          seq,
          hash: prevHash,
          signature: signHead(key, tenantId, chain, seq, prevHash),
          anchorSeq: head?.anchorSeq ?? 0,
          anchorHash: head?.anchorHash ?? GENESIS,
          anchorSignature: head?.anchorSignature ?? "",
        },
      };
    },
    anchor(head: AuditHeadRow, lastPurged: AuditRecordRow): AuditHeadRow {
      return {
        ...head,
        anchorSeq: lastPurged.seq,
        anchorHash: lastPurged.hash,
        anchorSignature: signAnchor(key, head.tenantId, head.chain, lastPurged.seq, lastPurged.hash),
      };
    },
  };
}
