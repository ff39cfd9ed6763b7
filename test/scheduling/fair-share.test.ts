// The fair-share pick on its own: weights by tier, ties by recent service, quotas that stop a
// tenant's turn, and the order inside one tenant.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeaseUsage, TenantLimits } from "../../src/scheduling/admission.js";
import { admits } from "../../src/scheduling/admission.js";
import type { Candidate } from "../../src/scheduling/fair-share.js";
import { pickFair } from "../../src/scheduling/fair-share.js";
import { TIER_WEIGHTS } from "../../src/scheduling/tier-weights.js";
import { VirtualTime } from "../../src/scheduling/virtual-time.js";

function tasks(tenantId: string, n: number, from = 0, extra: Partial<Candidate> = {}): Candidate[] {
  return Array.from({ length: n }, (_, i) => ({ taskId: `${tenantId}-${from + i}`, tenantId, executionId: `${tenantId}-x${from + i}`, priority: 5, readyAt: from + i, seq: from + i, memoryMb: 128, cpuPercent: 10, ...extra }));
}

const open = (weight: number): TenantLimits => ({ weight, quota: { maxConcurrentTasks: 1000, maxMemoryMb: 1e9, maxCpuPercent: 1e9 } });

test("a tenant with a long backlog does not take the batch: a newcomer's single task is in it", () => {
  const picked = pickFair([...tasks("a", 100), ...tasks("b", 1, 1000)], new Map(), () => open(1), 2, new VirtualTime());
  assert.deepEqual(picked.map((c) => c.taskId).sort(), ["a-0", "b-1000"]);
});

test("tenants already holding leases wait for those holding fewer (counted per unit of weight)", () => {
  const usage = new Map<string, LeaseUsage>([["a", { tasks: 8, memoryMb: 0, cpuPercent: 0 }]]);
  const picked = pickFair([...tasks("a", 10), ...tasks("b", 10, 100)], usage, () => open(1), 8, new VirtualTime());
  assert.equal(picked.filter((c) => c.tenantId === "b").length, 8, "b catches up with a's eight running tasks first");
});

test("weights by tier: enterprise gets four leases for basic's one", () => {
  const limits = (t: string) => open(t === "e" ? TIER_WEIGHTS.enterprise : TIER_WEIGHTS.basic);
  const picked = pickFair([...tasks("e", 50), ...tasks("b", 50, 100)], new Map(), limits, 10, new VirtualTime());
  assert.equal(picked.filter((c) => c.tenantId === "e").length, 8);
  assert.equal(picked.filter((c) => c.tenantId === "b").length, 2);
});

test("with one slot at a time, ties go to the tenant served least recently", () => {
  const time = new VirtualTime();
  const order: string[] = [];
  let a = tasks("a", 10);
  let b = tasks("b", 3, 100);
  for (let i = 0; i < 6; i++) {
    const [c] = pickFair([...a, ...b], new Map(), () => open(1), 1, time);
    assert.ok(c);
    order.push(c.tenantId);
    a = a.filter((t) => t !== c);
    b = b.filter((t) => t !== c);
  }
  assert.deepEqual(order, ["a", "b", "a", "b", "a", "b"]);
});

test("a quota stops the tenant's turn; its next task is not overtaken by a smaller one behind it", () => {
  const limits: TenantLimits = { weight: 1, quota: { maxConcurrentTasks: 10, maxMemoryMb: 500, maxCpuPercent: 100 } };
  const candidates = [...tasks("a", 1, 0, { memoryMb: 300 }), ...tasks("a", 1, 1, { memoryMb: 300 }), ...tasks("a", 1, 2, { memoryMb: 100 })];
  const picked = pickFair(candidates, new Map(), () => limits, 10, new VirtualTime());
  assert.deepEqual(picked.map((c) => c.taskId), ["a-0"]);
});

test("within a tenant the given order holds (priority first, as the store ranks it)", () => {
  const candidates = [...tasks("a", 1, 5, { priority: 9 }), ...tasks("a", 1, 1, { priority: 2 })];
  assert.deepEqual(pickFair(candidates, new Map(), () => open(1), 2, new VirtualTime()).map((c) => c.taskId), ["a-5", "a-1"]);
});

test("admission: concurrency, memory and CPU bound; a tenant holding nothing may run one oversized task", () => {
  const limits: TenantLimits = { weight: 1, quota: { maxConcurrentTasks: 2, maxMemoryMb: 256, maxCpuPercent: 20 } };
  const req = { memoryMb: 128, cpuPercent: 10 };
  assert.equal(admits(limits, { tasks: 1, memoryMb: 128, cpuPercent: 10 }, req), true);
  assert.equal(admits(limits, { tasks: 2, memoryMb: 0, cpuPercent: 0 }, req), false, "concurrency");
  assert.equal(admits(limits, { tasks: 1, memoryMb: 200, cpuPercent: 0 }, req), false, "memory");
  assert.equal(admits(limits, { tasks: 1, memoryMb: 0, cpuPercent: 15 }, req), false, "cpu");
  assert.equal(admits(limits, { tasks: 0, memoryMb: 0, cpuPercent: 0 }, { memoryMb: 4096, cpuPercent: 90 }), true);
  assert.equal(admits({ weight: 1, quota: undefined }, { tasks: 99, memoryMb: 1e9, cpuPercent: 1e9 }, req), true);
});
