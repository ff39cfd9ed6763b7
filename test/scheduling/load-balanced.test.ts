// The load_balanced strategy on two nodes sharing one database, on SQLite and PostgreSQL: a node
// at its load threshold leases nothing more on commit and claims new work only after one poll
// interval, so a node with free capacity takes it first; a node alone still fills its slots.
// Time is a fake clock shared by both nodes: "one poll interval later" happens when the test says.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Orchestrator } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import { DIALECTS, FakeClock, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

const POLL_MS = 20;

/** Nodes whose `hold` steps run until the test lets them go; `ran` lists which node ran each. */
async function cluster(db: TestDatabase, clock: FakeClock, ...each: OrchestratorOptions[]) {
  const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
  const ran: string[] = [];
  const held: Array<() => void> = [];
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  const nodes: Orchestrator[] = [];
  // The nodes' polls run on real timers that do not hold the process open (unref): keep it alive
  // while the test waits for a poll to find work.
  const keepAlive = setInterval(() => {}, 1000);
  for (const options of each) {
    const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys, clock, pollMs: POLL_MS, ...options });
    orch.registerStepExecutor({
      type: "hold",
      execute: () =>
        new Promise((resolve) => {
          ran.push(options.nodeId as string);
          held.push(() => resolve(null));
          for (const w of waiters.splice(0)) {
            if (ran.length >= w.n) w.resolve();
            else waiters.push(w);
          }
        }),
    });
    nodes.push(orch);
  }
  return {
    nodes,
    ran,
    running: (n: number) => new Promise<void>((resolve) => (ran.length >= n ? resolve() : waiters.push({ n, resolve }))),
    close: async () => {
      clearInterval(keepAlive);
      for (const release of held.splice(0)) release();
      for (const n of nodes) await n.close();
    },
  };
}

const WORKFLOW = { id: "one", name: "one", steps: [{ id: "s", type: "hold", resources: { memory_mb: 1, cpu_percent: 1 } }] };
const count = (ran: string[], node: string) => ran.filter((r) => r === node).length;

for (const dialect of DIALECTS) {
  describe(`${dialect}: load_balanced`, () => {
    test("a node at its threshold leaves new work to a node with free capacity", async () => {
      const db = await tempDatabase(dialect);
      const clock = new FakeClock();
      const lb = { strategy: "load_balanced" as const, loadThreshold: 0.5 };
      // `busy` polls rarely, so no claim of its own is in flight while the starts commit (a claim
      // holds the node's free slots until it returns, and the starts would find none to lease).
      const c = await cluster(db, clock, { nodeId: "busy", concurrency: 4, scheduler: lb, pollMs: 60_000 }, { nodeId: "free", concurrency: 4, scheduler: lb });
      const [busy] = c.nodes;
      assert.ok(busy);
      try {
        await busy.registerWorkflow(WORKFLOW);
        // Four starts on `busy`: it leases two on commit (4 x 0.5), then it is at its threshold and
        // claims only tasks ready for one of its poll intervals. The clock does not move, so it
        // never claims the other two: `free` polls and takes them.
        await Promise.all(Array.from({ length: 4 }, () => busy.startExecution("one")));
        await c.running(4);
        assert.deepEqual([count(c.ran, "busy"), count(c.ran, "free")], [2, 2]);
      } finally {
        await c.close();
        await db.cleanup();
      }
    });

    test("priority_based, for contrast: the starting node leases all four on commit", async () => {
      const db = await tempDatabase(dialect);
      const clock = new FakeClock();
      const c = await cluster(db, clock, { nodeId: "busy", concurrency: 4, pollMs: 60_000 }, { nodeId: "free", concurrency: 4 });
      const [busy] = c.nodes;
      assert.ok(busy);
      try {
        await busy.registerWorkflow(WORKFLOW);
        await Promise.all(Array.from({ length: 4 }, () => busy.startExecution("one")));
        await c.running(4);
        assert.deepEqual([count(c.ran, "busy"), count(c.ran, "free")], [4, 0]);
      } finally {
        await c.close();
        await db.cleanup();
      }
    });

    test("a node alone fills its slots: work it left in the queue is claimed one poll interval later", async () => {
      const db = await tempDatabase(dialect);
      const clock = new FakeClock();
      const c = await cluster(db, clock, { nodeId: "alone", concurrency: 4, scheduler: { strategy: "load_balanced", loadThreshold: 0.5 } });
      const [alone] = c.nodes;
      assert.ok(alone);
      try {
        await alone.registerWorkflow(WORKFLOW);
        await Promise.all(Array.from({ length: 4 }, () => alone.startExecution("one")));
        await c.running(2);
        const status = await alone.getSchedulerStatus();
        assert.deepEqual(status.queues.map((q) => ({ ready: q.ready, running: q.running })), [{ ready: 2, running: 2 }], "two wait while the node is at its threshold");
        await clock.advance(POLL_MS);
        await c.running(4);
        assert.equal(count(c.ran, "alone"), 4);
      } finally {
        await c.close();
        await db.cleanup();
      }
    });
  });
}
