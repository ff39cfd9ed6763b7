// PostgreSQL through a `pg` pool with its default durability (synchronous_commit=on). Numbers come
// back as numbers (BIGINT holds epoch ms and counters, all below 2^53). A schema option confines
// every table to one schema (tests use a schema each).
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { DialectAdapter } from "../dialect-adapter.js";
import type { Migration } from "../migrator.js";
import { MIGRATIONS_TABLE, checkMigrations } from "../migrator.js";
import type { Database } from "../schema.js";
import { postgresMigrations } from "./migrations.js";
import { postgresEngineRows } from "./postgres-engine-rows.js";
import { PreparingClient } from "./prepared-statements.js";

export interface PostgresAdapterOptions {
  connectionString: string;
  /** Schema holding the tables; created when missing. Default `public`. */
  schema?: string;
  poolSize?: number;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;

const numericTypes = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export async function openPostgresAdapter(options: PostgresAdapterOptions): Promise<DialectAdapter> {
  const schema = options.schema ?? "public";
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    types: numericTypes,
    options: `-c search_path=${quoteIdent(schema)}`,
    Client: PreparingClient,
  });
  // A pool's idle clients can fail when the server restarts; the pool drops them and the next
  // query reconnects, so the error must not crash the process.
  pool.on("error", () => {});
  try {
    await runPostgresMigrations(pool, schema, postgresMigrations);
  } catch (error) {
    await pool.end();
    throw error;
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    dialect: "postgres",
    db,
    lockRows: true,
    write: (fn) => db.transaction().execute((trx) => fn(trx)),
    insertAuditRows: async (trx, rows) => {
      // 12 columns x 1,000 rows stays well below PostgreSQL's 65,535 bound parameters.
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto("audit_log").values(rows.slice(i, i + 1000)).execute();
    },
    engineRows: postgresEngineRows(),
    destroy: async () => {
      await db.destroy();
      // Kysely ends only a pool it has used; a store closed before its first query still has the
      // migration's idle client, which would keep the process alive for the idle timeout.
      if (!pool.ending) await pool.end();
    },
  };
}

/** Applies pending migrations in one transaction under an advisory lock keyed by the schema. */
export async function runPostgresMigrations(pool: pg.Pool, schema: string, migrations: Migration[]): Promise<void> {
  checkMigrations(migrations);
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`synergymesh:migrate:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`SET LOCAL search_path TO ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${MIGRATIONS_TABLE}`);
    const applied = new Set(rows.map((r) => r.version));
    for (const migration of migrations) {
      if (applied.has(migration.version)) continue;
      for (const statement of migration.statements) await client.query(statement);
      await client.query(`INSERT INTO ${MIGRATIONS_TABLE} (version, name, applied_at) VALUES ($1, $2, $3)`, [migration.version, migration.name, Date.now()]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
