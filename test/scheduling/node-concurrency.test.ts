// A node never runs more attempts at once than its `concurrency`, even when several commits that
// lease on commit (start batches) and a claim are in flight together. The test holds the
// database's write lock so that they all queue up behind it, then lets them through at once.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import pg from "pg";
import { Orchestrator, TenantTier } from "synergymesh";
import { DIALECTS, rawQuery, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { quoteIdent } from "../../src/store/postgres/postgres-adapter.js";
import { silentLogger } from "../../src/telemetry/logger.js";

/** Holds the database's write lock (SQLite) or the tasks table (PostgreSQL) until released. */
async function holdWrites(db: TestDatabase): Promise<{ release: () => Promise<void>; waiters: () => Promise<number> }> {
  if (db.schema === undefined) {
    const { default: BetterSqlite3 } = await import("better-sqlite3");
    const raw = new BetterSqlite3(db.database);
    raw.exec("BEGIN IMMEDIATE");
    return {
      release: async () => {
        raw.exec("COMMIT");
        raw.close();
      },
      // SQLite writers retry on a timer; nothing to count from outside.
      waiters: async () => 0,
    };
  }
  const client = new pg.Client({ connectionString: db.database, options: `-c search_path=${quoteIdent(db.schema)}` });
  await client.connect();
  await client.query("BEGIN");
  await client.query("LOCK TABLE tasks IN EXCLUSIVE MODE");
  const pid = (await client.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
  return {
    release: async () => {
      await client.query("COMMIT");
      await client.end();
    },
    waiters: async () => {
      // Only sessions that wait for this lock, directly or behind one that does (other engineers'
      // tests share the database).
      const rows = await rawQuery<{ n: number }>(
        db,
        `WITH RECURSIVE w(pid) AS (
           SELECT pid FROM pg_stat_activity WHERE $1::int = ANY(pg_blocking_pids(pid))
           UNION SELECT a.pid FROM pg_stat_activity a JOIN w ON w.pid = ANY(pg_blocking_pids(a.pid))
         ) SELECT count(*)::int AS n FROM w`,
        [pid],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: node concurrency`, () => {
    test("two start batches and a claim in flight together lease no more than the node's concurrency", async () => {
      const db = await tempDatabase(dialect);
      const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
      const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys, nodeId: "n1", concurrency: 2, pollMs: 10 });
      const gauge = { running: 0, max: 0 };
      const held: Array<() => void> = [];
      let open = false;
      let twoRunning!: () => void;
      const reachedTwo = new Promise<void>((resolve) => (twoRunning = resolve));
      orch.registerStepExecutor({
        type: "hold",
        execute: async () => {
          gauge.running += 1;
          gauge.max = Math.max(gauge.max, gauge.running);
          if (gauge.running === 2) twoRunning();
          if (!open) await new Promise<void>((resolve) => held.push(resolve));
          gauge.running -= 1;
          return null;
        },
      });
      try {
        const tenantId = await orch.createTenant("Busy", TenantTier.ENTERPRISE);
        await orch.registerWorkflow({ id: "one", name: "one", steps: [{ id: "s", type: "hold", resources: { memory_mb: 1, cpu_percent: 1 } }] }, { tenantId });
        const blocker = await holdWrites(db);
        // Batch 1 forms in one turn; batch 2 in a later turn, while batch 1 waits for the lock. The
        // poll (every 10 ms) claims meanwhile with its own view of the free slots.
        const batch1 = Promise.all([0, 1].map(() => orch.startExecution("one", {}, { tenantId })));
        await new Promise((resolve) => setImmediate(resolve));
        await new Promise((resolve) => setImmediate(resolve));
        const batch2 = Promise.all([0, 1, 2].map(() => orch.startExecution("one", {}, { tenantId })));
        if (dialect === "postgres") {
          // Both start transactions wait on the lock before it is let go.
          while ((await blocker.waiters()) < 2) await new Promise((resolve) => setImmediate(resolve));
        }
        await blocker.release();
        const started = [...(await batch1), ...(await batch2)];
        await reachedTwo;
        // Every start has committed and dispatched what it leased: this node holds two, the rest wait.
        const status = await orch.getSchedulerStatus({ tenantId });
        assert.equal(status.node.running, 2, "the node runs exactly its concurrency");
        assert.deepEqual(
          status.queues.map((q) => ({ ready: q.ready, running: q.running })),
          [{ ready: 3, running: 2 }],
        );
        open = true;
        for (const release of held.splice(0)) release();
        const done = await Promise.all(started.map((s) => orch.waitForExecution(s.executionId, { tenantId })));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        assert.equal(gauge.max, 2, "no more than the node's concurrency ever ran at once");
      } finally {
        open = true;
        for (const release of held.splice(0)) release();
        await orch.close();
        await db.cleanup();
      }
    });
  });
}
