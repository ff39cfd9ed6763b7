// Target databases for the database step tests, made fresh per suite: a SQLite file, or a PostgreSQL
// schema of its own on the test server, each holding the `synced_data` table of seed 001's example.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { TEST_POSTGRES_URL } from "synergymesh/testing";
import type { DialectName } from "synergymesh/testing";

export interface TargetDatabase {
  /** The `url` of a connection to it. */
  url: string;
  /** The PostgreSQL schema to give as the connection's `schema`. */
  schema?: string;
  /** Runs SQL on it directly (`$1` placeholders on PostgreSQL, `?` on SQLite). */
  query(sql: string, params?: unknown[]): Promise<Record<string, unknown>[]>;
  cleanup(): Promise<void>;
}

const TABLE = (serial: string) => `CREATE TABLE synced_data (id ${serial} PRIMARY KEY, name TEXT NOT NULL, qty INTEGER, meta TEXT, op_key TEXT UNIQUE)`;

export async function makeTarget(dialect: DialectName): Promise<TargetDatabase> {
  if (dialect === "sqlite") {
    const dir = mkdtempSync(join(tmpdir(), "synergymesh-target-"));
    const file = join(dir, "target.db");
    const db = new BetterSqlite3(file);
    db.exec(TABLE("INTEGER"));
    db.close();
    return {
      url: file,
      async query(sql, params = []) {
        const raw = new BetterSqlite3(file);
        try {
          const statement = raw.prepare(sql);
          return statement.reader ? (statement.all(...params) as Record<string, unknown>[]) : (statement.run(...params), []);
        } finally {
          raw.close();
        }
      },
      cleanup: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const schema = `dbstep_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const run = async (sql: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: TEST_POSTGRES_URL, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows as Record<string, unknown>[];
    } finally {
      await client.end();
    }
  };
  await run(`CREATE SCHEMA ${schema}`);
  await run(TABLE("SERIAL"));
  return { url: TEST_POSTGRES_URL, schema, query: run, cleanup: async () => void (await run(`DROP SCHEMA ${schema} CASCADE`)) };
}
