// SQLite migrations, numbered. Never edit a released one: add the next.
import type { Migration } from "../migrator.js";

export const sqliteMigrations: Migration[] = [
  {
    version: 1,
    name: "tenants-audit-stats",
    statements: [
      `CREATE TABLE tenants (
        tenant_id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        tier TEXT NOT NULL,
        status TEXT NOT NULL,
        quota TEXT NOT NULL,
        features TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        deleted_at INTEGER
      ) STRICT`,
      `CREATE TABLE audit_log (
        audit_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        chain TEXT NOT NULL,
        seq INTEGER NOT NULL,
        timestamp INTEGER NOT NULL,
        action TEXT NOT NULL,
        component_id TEXT,
        user_id TEXT,
        status TEXT NOT NULL,
        metadata TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (tenant_id, chain, seq)
      ) STRICT`,
      `CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, timestamp)`,
      `CREATE TABLE audit_heads (
        tenant_id TEXT NOT NULL,
        chain TEXT NOT NULL,
        seq INTEGER NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        anchor_seq INTEGER NOT NULL,
        anchor_hash TEXT NOT NULL,
        anchor_signature TEXT NOT NULL,
        PRIMARY KEY (tenant_id, chain)
      ) STRICT`,
      `CREATE TABLE tenant_stats (
        tenant_id TEXT PRIMARY KEY,
        total INTEGER NOT NULL,
        successful INTEGER NOT NULL,
        failed INTEGER NOT NULL,
        timeouts INTEGER NOT NULL,
        retries INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL
      ) STRICT`,
      `CREATE TABLE token_usage (
        tenant_id TEXT NOT NULL,
        day TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, day)
      ) STRICT`,
    ],
  },

  {
    version: 2,
    name: "workflows-executions-tasks",
    statements: [
      `CREATE TABLE workflows (
        tenant_id TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        current_version INTEGER NOT NULL,
        tags TEXT NOT NULL,
        owner_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, workflow_id)
      ) STRICT`,
      `CREATE TABLE workflow_versions (
        tenant_id TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT NOT NULL,
        hash TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, workflow_id, version)
      ) STRICT`,
      `CREATE TABLE executions (
        execution_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        priority INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        started_at INTEGER,
        finished_at INTEGER,
        deadline_at INTEGER,
        idempotency_key TEXT,
        UNIQUE (tenant_id, idempotency_key)
      ) STRICT`,
      `CREATE INDEX executions_tenant_workflow ON executions (tenant_id, workflow_id, created_at)`,
      `CREATE INDEX executions_tenant_status ON executions (tenant_id, status, created_at)`,
      `CREATE TABLE step_executions (
        step_execution_id TEXT PRIMARY KEY,
        execution_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        failures INTEGER NOT NULL,
        lost INTEGER NOT NULL,
        output TEXT,
        error TEXT,
        started_at INTEGER,
        finished_at INTEGER,
        UNIQUE (execution_id, step_id)
      ) STRICT`,
      `CREATE TABLE tasks (
        task_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        execution_id TEXT NOT NULL,
        step_id TEXT NOT NULL,
        priority INTEGER NOT NULL,
        ready_at INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at INTEGER,
        fence INTEGER NOT NULL
      ) STRICT`,
      `CREATE INDEX tasks_ready ON tasks (ready_at, priority)`,
      `CREATE INDEX tasks_execution ON tasks (execution_id)`,
      `CREATE TABLE execution_logs (
        log_id TEXT PRIMARY KEY,
        execution_id TEXT NOT NULL,
        tenant_id TEXT NOT NULL,
        step_id TEXT,
        level TEXT NOT NULL,
        message TEXT NOT NULL,
        data TEXT,
        timestamp INTEGER NOT NULL
      ) STRICT`,
      `CREATE INDEX execution_logs_execution ON execution_logs (execution_id, timestamp)`,
    ],
  },
  {
    version: 3,
    name: "secrets",
    statements: [
      `CREATE TABLE secrets (
        tenant_id TEXT NOT NULL,
        name TEXT NOT NULL,
        ciphertext TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, name)
      ) STRICT`,
    ],
  },
  {
    version: 4,
    name: "execution-deadlines",
    statements: [`CREATE INDEX executions_deadline ON executions (deadline_at) WHERE deadline_at IS NOT NULL`],
  },
  {
    version: 5,
    name: "api-keys-and-tenant-documents",
    statements: [
      // The platform admin key has no tenant (NULL). Keys are found by their public prefix; only the SHA-256 of the whole key is kept.
      `CREATE TABLE api_keys (
        key_id TEXT PRIMARY KEY,
        tenant_id TEXT,
        prefix TEXT NOT NULL UNIQUE,
        hash TEXT NOT NULL,
        name TEXT NOT NULL,
        role TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_by TEXT
      ) STRICT`,
      `CREATE INDEX api_keys_tenant ON api_keys (tenant_id)`,
      // Per-tenant named JSON documents: policies, the script library and message templates.
      `CREATE TABLE tenant_documents (
        tenant_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, kind, name)
      ) STRICT`,
    ],
  },
  {
    version: 6,
    name: "triggers-strategies",
    statements: [
      `CREATE TABLE triggers (
        tenant_id TEXT NOT NULL,
        trigger_id TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        type TEXT NOT NULL,
        name TEXT NOT NULL,
        config TEXT NOT NULL,
        enabled INTEGER NOT NULL,
        source TEXT NOT NULL,
        webhook_path TEXT,
        next_fire_at INTEGER,
        state TEXT NOT NULL,
        state_version INTEGER NOT NULL,
        last_fired_at INTEGER,
        fire_count INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, trigger_id)
      ) STRICT`,
      `CREATE UNIQUE INDEX triggers_webhook_path ON triggers (tenant_id, webhook_path) WHERE webhook_path IS NOT NULL`,
      `CREATE INDEX triggers_due ON triggers (next_fire_at) WHERE next_fire_at IS NOT NULL`,
      `CREATE INDEX triggers_workflow ON triggers (tenant_id, workflow_id)`,
      `CREATE TABLE trigger_fires (
        trigger_id TEXT NOT NULL,
        scheduled_at INTEGER NOT NULL,
        tenant_id TEXT NOT NULL,
        fired_at INTEGER NOT NULL,
        node_id TEXT NOT NULL,
        execution_id TEXT,
        status TEXT NOT NULL,
        error TEXT,
        skipped INTEGER NOT NULL,
        PRIMARY KEY (trigger_id, scheduled_at)
      ) STRICT`,
      `CREATE TABLE strategies (
        tenant_id TEXT NOT NULL,
        strategy_id TEXT NOT NULL,
        name TEXT NOT NULL,
        category TEXT NOT NULL,
        symptoms TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        priority INTEGER NOT NULL,
        enabled INTEGER NOT NULL,
        dedup TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, strategy_id)
      ) STRICT`,
      `CREATE TABLE strategy_runs (
        tenant_id TEXT NOT NULL,
        strategy_id TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        run_key TEXT NOT NULL,
        suppressed INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, strategy_id, fingerprint)
      ) STRICT`,
    ],
  },
  {
    // Scheduling: what a task reserves while leased, and the pool it may run in. A claim reads
    // each tenant's best unleased tasks (tasks_tenant_queue, also walked to list the tenants), and
    // every admission counts a tenant's leases (tasks_leased).
    version: 7,
    name: "scheduling",
    statements: [
      `ALTER TABLE tasks ADD COLUMN memory_mb REAL NOT NULL DEFAULT 128`,
      `ALTER TABLE tasks ADD COLUMN cpu_percent REAL NOT NULL DEFAULT 10`,
      `ALTER TABLE tasks ADD COLUMN pool TEXT`,
      `ALTER TABLE tasks ADD COLUMN concurrency_key TEXT`,
      `ALTER TABLE tasks ADD COLUMN concurrency_limit INTEGER`,
      `ALTER TABLE executions ADD COLUMN concurrency_key TEXT`,
      `CREATE INDEX executions_concurrency ON executions (tenant_id, concurrency_key, status) WHERE concurrency_key IS NOT NULL`,
      `CREATE INDEX tasks_leased ON tasks (tenant_id, lease_expires_at) WHERE lease_owner IS NOT NULL`,
      `CREATE INDEX tasks_tenant_queue ON tasks (tenant_id, priority DESC, ready_at, seq) WHERE lease_owner IS NULL`,
    ],
  },
];
