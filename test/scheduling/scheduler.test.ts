// Multi-tenant scheduling through the library API on SQLite and PostgreSQL: a backlog does not
// delay another tenant's task (claim order), quotas bound leases across two nodes sharing one
// database (claims and claim-on-commit), and runs_on routes steps to labelled nodes only.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Orchestrator, TenantTier } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import { DIALECTS, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

async function nodes(db: TestDatabase, ...each: OrchestratorOptions[]): Promise<Orchestrator[]> {
  const keys = { auditKey: randomBytes(32), masterKey: randomBytes(32) };
  const at = { database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, ...keys };
  const out: Orchestrator[] = [];
  // One after the other: the first runs the migrations.
  for (const options of each) out.push(await Orchestrator.open({ ...at, ...options }));
  return out;
}

/**
 * Counts attempts running at once in this process (both nodes run here). Attempts are held until
 * `target` run at once (the quota is used, not undercut); from then on they finish at once, and the
 * count shows that no more than the quota ever ran.
 */
function gauge(target: number) {
  const g = { running: 0, max: 0 };
  let held: Array<() => void> = [];
  let reachedTarget!: () => void;
  const reached = new Promise<void>((resolve) => (reachedTarget = resolve));
  const execute = async () => {
    g.running += 1;
    g.max = Math.max(g.max, g.running);
    if (g.running >= target) {
      reachedTarget();
      for (const release of held.splice(0)) release();
      held = [];
    } else if (g.max < target) {
      await new Promise<void>((resolve) => held.push(resolve));
    }
    g.running -= 1;
    return { ok: true };
  };
  return { g, execute, reached };
}

