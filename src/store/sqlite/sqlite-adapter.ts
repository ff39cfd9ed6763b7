// Embedded SQLite through better-sqlite3: WAL with synchronous=NORMAL (SPEC D durability), a busy
// timeout for a second process, and writes that take the lock up front (BEGIN IMMEDIATE).
import { chmodSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import type { DialectAdapter } from "../dialect-adapter.js";
import type { Migration } from "../migrator.js";
import { MIGRATIONS_TABLE, checkMigrations } from "../migrator.js";
import type { Database } from "../schema.js";
import { sqliteMigrations } from "./migrations.js";

export interface SqliteAdapterOptions {
  /** A file path, or `:memory:`. */
  filename: string;
  busyTimeoutMs?: number;
}

export function openSqliteAdapter(options: SqliteAdapterOptions): DialectAdapter {
  const raw = new BetterSqlite3(options.filename);
  // The database holds tenants' data and audit trail: readable by its owner only (SQLite gives the
  // -wal and -shm files the same mode).
  if (options.filename !== ":memory:") chmodSync(options.filename, 0o600);
  raw.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  if (options.filename !== ":memory:") raw.pragma("journal_mode = WAL");
  raw.pragma("synchronous = NORMAL");
  raw.pragma("foreign_keys = ON");
  runSqliteMigrations(raw, sqliteMigrations);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: raw }) });
  return {
    dialect: "sqlite",
    db,
    lockRows: false,
    write: (fn) =>
      db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (error) {
          if (raw.inTransaction) await sql`ROLLBACK`.execute(conn);
          throw error;
        }
      }),
    destroy: () => db.destroy(),
  };
}

/** Applies pending migrations under BEGIN IMMEDIATE, so a second process waits and then finds them applied. */
export function runSqliteMigrations(raw: BetterSqlite3.Database, migrations: Migration[]): void {
  checkMigrations(migrations);
  raw.exec("BEGIN IMMEDIATE");
  try {
    raw.exec(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
    const applied = new Set((raw.prepare(`SELECT version FROM ${MIGRATIONS_TABLE}`).all() as Array<{ version: number }>).map((r) => r.version));
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) raw.exec(statement);
      raw.prepare(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES (?, ?, ?)`).run(migration.version, migration.name, Date.now());
    }
    raw.exec("COMMIT");
  } catch (error) {
    if (raw.inTransaction) raw.exec("ROLLBACK");
    throw error;
  }
}
