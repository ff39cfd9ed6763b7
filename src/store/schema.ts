// Table shapes as Kysely sees them. Times are epoch milliseconds (BIGINT), JSON is text, booleans
// are 0/1, so the two dialects share every query.

export interface TenantsTable {
  tenant_id: string;
  name: string;
  tier: string;
  status: string;
  quota: string;
  features: string;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
}

export interface AuditLogTable {
  audit_id: string;
  tenant_id: string;
  chain: string;
  seq: number;
  timestamp: number;
  action: string;
  component_id: string | null;
  user_id: string | null;
  status: string;
  metadata: string;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadsTable {
  tenant_id: string;
  chain: string;
  seq: number;
  hash: string;
  signature: string;
  anchor_seq: number;
  anchor_hash: string;
  anchor_signature: string;
}

export interface TenantStatsTable {
  tenant_id: string;
  total: number;
  successful: number;
  failed: number;
  timeouts: number;
  retries: number;
  duration_ms: number;
}

export interface TokenUsageTable {
  tenant_id: string;
  day: string;
  input_tokens: number;
  output_tokens: number;
}

export interface Database {
  tenants: TenantsTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  tenant_stats: TenantStatsTable;
  token_usage: TokenUsageTable;
}