for (const dialect of DIALECTS) {
  describe(`${dialect}: scheduling`, () => {
    test("a tenant's backlog of 500 does not delay another tenant's single task: it takes the next free slot", async () => {
      const db = await tempDatabase(dialect);
      const [orch] = await nodes(db, { nodeId: "worker", concurrency: 2, pollMs: 20 });
      assert.ok(orch);
      // Each attempt waits for the test to let it finish, so slots free one at a time.
      const gates: Array<() => void> = [];
      let opened = false;
      orch.registerStepExecutor({ type: "gate", execute: () => (opened ? null : new Promise((resolve) => gates.push(() => resolve(null)))) });
      const order: string[] = [];
      const waiters: Array<{ n: number; resolve: () => void }> = [];
      orch.events.on("step.started", (e) => {
        order.push(e.tenantId);
        for (const w of waiters.splice(0)) {
          if (order.length >= w.n) w.resolve();
          else waiters.push(w);
        }
      });
      const startedCount = (n: number) => new Promise<void>((resolve) => (order.length >= n ? resolve() : waiters.push({ n, resolve })));
      try {
        const a = await orch.createTenant("Noisy", TenantTier.PROFESSIONAL);
        const b = await orch.createTenant("Quiet", TenantTier.PROFESSIONAL);
        for (const tenantId of [a, b]) await orch.registerWorkflow({ id: "one", name: "one", steps: [{ id: "s", type: "gate" }] }, { tenantId });
        // Two fill the node's slots; the other 498 queue behind them.
        await Promise.all(Array.from({ length: 2 }, () => orch.startExecution("one", {}, { tenantId: a })));
        await startedCount(2);
        await Promise.all(Array.from({ length: 498 }, () => orch.startExecution("one", {}, { tenantId: a })));
        assert.deepEqual(order, [a, a], "the noisy tenant filled both slots");
        await orch.startExecution("one", {}, { tenantId: b });
        // Let one of the noisy tenant's attempts finish: the freed slot goes to the quiet tenant,
        // ahead of the 498 tasks queued before it.
        gates.shift()?.();
        await startedCount(3);
        assert.equal(order[2], b);
      } finally {
        opened = true;
        for (const release of gates.splice(0)) release();
        await orch.close();
        await db.cleanup();
      }
    });

    test("maxConcurrentTasks bounds leases across two nodes, in claims and in claim-on-commit", async () => {
      const db = await tempDatabase(dialect);
      const [one, two] = await nodes(db, { nodeId: "one", concurrency: 10, pollMs: 20 }, { nodeId: "two", concurrency: 10, pollMs: 20 });
      assert.ok(one && two);
      try {
        const { g, execute, reached } = gauge(3);
        for (const n of [one, two]) n.registerStepExecutor({ type: "work", execute });
        const tenantId = await one.createTenant("Bounded", TenantTier.PROFESSIONAL);
        await one.modifyQuota(tenantId, { maxConcurrentTasks: 3 });
        await one.registerWorkflow({ id: "fan", name: "fan", steps: [{ id: "a", type: "work" }, ...Array.from({ length: 6 }, (_, i) => ({ id: `p${i}`, type: "work", depends_on: ["a"] }))] }, { tenantId });
        const started = await Promise.all(Array.from({ length: 8 }, () => one.startExecution("fan", {}, { tenantId })));
        await reached;
        const done = await Promise.all(started.map((s) => one.waitForExecution(s.executionId, { tenantId })));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        assert.equal(g.max, 3, "three ran at once (the quota was used) and never more");
      } finally {
        await one.close();
        await two.close();
        await db.cleanup();
      }
    });

    test("a linear workflow hands its slot from step to step: the quota holds across two nodes without the tenant lock", async () => {
      const db = await tempDatabase(dialect);
      const [one, two] = await nodes(db, { nodeId: "one", concurrency: 10, pollMs: 20 }, { nodeId: "two", concurrency: 10, pollMs: 20 });
      assert.ok(one && two);
      try {
        const { g, execute, reached } = gauge(2);
        for (const n of [one, two]) n.registerStepExecutor({ type: "work", execute });
        const tenantId = await one.createTenant("Linear", TenantTier.PROFESSIONAL);
        await one.modifyQuota(tenantId, { maxConcurrentTasks: 2 });
        await one.registerWorkflow({ id: "line", name: "line", steps: Array.from({ length: 5 }, (_, i) => ({ id: `s${i}`, type: "work", ...(i ? { depends_on: [`s${i - 1}`] } : {}) })) }, { tenantId });
        // Starts on both nodes, so both hand slots over and both claim.
        const started = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? two : one).startExecution("line", {}, { tenantId })));
        await reached;
        const done = await Promise.all(started.map((s) => one.waitForExecution(s.executionId, { tenantId })));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        assert.equal(g.max, 2, "two ran at once (the quota was used) and never more");
      } finally {
        await one.close();
        await two.close();
        await db.cleanup();
      }
    });

    test("a node never runs more steps than its concurrency, with starts and group commits leasing at once", async () => {
      const db = await tempDatabase(dialect);
      const [orch] = await nodes(db, { nodeId: "solo", concurrency: 3, pollMs: 20 });
      assert.ok(orch);
      try {
        // Steps take a few milliseconds of work, so starts, completions and their commits overlap.
        const g = { running: 0, max: 0 };
        orch.registerStepExecutor({
          type: "work",
          execute: async () => {
            g.running += 1;
            g.max = Math.max(g.max, g.running);
            await new Promise((resolve) => setTimeout(resolve, 2));
            g.running -= 1;
            return null;
          },
        });
        const tenantId = await orch.createTenant("Wide", TenantTier.ENTERPRISE);
        await orch.modifyQuota(tenantId, { maxConcurrentTasks: 1000, maxMemoryMb: 1_000_000, maxCpuPercent: 1_000_000 });
        await orch.registerWorkflow({ id: "fan", name: "fan", steps: [{ id: "a", type: "work" }, ...Array.from({ length: 4 }, (_, i) => ({ id: `p${i}`, type: "work", depends_on: ["a"] })), { id: "z", type: "work", depends_on: ["p0", "p1", "p2", "p3"] }] }, { tenantId });
        const started: string[] = [];
        for (let i = 0; i < 30; i++) started.push((await orch.startExecution("fan", {}, { tenantId })).executionId);
        const done = await Promise.all(started.map((id) => orch.waitForExecution(id, { tenantId })));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        assert.equal(g.max, 3, "three ran at once (the node was full) and never more");
      } finally {
        await orch.close();
        await db.cleanup();
      }
    });

    test("memory and CPU reservations bound leases across two nodes; steps without resources reserve 128 MB and 10 %", async () => {
      const db = await tempDatabase(dialect);
      const [one, two] = await nodes(db, { nodeId: "one", concurrency: 10, pollMs: 20 }, { nodeId: "two", concurrency: 10, pollMs: 20 });
      assert.ok(one && two);
      try {
        const mem = gauge(2);
        const cpu = gauge(2);
        const plain = gauge(2);
        for (const n of [one, two]) {
          n.registerStepExecutor({ type: "mem", execute: mem.execute });
          n.registerStepExecutor({ type: "cpu", execute: cpu.execute });
          n.registerStepExecutor({ type: "plain", execute: plain.execute });
        }
        const memTenant = await one.createTenant("Memory", TenantTier.ENTERPRISE);
        await one.modifyQuota(memTenant, { maxMemoryMb: 450, maxCpuPercent: 100 });
        const cpuTenant = await one.createTenant("Cpu", TenantTier.ENTERPRISE);
        await one.modifyQuota(cpuTenant, { maxCpuPercent: 70 });
        const plainTenant = await one.createTenant("Plain", TenantTier.ENTERPRISE);
        await one.modifyQuota(plainTenant, { maxMemoryMb: 300, maxCpuPercent: 100 });
        await one.registerWorkflow({ id: "w", name: "w", steps: [{ id: "s", type: "mem", resources: { memory_mb: 200 } }] }, { tenantId: memTenant });
        await one.registerWorkflow({ id: "w", name: "w", steps: [{ id: "s", type: "cpu", resources: { cpu_percent: 30 } }] }, { tenantId: cpuTenant });
        await one.registerWorkflow({ id: "w", name: "w", steps: [{ id: "s", type: "plain" }] }, { tenantId: plainTenant });
        const runs = [memTenant, cpuTenant, plainTenant].flatMap((tenantId) => Array.from({ length: 10 }, () => ({ tenantId })));
        const started = await Promise.all(runs.map(async (r) => ({ ...r, ...(await (r.tenantId === cpuTenant ? two : one).startExecution("w", {}, r)) })));
        await Promise.all([mem.reached, cpu.reached, plain.reached]);
        const done = await Promise.all(started.map((s) => (s.tenantId === cpuTenant ? two : one).waitForExecution(s.executionId, { tenantId: s.tenantId })));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        assert.equal(mem.g.max, 2, "two 200 MB steps fit in 450 MB, three do not");
        assert.equal(cpu.g.max, 2, "two 30 % steps fit in 70 %, three do not");
        assert.equal(plain.g.max, 2, "two default 128 MB steps fit in 300 MB, three do not");
      } finally {
        await one.close();
        await two.close();
        await db.cleanup();
      }
    });

    test("runs_on routes a step to nodes started with its label only", async () => {
      const db = await tempDatabase(dialect);
      const [plain, gpu] = await nodes(db, { nodeId: "plain", pollMs: 20 }, { nodeId: "gpu", labels: ["gpu"], pollMs: 20 });
      assert.ok(plain && gpu);
      try {
        const ran: Array<{ node: string; step: string }> = [];
        for (const [node, orch] of [["plain", plain], ["gpu", gpu]] as const) {
          orch.registerStepExecutor({
            type: "work",
            execute: (ctx) => {
              ran.push({ node, step: ctx.stepId });
              return null;
            },
          });
        }
        await plain.registerWorkflow({
          id: "train",
          name: "train",
          steps: [
            { id: "prep", type: "work" },
            { id: "fit", type: "work", runs_on: "gpu", depends_on: ["prep"] },
            { id: "report", type: "work", depends_on: ["fit"] },
          ],
        });
        const started = await Promise.all(Array.from({ length: 5 }, () => plain.startExecution("train")));
        const done = await Promise.all(started.map((s) => plain.waitForExecution(s.executionId)));
        assert.deepEqual(new Set(done.map((d) => d.status)), new Set(["completed"]));
        const fits = ran.filter((r) => r.step === "fit");
        assert.equal(fits.length, 5);
        assert.deepEqual(new Set(fits.map((r) => r.node)), new Set(["gpu"]), "only the labelled node ran the gpu step");
        assert.ok(ran.some((r) => r.step === "prep" && r.node === "plain"), "unlabelled steps run on any node");
      } finally {
        await plain.close();
        await gpu.close();
        await db.cleanup();
      }
    });
  });
}

test("runs_on and labels are validated with the path of the bad field", async () => {
  const db = await tempDatabase("sqlite");
  try {
    await assert.rejects(nodes(db, { labels: ["gpu", "no spaces"] }), (e: Error & { code?: string; details?: { path?: string } }) => e.code === "CONFIG_INVALID" && /labels\[1\]/.test(e.message));
    const [orch] = await nodes(db, {});
    assert.ok(orch);
    try {
      await assert.rejects(
        orch.registerWorkflow({ id: "bad", name: "bad", steps: [{ id: "s", type: "noop", runs_on: "" }] }),
        (e: Error & { code?: string; issues?: Array<{ path: string }> }) => e.code === "VALIDATION_FAILED" && JSON.stringify(e).includes("steps[0].runs_on"),
      );
    } finally {
      await orch.close();
    }
  } finally {
    await db.cleanup();
  }
});
