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

export interface WorkflowsTable {
  tenant_id: string;
  workflow_id: string;
  name: string;
  status: string;
  current_version: number;
  tags: string;
  owner_id: string | null;
  created_at: number;
  updated_at: number;
}

export interface WorkflowVersionsTable {
  tenant_id: string;
  workflow_id: string;
  version: number;
  definition: string;
  hash: string;
  created_at: number;
}

export interface ExecutionsTable {
  execution_id: string;
  tenant_id: string;
  workflow_id: string;
  version: number;
  status: string;
  input: string;
  output: string | null;
  error: string | null;
  priority: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  deadline_at: number | null;
  idempotency_key: string | null;
  concurrency_key: string | null;
}

export interface StepExecutionsTable {
  step_execution_id: string;
  execution_id: string;
  tenant_id: string;
  step_id: string;
  status: string;
  attempts: number;
  failures: number;
  lost: number;
  output: string | null;
  error: string | null;
  started_at: number | null;
  finished_at: number | null;
}

export interface TasksTable {
  task_id: string;
  tenant_id: string;
  execution_id: string;
  step_id: string;
  priority: number;
  ready_at: number;
  seq: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  fence: number;
  /** The step's reservation while leased (SPEC D: `resources`), counted against the tenant's quota. */
  memory_mb: number;
  cpu_percent: number;
  /** The worker pool the step asks for (`runs_on`); null: any node. */
  pool: string | null;
  /** Set on an execution's first tasks while it waits for its workflow concurrency key. */
  concurrency_key: string | null;
  concurrency_limit: number | null;
}

export interface ExecutionLogsTable {
  log_id: string;
  execution_id: string;
  tenant_id: string;
  step_id: string | null;
  level: string;
  message: string;
  data: string | null;
  timestamp: number;
}

export interface SecretsTable {
  tenant_id: string;
  name: string;
  ciphertext: string;
  created_at: number;
  updated_at: number;
}

export interface TriggersTable {
  tenant_id: string;
  trigger_id: string;
  workflow_id: string;
  type: string;
  name: string;
  config: string;
  enabled: number;
  source: string;
  webhook_path: string | null;
  next_fire_at: number | null;
  state: string;
  state_version: number;
  last_fired_at: number | null;
  fire_count: number;
  created_at: number;
  updated_at: number;
}

export interface ApiKeysTable {
  key_id: string;
  tenant_id: string | null;
  prefix: string;
  hash: string;
  name: string;
  role: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  created_by: string | null;
}

export interface TenantDocumentsTable {
  tenant_id: string;
  kind: string;
  name: string;
  body: string;
  created_at: number;
  updated_at: number;
}

export interface TriggerFiresTable {
  trigger_id: string;
  scheduled_at: number;
  tenant_id: string;
  fired_at: number;
  node_id: string;
  execution_id: string | null;
  status: string;
  error: string | null;
  skipped: number;
}

export interface StrategiesTable {
  tenant_id: string;
  strategy_id: string;
  name: string;
  category: string;
  symptoms: string;
  workflow_id: string;
  priority: number;
  enabled: number;
  dedup: string;
  created_at: number;
  updated_at: number;
}

export interface StrategyRunsTable {
  tenant_id: string;
  strategy_id: string;
  fingerprint: string;
  started_at: number;
  run_key: string;
  suppressed: number;
}

export interface Database {
  triggers: TriggersTable;
  trigger_fires: TriggerFiresTable;
  strategies: StrategiesTable;
  strategy_runs: StrategyRunsTable;
  api_keys: ApiKeysTable;
  tenant_documents: TenantDocumentsTable;
  secrets: SecretsTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  executions: ExecutionsTable;
  step_executions: StepExecutionsTable;
  tasks: TasksTable;
  execution_logs: ExecutionLogsTable;
  tenants: TenantsTable;
  audit_log: AuditLogTable;
  audit_heads: AuditHeadsTable;
  tenant_stats: TenantStatsTable;
  token_usage: TokenUsageTable;
}
