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
];
