// Scheduler strategies and the scheduler status, on SQLite and PostgreSQL: priority_based and
// round_robin order a tenant's own queue differently; getSchedulerStatus reports queues per tenant,
// leases per node and concurrency keys as the tables hold them.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Orchestrator } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import { DIALECTS, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

/** One node whose `hold` steps run until released; `started` lists execution ids in start order. */
async function openHeld(db: TestDatabase, options: OrchestratorOptions) {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32), pollMs: 20, ...options });
  const started: string[] = [];
  const releases = new Map<string, () => void>();
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  orch.registerStepExecutor({
    type: "hold",
    execute: (ctx) =>
      new Promise((resolve) => {
        started.push(ctx.executionId);
        releases.set(ctx.executionId, () => resolve({ ok: true }));
        for (const w of waiters.splice(0)) {
          if (started.length >= w.n) w.resolve();
          else waiters.push(w);
        }
      }),
  });
  return {
    orch,
    started,
    release: (id: string) => releases.get(id)?.(),
    releaseAll: () => {
      for (const r of releases.values()) r();
    },
    startedCount: (n: number) => new Promise<void>((resolve) => (started.length >= n ? resolve() : waiters.push({ n, resolve }))),
  };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: scheduler strategies and status`, () => {
    for (const [strategy, expectFirst] of [
      ["priority_based", "urgent"],
      ["round_robin", "early"],
    ] as const) {
      test(`${strategy}: a tenant's queue runs ${expectFirst === "urgent" ? "its higher priority first" : "in ready order, whatever the priority"}`, async () => {
        const db = await tempDatabase(dialect);
        const node = await openHeld(db, { concurrency: 1, scheduler: { strategy } });
        try {
          await node.orch.registerWorkflow({ id: "w", name: "w", steps: [{ id: "s", type: "hold" }] });
          const blocker = (await node.orch.startExecution("w")).executionId;
          await node.startedCount(1);
          const early = (await node.orch.startExecution("w", {}, { priority: 2 })).executionId;
          const urgent = (await node.orch.startExecution("w", {}, { priority: 9 })).executionId;
          node.release(blocker);
          await node.startedCount(2);
          assert.equal(node.started[1], expectFirst === "urgent" ? urgent : early);
        } finally {
          node.releaseAll();
          await node.orch.close();
          await db.cleanup();
        }
      });
    }

    test("getSchedulerStatus: queues per tenant, leases per node, concurrency keys", async () => {
      const db = await tempDatabase(dialect);
      const node = await openHeld(db, { nodeId: "status-node", concurrency: 2, labels: ["gpu"] });
      try {
        await node.orch.registerWorkflow({ id: "w", name: "w", concurrency: { key: "k-{{input.n}}", limit: 1 }, steps: [{ id: "s", type: "hold", resources: { memory_mb: 64, cpu_percent: 5 } }] });
        const ids: string[] = [];
        for (let i = 0; i < 4; i++) ids.push((await node.orch.startExecution("w", { n: i < 3 ? "a" : "b" })).executionId);
        await node.startedCount(2);
        const status = await node.orch.getSchedulerStatus();
        assert.deepEqual(status.node, { nodeId: "status-node", labels: ["gpu"], concurrency: 2, running: 2, strategy: "priority_based", workersStarted: true });
        assert.equal(status.queues.length, 1);
        assert.equal(status.queues[0]?.running, 2);
        assert.equal(status.queues[0]?.ready, 2, "two 'a' executions wait for their key");
        assert.deepEqual(status.leases, [{ nodeId: "status-node", tasks: 2, memoryMb: 128, cpuPercent: 10 }]);
        assert.deepEqual(
          status.concurrencyKeys.map((k) => ({ key: k.key, holders: k.holders, waiting: k.waiting })),
          [
            { key: "k-a", holders: 1, waiting: 2 },
            { key: "k-b", holders: 1, waiting: 0 },
          ],
        );
        const other = await node.orch.getSchedulerStatus({ tenantId: "tenant-nobody" });
        assert.deepEqual([other.queues, other.leases, other.concurrencyKeys], [[], [], []], "another tenant's view shows none of this");
      } finally {
        node.releaseAll();
        await node.orch.close();
        await db.cleanup();
      }
    });
  });
}

test("scheduler options are validated with their path", async () => {
  const db = await tempDatabase("sqlite");
  try {
    for (const [scheduler, path] of [
      [{ strategy: "fastest" }, "scheduler.strategy"],
      [{ loadThreshold: 1.5 }, "scheduler.loadThreshold"],
    ] as const) {
      await assert.rejects(openHeld(db, { scheduler: scheduler as OrchestratorOptions["scheduler"] }), (e: Error & { code?: string }) => e.code === "CONFIG_INVALID" && e.message.startsWith(path), path);
    }
  } finally {
    await db.cleanup();
  }
});
