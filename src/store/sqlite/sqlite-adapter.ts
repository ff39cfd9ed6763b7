// Embedded SQLite through better-sqlite3: WAL with synchronous=NORMAL (SPEC D durability), a busy
// timeout for a second process, and writes that take the lock up front (BEGIN IMMEDIATE).
import { chmodSync, existsSync } from "node:fs";
import BetterSqlite3 from "better-sqlite3";
import { Kysely, SqliteDialect } from "kysely";
import type { DialectAdapter } from "../dialect-adapter.js";
import type { Migration } from "../migrator.js";
import { MIGRATIONS_TABLE, checkMigrations } from "../migrator.js";
import type { Database } from "../schema.js";
import { sqliteMigrations } from "./migrations.js";
import { sqliteEngineRows } from "./sqlite-engine-rows.js";

export interface SqliteAdapterOptions {
  /** A file path, or `:memory:`. */
  filename: string;
  /** How long a write waits for another connection's write lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

/**
 * better-sqlite3 is synchronous: its own busy timeout would block the event loop, and with it the
 * very transaction (of another store in this process) that holds the lock. So SQLite never waits
 * (busy_timeout 0) and a busy BEGIN IMMEDIATE is retried on a timer instead.
 */
async function retryWhileBusy(action: () => unknown, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
    try {
      action();
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== "SQLITE_BUSY" || Date.now() >= deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
  }
}

export async function openSqliteAdapter(options: SqliteAdapterOptions): Promise<DialectAdapter> {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const isNew = options.filename !== ":memory:" && !existsSync(options.filename);
  const raw = new BetterSqlite3(options.filename);
  // A new database holds tenants' data and audit trail: readable by its owner only (SQLite gives
  // the -wal and -shm files the same mode). An existing file keeps the mode its operator chose.
  if (isNew) chmodSync(options.filename, 0o600);
  raw.pragma("busy_timeout = 0");
  try {
    if (options.filename !== ":memory:") await retryWhileBusy(() => raw.pragma("journal_mode = WAL"), busyTimeoutMs);
    raw.pragma("synchronous = NORMAL");
    // Checkpoint the WAL every ~40 MB instead of every ~4 MB: same durability, and the copy back
    // into the database file (which fsyncs) is amortised over ten times the commits.
    raw.pragma("wal_autocheckpoint = 10000");
    raw.pragma("foreign_keys = ON");
    await runSqliteMigrations(raw, sqliteMigrations, busyTimeoutMs);
  } catch (error) {
    raw.close();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(raw) }) });
  const commit = raw.prepare("COMMIT");
  const insertAudit = raw.prepare(
    `INSERT INTO audit_log (audit_id, tenant_id, chain, seq, timestamp, action, component_id, user_id, status, metadata, prev_hash, hash)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  return {
    dialect: "sqlite",
    db,
    lockRows: false,
    write: (fn) =>
      db.connection().execute(async (conn) => {
        // Kysely's SQLite driver holds this one connection for the callback, so nothing else of
        // this store interleaves; the raw BEGIN is retried without blocking the event loop.
        await retryWhileBusy(() => raw.exec("BEGIN IMMEDIATE"), busyTimeoutMs);
        try {
          const result = await fn(conn);
          // On the raw connection, like BEGIN: the query builder adds nothing to a bare COMMIT.
          commit.run();
          return result;
        } catch (error) {
          if (raw.inTransaction) raw.exec("ROLLBACK");
          throw error;
        }
      }),
    // Same connection as `write`'s transaction (Kysely's SQLite driver has exactly one), so the
    // rows commit or roll back with it.
    insertAuditRows: async (_trx, rows) => {
      for (const r of rows) insertAudit.run(r.audit_id, r.tenant_id, r.chain, r.seq, r.timestamp, r.action, r.component_id, r.user_id, r.status, r.metadata, r.prev_hash, r.hash);
    },
    engineRows: sqliteEngineRows(raw),
    destroy: () => db.destroy(),
  };
}

/**
 * Kysely's SQLite driver prepares every query anew, and preparing costs as much as running a
 * short statement. Statements are reusable (Kysely only calls `all`/`run`/`iterate` on them), so
 * the driver gets a database whose `prepare` returns a cached statement per SQL text.
 */
function withStatementCache(raw: BetterSqlite3.Database, max = 1000) {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    close: () => raw.close(),
    prepare(text: string) {
      let statement = cache.get(text);
      if (statement) {
        // Refresh its place: the map's first key is the least recently used.
        cache.delete(text);
      } else {
        statement = raw.prepare(text);
        if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      }
      cache.set(text, statement);
      return statement;
    },
  };
}

/** Applies pending migrations under BEGIN IMMEDIATE, so a second process waits and then finds them applied. */
export async function runSqliteMigrations(raw: BetterSqlite3.Database, migrations: Migration[], busyTimeoutMs: number): Promise<void> {
  checkMigrations(migrations);
  await retryWhileBusy(() => raw.exec("BEGIN IMMEDIATE"), busyTimeoutMs);
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
