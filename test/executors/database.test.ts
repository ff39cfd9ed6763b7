// The `database` step against real targets on both dialects (a SQLite file; a PostgreSQL schema of its
// own), with the orchestrator's store on the same dialect: queries with bound params, seed 001's
// insert, injection attempts that stay values, identifiers checked, row limits, timeouts,
// cancellation, retries, secrets in connections, and connections other tenants cannot see.
import assert from "node:assert/strict";
import { after, before, beforeEach, describe, test } from "node:test";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { runPostgresQuery } from "../../src/executors/database/postgres-query.js";
import { runSqliteQuery } from "../../src/executors/database/sqlite-query.js";
import { insertStatement } from "../../src/executors/database/statement.js";
import { makeTarget } from "./database-targets.js";
import type { TargetDatabase } from "./database-targets.js";
import { finishFirstStep, runFirstStep, startWorkflow } from "./run-step.js";

/** A SQLite query that hands a row back about every few hundred ms for many seconds: slow, yet interruptible. */
const SLOW_SQLITE = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000) SELECT x FROM c WHERE x % 5000000 = 0";

for (const dialect of DIALECTS) {
  describe(`database step (${dialect})`, () => {
    let t: TestOrchestrator;
    let target: TargetDatabase;
    const secretDbUrl = (target: TargetDatabase) => (dialect === "postgres" ? target.url.replace("postgres://postgres@", "postgres://postgres:{{secrets.db_password}}@") : "{{secrets.db_password}}");

    before(async () => {
      target = await makeTarget(dialect);
      const base = { url: target.url, ...(target.schema ? { schema: target.schema } : {}) };
      t = await openTestOrchestrator(dialect, {
        leaseMs: 60_000,
        databases: {
          main_db: base,
          small_db: { ...base, maxRows: 3, timeoutMs: 60_000 },
          secret_db: { ...base, url: secretDbUrl(target) },
          private_db: { ...base, tenants: ["tenant-000000000000"] },
          down_db: dialect === "postgres" ? { url: "postgres://postgres@127.0.0.1:1/test" } : { url: `${target.url}.missing` },
        },
      });
    });
    after(async () => {
      await t.dispose();
      await target.cleanup();
    });
    beforeEach(async () => {
      await target.query("DELETE FROM synced_data");
    });

    const ph = (n: number) => (dialect === "postgres" ? `$${n}` : "?");

    async function fireNextTimer(): Promise<number> {
      const timer = await t.clock.nextTimer();
      const delay = timer.at - t.clock.now();
      await t.clock.advance(delay);
      return delay;
    }

    test("seed 001's save_data: operation insert writes the mapped rows with every value bound", async () => {
      const rows = [
        { name: "alpha", qty: 3, meta: { source: "api" } },
        { name: "beta", qty: null },
      ];
      const { step } = await runFirstStep(t.orch, `
name: save-data
steps:
  - id: "save_data"
    name: "保存数据"
    type: "database"
    config:
      operation: "insert"
      table: "synced_data"
      connection: "main_db"
    input_mapping:
      data: "{{input.rows}}"
`, { rows });
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual(step.output, { rows: [], row_count: 2, truncated: false });
      const stored = await target.query("SELECT name, qty, meta FROM synced_data ORDER BY id");
      assert.deepEqual(stored.map((r) => ({ ...r, qty: r.qty === null ? null : Number(r.qty) })), [
        { name: "alpha", qty: 3, meta: '{"source":"api"}' },
        { name: "beta", qty: null, meta: null },
      ]);
    });

    test("injection attempts through input stay bound values: in an insert, in a query's params, in data keys", async () => {
      const hostile = "x'); DROP TABLE synced_data; --";
      const inserted = await runFirstStep(t.orch, `
name: inject-insert
steps:
  - { id: save, type: database, config: { connection: main_db, query: "INSERT INTO synced_data (name) VALUES (${ph(1)})", params: ["{{input.name}}"] } }
`, { name: hostile });
      assert.equal(inserted.step.status, "completed", inserted.step.error ?? "");
      assert.deepEqual(inserted.step.output, { rows: [], row_count: 1, truncated: false });
      assert.deepEqual(await target.query("SELECT name FROM synced_data"), [{ name: hostile }]);

      const selected = await runFirstStep(t.orch, `
name: inject-select
steps:
  - { id: find, type: database, config: { connection: main_db, query: "SELECT name FROM synced_data WHERE name = ${ph(1)}", params: ["{{input.name}}"] } }
`, { name: "' OR '1'='1" });
      assert.deepEqual(selected.step.output, { rows: [], row_count: 0, truncated: false });

      const badColumn = await runFirstStep(t.orch, `
name: inject-column
steps:
  - { id: save, type: database, config: { connection: main_db, table: synced_data, data: "{{input.row}}" }, retry: { max_attempts: 3, initial_delay: 1s } }
`, { row: { name: "ok", "qty) VALUES (1); DROP TABLE synced_data; --": 1 } });
      assert.equal(badColumn.step.status, "failed");
      assert.equal(badColumn.step.attempts, 1);
      assert.equal(badColumn.step.error, 'config.data[0]: "qty) VALUES (1); DROP TABLE synced_data; --" is not a column name (letters, digits and _)');
      assert.equal((await target.query("SELECT count(*) AS n FROM synced_data"))[0]?.n !== undefined, true, "the table is still there");
    });

    test("a second statement after ';' is refused, not run", async () => {
      const { step } = await runFirstStep(t.orch, `
name: two-statements
steps:
  - { id: q, type: database, config: { connection: main_db, query: "SELECT 1; DROP TABLE synced_data" }, retry: { max_attempts: 3, initial_delay: 1s } }
`, {});
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, 1);
      assert.match(step.error ?? "", /^database main_db: /);
      assert.deepEqual(await target.query("SELECT count(*) AS n FROM synced_data").then((r) => Number(r[0]?.n)), 0);
    });

    test("rows past max_rows are dropped and flagged; the connection's limit caps the step's", async () => {
      for (const name of ["a", "b", "c", "d", "e"]) await target.query(`INSERT INTO synced_data (name) VALUES (${ph(1)})`, [name]);
      const asked = await runFirstStep(t.orch, `
name: max-rows
steps: [{ id: q, type: database, config: { connection: main_db, query: "SELECT name FROM synced_data ORDER BY name", max_rows: 2 } }]
`, {});
      assert.deepEqual(asked.step.output, { rows: [{ name: "a" }, { name: "b" }], row_count: 2, truncated: true });
      const capped = await runFirstStep(t.orch, `
name: max-rows-capped
steps: [{ id: q, type: database, config: { connection: small_db, query: "SELECT name FROM synced_data ORDER BY name", max_rows: 100 } }]
`, {});
      assert.equal((capped.step.output as { rows: unknown[] }).rows.length, 3);
      const tooMany = await runFirstStep(t.orch, `
name: insert-too-many
steps: [{ id: q, type: database, config: { connection: small_db, table: synced_data, data: [{ name: a }, { name: b }, { name: c }, { name: d }] } }]
`, {});
      assert.equal(tooMany.step.error, "config.data: has 4 rows; one insert writes at most 3");
    });

    test("validation reports bad identifiers and mixed forms at their paths", () => {
      assert.throws(
        () =>
          t.orch.validateWorkflow(`
name: db-invalid
steps:
  - { id: a, type: database, config: { connection: main_db, operation: insert, table: "synced_data; DROP TABLE x" } }
  - { id: b, type: database, config: { connection: main_db, query: "SELECT 1", table: synced_data } }
  - { id: c, type: database, config: { connection: main_db } }
`),
        (error: unknown) => {
          const issues = (error as { issues: Array<{ path: string }> }).issues;
          assert.deepEqual(issues.map((i) => i.path).sort(), ["steps[0].config.table", "steps[1].config.table", "steps[2].config.query"]);
          return true;
        },
      );
    });

    test("the config timeout stops a slow statement: TIMEOUT, retryable", async () => {
      const slow = dialect === "postgres" ? "SELECT pg_sleep(20)" : SLOW_SQLITE;
      const { step } = await runFirstStep(t.orch, `
name: db-timeout
steps: [{ id: q, type: database, config: { connection: main_db, query: "${slow}", timeout: 300ms } }]
`, {});
      assert.equal(step.status, "failed");
      assert.equal(step.error, "database main_db: the statement timed out after 300 ms");
    });

    test("cancelling the execution stops the statement in flight", async () => {
      const marker = `cancel_me_${Math.random().toString(36).slice(2, 8)}`;
      const slow = dialect === "postgres" ? `SELECT pg_sleep(60) AS ${marker}` : SLOW_SQLITE;
      const started = new Promise<void>((resolve) => t.orch.events.once("step.started", () => resolve()));
      const executionId = await startWorkflow(t.orch, `
name: db-cancel
steps: [{ id: q, type: database, config: { connection: main_db, query: "${slow}" } }]
`, {});
      await started;
      const active = () => target.query(`SELECT count(*) AS n FROM pg_stat_activity WHERE state = 'active' AND query LIKE ${ph(1)}`, [`%AS ${marker}%`]).then((r) => Number(r[0]?.n));
      // Bounded look-ups (no sleeps) until the backend runs the statement.
      if (dialect === "postgres") for (let i = 0; i < 2000 && (await active()) === 0; i++);
      if (dialect === "postgres") assert.equal(await active(), 1);
      await t.orch.cancelExecution(executionId);
      const { done, step } = await finishFirstStep(t.orch, executionId);
      assert.equal(done.status, "cancelled");
      assert.equal(step.status, "cancelled");
      if (dialect === "postgres") {
        // pg_cancel_backend then closing the connection: the statement stops on the server too.
        for (let i = 0; i < 2000 && (await active()) > 0; i++);
        assert.equal(await active(), 0);
      }
    });

    test("a broken statement fails at once; an unreachable database is retried (PostgreSQL) or refused (missing SQLite file)", async () => {
      const syntax = await runFirstStep(t.orch, `
name: db-syntax
steps: [{ id: q, type: database, config: { connection: main_db, query: "SELEC name FROM synced_data" }, retry: { max_attempts: 3, initial_delay: 1s } }]
`, {});
      assert.equal(syntax.step.status, "failed");
      assert.equal(syntax.step.attempts, 1);
      assert.match(syntax.step.error ?? "", /^database main_db: .*syntax/i);
      const executionId = await startWorkflow(t.orch, `
name: db-down
steps: [{ id: q, type: database, config: { connection: down_db, query: "SELECT 1" }, retry: { max_attempts: 2, initial_delay: 1s } }]
`, {});
      if (dialect === "postgres") assert.equal(await fireNextTimer(), 1000);
      const { step } = await finishFirstStep(t.orch, executionId);
      assert.equal(step.status, "failed");
      assert.equal(step.attempts, dialect === "postgres" ? 2 : 1);
      assert.match(step.error ?? "", dialect === "postgres" ? /^database down_db: .*ECONNREFUSED/ : /^database down_db: unable to open database file/);
    });

    test("a secret in the connection is resolved per tenant and redacted from the output", async () => {
      const missing = await runFirstStep(t.orch, `
name: db-secret-missing
steps: [{ id: q, type: database, config: { connection: secret_db, query: "SELECT 1 AS one" } }]
`, {});
      assert.equal(missing.step.status, "failed");
      assert.match(missing.step.error ?? "", /^database secret_db url needs the secret "db_password", which tenant default does not have/);
      const value = dialect === "postgres" ? "pw-not-checked-under-trust" : target.url;
      await t.orch.setSecret("db_password", value);
      const { step } = await runFirstStep(t.orch, `
name: db-secret
steps: [{ id: q, type: database, config: { connection: secret_db, query: "SELECT '${value}' AS echo" } }]
`, {});
      assert.equal(step.status, "completed", step.error ?? "");
      assert.deepEqual((step.output as { rows: unknown[] }).rows, [{ echo: "[REDACTED]" }]);
    });

    test("a connection reserved for other tenants answers exactly like a missing one", async () => {
      const run = (connection: string) => runFirstStep(t.orch, `
name: db-private-${connection.replace(/_/g, "-")}
steps: [{ id: q, type: database, config: { connection: ${connection}, query: "SELECT 1 AS one" } }]
`, {});
      const reserved = await run("private_db");
      const absent = await run("nothing_db");
      assert.equal(reserved.step.status, "failed");
      assert.equal(reserved.step.error?.replace("private_db", "X"), absent.step.error?.replace("nothing_db", "X"));
      assert.doesNotMatch(reserved.step.error?.split("configured:")[1] ?? "", /private_db/, "not listed to this tenant");
    });

    test("idempotency_column: a re-run of the same attempt inserts nothing twice", async () => {
      const statement = insertStatement(dialect, "synced_data", [{ name: "once" }, { name: "twice" }], { column: "op_key", key: "exec-1:save:0" });
      const run = { connection: "main_db", sql: statement.sql, params: statement.params, maxRows: 10, timeoutMs: 10_000, signal: new AbortController().signal };
      const execute = () => (dialect === "postgres" ? runPostgresQuery({ url: target.url, password: undefined, schema: target.schema, readOnly: false }, run) : runSqliteQuery(target.url, false, run));
      assert.equal((await execute()).row_count, 2);
      assert.equal((await execute()).row_count, 0);
      assert.deepEqual(await target.query("SELECT name, op_key FROM synced_data ORDER BY id"), [
        { name: "once", op_key: "exec-1:save:0:0" },
        { name: "twice", op_key: "exec-1:save:0:1" },
      ]);
    });
  });
}
