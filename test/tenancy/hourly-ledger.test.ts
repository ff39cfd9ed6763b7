import assert from "node:assert/strict";
import { test } from "node:test";
import { HourlyCounter } from "../../src/tenancy/hourly-counter.js";
import { ResourceLedger } from "../../src/tenancy/resource-ledger.js";
import { TIER_QUOTAS } from "synergymesh";

test("hourly counter: a sliding hour at minute resolution", () => {
  const c = new HourlyCounter();
  const t0 = 10 * 3_600_000;
  for (let i = 0; i < 100; i++) assert.equal(c.tryAcquire("a", 100, t0 + i * 1000).allowed, true);
  const refused = c.tryAcquire("a", 100, t0 + 30 * 60_000);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 30 * 60_000, "the first minute's starts leave the hour 60 minutes after it began");
  assert.equal(c.tryAcquire("a", 100, t0 + 59 * 60_000).allowed, false);
  assert.equal(c.tryAcquire("a", 100, t0 + 60 * 60_000).allowed, true);
  assert.equal(c.peek("b", 100, t0).used, 0);
});

test("ledger: slots, memory and CPU are reserved and released exactly once", () => {
  const ledger = new ResourceLedger();
  const quota = TIER_QUOTAS.basic;
  const held = [];
  for (let i = 0; i < 4; i++) {
    const r = ledger.tryReserve("a", quota, { memoryMb: 128, cpuPercent: 10 });
    assert.notEqual(typeof r, "string");
    held.push(r);
  }
  assert.equal(ledger.tryReserve("a", quota, { memoryMb: 128, cpuPercent: 10 }), "memory", "512 MB are all reserved");
  assert.equal(ledger.tryReserve("a", quota, { memoryMb: 1, cpuPercent: 11 }), "memory");
  const r5 = ledger.tryReserve("a", quota, { memoryMb: 0, cpuPercent: 10 });
  assert.notEqual(typeof r5, "string");
  assert.equal(ledger.tryReserve("a", quota, { memoryMb: 0, cpuPercent: 0 }), "concurrent", "basic runs 5 at once");
  const first = held[0] as { release(): void };
  first.release();
  first.release();
  assert.deepEqual(ledger.usage("a"), { tasks: 4, memoryMb: 384, cpuPercent: 40 });
  assert.equal(ledger.wouldRefuse("a", quota, { memoryMb: 0, cpuPercent: 11 }), "cpu");
});
