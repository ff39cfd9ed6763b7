// Recomputes every chain from its records and checks it against the signed head and anchor.
// Reports the first broken record of each chain, so an operator can see where tampering starts.
import type { AuditChain, AuditHeadRow, Store } from "../store/store.js";
import { GENESIS, recordHash, signAnchor, signHead, signatureMatches } from "./audit-chain.js";

export interface AuditChainBreak {
  tenantId: string;
  chain: AuditChain;
  /** The seq of the first record that does not verify (or where one is missing). */
  seq: number;
  auditId: string | null;
  reason: "hash_mismatch" | "link_broken" | "seq_gap" | "records_missing_at_end" | "head_signature_invalid" | "anchor_signature_invalid" | "head_missing";
}

export interface AuditVerification {
  ok: boolean;
  chainsChecked: number;
  recordsChecked: number;
  breaks: AuditChainBreak[];
  /** The first break found, if any (the same as `breaks[0]`). */
  firstBroken: AuditChainBreak | undefined;
}

const PAGE = 5000;

export async function verifyAuditChain(store: Store, key: Buffer, tenantId?: string): Promise<AuditVerification> {
  const heads = await store.listAuditHeads(tenantId);
  const breaks: AuditChainBreak[] = [];
  let recordsChecked = 0;
  const headKeys = new Set(heads.map((h) => `${h.tenantId}\u0000${h.chain}`));
  for (const chain of await store.listAuditChains(tenantId)) {
    if (!headKeys.has(`${chain.tenantId}\u0000${chain.chain}`)) {
      breaks.push({ tenantId: chain.tenantId, chain: chain.chain, seq: chain.minSeq, auditId: null, reason: "head_missing" });
    }
  }
  for (const head of heads) {
    const result = await verifyOneChain(store, key, head);
    recordsChecked += result.records;
    if (result.broken) breaks.push(result.broken);
  }
  return { ok: breaks.length === 0, chainsChecked: heads.length, recordsChecked, breaks, firstBroken: breaks[0] };
}

async function verifyOneChain(store: Store, key: Buffer, head: AuditHeadRow): Promise<{ records: number; broken?: AuditChainBreak }> {
  const at = (seq: number, auditId: string | null, reason: AuditChainBreak["reason"]) => ({ tenantId: head.tenantId, chain: head.chain, seq, auditId, reason });
  let records = 0;
  if (head.anchorSeq > 0 && !signatureMatches(signAnchor(key, head.tenantId, head.chain, head.anchorSeq, head.anchorHash), head.anchorSignature)) {
    return { records, broken: at(head.anchorSeq, null, "anchor_signature_invalid") };
  }
  if (head.anchorSeq === 0 && head.anchorHash !== GENESIS) return { records, broken: at(0, null, "anchor_signature_invalid") };
  let expectedSeq = head.anchorSeq + 1;
  let prevHash = head.anchorHash;
  for (;;) {
    const page = await store.readAuditChain(head.tenantId, head.chain, expectedSeq - 1, PAGE);
    for (const record of page) {
      records += 1;
      if (record.seq !== expectedSeq) return { records, broken: at(expectedSeq, null, "seq_gap") };
      if (record.prevHash !== prevHash) return { records, broken: at(record.seq, record.auditId, "link_broken") };
      const { hash, ...fields } = record;
      if (recordHash(fields) !== hash) return { records, broken: at(record.seq, record.auditId, "hash_mismatch") };
      prevHash = hash;
      expectedSeq += 1;
    }
    if (page.length < PAGE) break;
  }
  const lastSeq = expectedSeq - 1;
  if (lastSeq < head.seq) return { records, broken: at(lastSeq + 1, null, "records_missing_at_end") };
  if (lastSeq > head.seq || prevHash !== head.hash || !signatureMatches(signHead(key, head.tenantId, head.chain, head.seq, head.hash), head.signature)) {
    return { records, broken: at(head.seq, null, "head_signature_invalid") };
  }
  return { records };
}
