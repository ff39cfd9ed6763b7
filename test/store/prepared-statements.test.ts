// The engine's hot PostgreSQL statements go out as named statements: parsed and planned once per
// connection, not on every execution.
import assert from "node:assert/strict";
import { test } from "node:test";
import pg from "pg";
import { TEST_POSTGRES_URL } from "synergymesh/testing";
import { PreparingClient, prepared } from "../../src/store/postgres/prepared-statements.js";

test("a registered text is prepared once per connection and reused; other texts stay unnamed", async () => {
  const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1, Client: PreparingClient });
  try {
    const text = prepared("SELECT $1::int + 1 AS n /* prepared-statements test */");
    const client = await pool.connect();
    try {
      assert.equal((await client.query<{ n: number }>(text, [1])).rows[0]?.n, 2);
      assert.equal((await client.query<{ n: number }>(text, [41])).rows[0]?.n, 42);
      await client.query("SELECT $1::int AS unregistered", [1]);
      const { rows } = await client.query<{ name: string; statement: string }>("SELECT name, statement FROM pg_prepared_statements");
      assert.equal(rows.length, 1, JSON.stringify(rows));
      assert.match(rows[0]?.name ?? "", /^sm_[0-9a-f]{16}$/);
      assert.equal(rows[0]?.statement, text);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
});

test("a callback-style call without values still reaches the named statement", async () => {
  const pool = new pg.Pool({ connectionString: TEST_POSTGRES_URL, max: 1, Client: PreparingClient });
  try {
    const text = prepared("SELECT 7 AS n /* prepared-statements callback test */");
    const client = await pool.connect();
    try {
      const n = await new Promise<number>((resolve, reject) => {
        (client.query as unknown as (t: string, cb: (e: Error | null, r: pg.QueryResult<{ n: number }>) => void) => void)(text, (error, result) => (error ? reject(error) : resolve(result.rows[0]?.n ?? -1)));
      });
      assert.equal(n, 7);
    } finally {
      client.release();
    }
  } finally {
    await pool.end();
  }
});
