// PostgreSQL migrations, numbered. Never edit a released one: add the next.
import type { Migration } from "../migrator.js";

export const postgresMigrations: Migration[] = [
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
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        deleted_at BIGINT
      )`,
      `CREATE TABLE audit_log (
        audit_id TEXT PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        chain TEXT NOT NULL,
        seq BIGINT NOT NULL,
        timestamp BIGINT NOT NULL,
        action TEXT NOT NULL,
        component_id TEXT,
        user_id TEXT,
        status TEXT NOT NULL,
        metadata TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL,
        UNIQUE (tenant_id, chain, seq)
      )`,
      `CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, timestamp)`,
      `CREATE TABLE audit_heads (
        tenant_id TEXT NOT NULL,
        chain TEXT NOT NULL,
        seq BIGINT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        anchor_seq BIGINT NOT NULL,
        anchor_hash TEXT NOT NULL,
        anchor_signature TEXT NOT NULL,
        PRIMARY KEY (tenant_id, chain)
      )`,
      `CREATE TABLE tenant_stats (
        tenant_id TEXT PRIMARY KEY,
        total BIGINT NOT NULL,
        successful BIGINT NOT NULL,
        failed BIGINT NOT NULL,
        timeouts BIGINT NOT NULL,
        retries BIGINT NOT NULL,
        duration_ms BIGINT NOT NULL
      )`,
      `CREATE TABLE token_usage (
        tenant_id TEXT NOT NULL,
        day TEXT NOT NULL,
        input_tokens BIGINT NOT NULL,
        output_tokens BIGINT NOT NULL,
        PRIMARY KEY (tenant_id, day)
      )`,
    ],
  },
];
