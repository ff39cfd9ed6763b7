// The storage contract for access and per-tenant content, in domain verbs: API keys (hashes only,
// found by a public prefix) and named per-tenant documents (policies, scripts, message templates).
// Every change appends its audit records in the same transaction.
import type { AuditEntry } from "./audit-types.js";

export interface ApiKeyRow {
  keyId: string;
  /** Null for the platform admin key. */
  tenantId: string | null;
  /** The key's public prefix (unique), shown in listings. */
  prefix: string;
  /** SHA-256 of the whole key, hex. */
  hash: string;
  name: string;
  role: string;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  createdBy: string | null;
}

/** The kinds of named per-tenant documents. */
export type TenantDocumentKind = "policy" | "script" | "message_template";

export interface TenantDocumentRow {
  tenantId: string;
  kind: TenantDocumentKind;
  name: string;
  /** The document, parsed from its JSON. */
  body: unknown;
  createdAt: number;
  updatedAt: number;
}


export interface AccessStore {
  /** Inserts a key with its audit records; false (nothing written) when the prefix is taken. */
  insertApiKey(key: ApiKeyRow, audit: AuditEntry[]): Promise<boolean>;
  findApiKeyByPrefix(prefix: string): Promise<ApiKeyRow | undefined>;
  /** The tenant's keys (or the platform's admin keys for `null`), newest first. */
  listApiKeys(tenantId: string | null): Promise<ApiKeyRow[]>;
  /** Revokes one key of the tenant; undefined when it does not exist there, the row unchanged when already revoked. */
  revokeApiKey(tenantId: string | null, keyId: string, now: number, audit: AuditEntry[]): Promise<ApiKeyRow | undefined>;
  /** Revokes every live key of the tenant (tenant deletion); returns how many. */
  revokeTenantApiKeys(tenantId: string, now: number, audit: AuditEntry[]): Promise<number>;

  /** Inserts or replaces a document; true when it was new. */
  putDocument(doc: Omit<TenantDocumentRow, "createdAt" | "updatedAt">, now: number, audit: AuditEntry[]): Promise<boolean>;
  getDocument(tenantId: string, kind: TenantDocumentKind, name: string): Promise<TenantDocumentRow | undefined>;
  listDocuments(tenantId: string, kind: TenantDocumentKind): Promise<TenantDocumentRow[]>;
  deleteDocument(tenantId: string, kind: TenantDocumentKind, name: string, audit: AuditEntry[]): Promise<boolean>;

  /** Counts over every tenant for /health: workflows (total, active) and unfinished executions by status. */
  platformCounts(): Promise<{ workflows: number; activeWorkflows: number; pending: number; running: number; paused: number }>;
}
