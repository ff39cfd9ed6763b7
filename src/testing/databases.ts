// Real databases for tests: a SQLite file in a fresh temp folder, or a PostgreSQL schema of its
// own, copied from one migrated template schema so a suite does not migrate for every test.
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { postgresMigrations } from "../store/postgres/migrations.js";
import { quoteIdent, runPostgresMigrations } from "../store/postgres/postgres-adapter.js";
import { MIGRATIONS_TABLE } from "../store/migrator.js";

export const TEST_POSTGRES_URL = process.env.SYNERGYMESH_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  /** The `database` option to pass. */
  database: string;
  /** The PostgreSQL schema to pass as `schema`, if any. */
  schema?: string;
  /** Removes the file or drops the schema. */
  cleanup(): Promise<void>;
}

export function tempSqliteDatabase(): TestDatabase {
  const dir = mkdtempSync(join(tmpdir(), "synergymesh-test-"));
  return { database: join(dir, "test.db"), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
}

// Named by a hash of the migrations, so a changed migration never reuses a stale template.
const TEMPLATE_SCHEMA = `synergymesh_template_${createHash("sha256").update(JSON.stringify(postgresMigrations)).digest("hex").slice(0, 12)}`;
let templateReady: Promise<string[]> | undefined;

/** Migrates the template schema once per process; returns its table names. */
async function ensureTemplate(pool: pg.Pool): Promise<string[]> {
  templateReady ??= (async () => {
    await runPostgresMigrations(pool, TEMPLATE_SCHEMA, postgresMigrations);
    const { rows } = await pool.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY table_name",
      [TEMPLATE_SCHEMA],
    );
    return rows.map((r) => r.table_name);
  })();
  return templateReady;
}

/** A new schema holding empty copies of the template's tables (and its migration records). */
export async function tempPostgresSchema(url: string = TEST_POSTGRES_URL): Promise<TestDatabase> {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    const tables = await ensureTemplate(pool);
    const schema = `t_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const s = quoteIdent(schema);
    const t = quoteIdent(TEMPLATE_SCHEMA);
    const statements = [`CREATE SCHEMA ${s}`, ...tables.map((table) => `CREATE TABLE ${s}.${quoteIdent(table)} (LIKE ${t}.${quoteIdent(table)} INCLUDING ALL)`)];
    statements.push(`INSERT INTO ${s}.${MIGRATIONS_TABLE} SELECT * FROM ${t}.${MIGRATIONS_TABLE}`);
    await pool.query(statements.join(";\n"));
    return {
      database: url,
      schema,
      cleanup: async () => {
        const dropper = new pg.Pool({ connectionString: url, max: 1 });
        try {
          await dropper.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
        } finally {
          await dropper.end();
        }
      },
    };
  } finally {
    await pool.end();
  }
}

export type DialectName = "sqlite" | "postgres";
export const DIALECTS: readonly DialectName[] = ["sqlite", "postgres"];

export function tempDatabase(dialect: DialectName): Promise<TestDatabase> {
  return dialect === "sqlite" ? Promise.resolve(tempSqliteDatabase()) : tempPostgresSchema();
}

/** Runs SQL straight against the test database, bypassing the store (for tampering and fault tests). */
export async function rawQuery<T = Record<string, unknown>>(db: TestDatabase, text: string, params: unknown[] = []): Promise<T[]> {
  if (db.schema === undefined) {
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    const raw = new BetterSqlite3(db.database);
    try {
      // `$n` placeholders become positional `?`, bound in the order they occur.
      const ordered: unknown[] = [];
      const sqliteText = text.replace(/\$(\d+)/g, (_, n: string) => {
        ordered.push(params[Number(n) - 1]);
        return "?";
      });
      const statement = raw.prepare(sqliteText);
      return (statement.reader ? statement.all(...ordered) : (statement.run(...ordered), [])) as T[];
    } finally {
      raw.close();
    }
  }
  const client = new pg.Client({ connectionString: db.database, options: `-c search_path=${quoteIdent(db.schema)}` });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}
