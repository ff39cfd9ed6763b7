import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { ConcurrentLimitError, NonRetryableError, QuotaExceededError, RateLimitedError, RetryAfterError, TenantTier } from "synergymesh";
import type { TaskContext } from "synergymesh";
import { flushMicrotasks, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

describe("executeWithRetry", () => {
  let t: TestOrchestrator;
  before(async () => {
    t = await openTestOrchestrator("sqlite");
  });
  after(() => t.dispose());

  test("retries wait 1 s, 2 s, 4 s on the injected clock, then report the last error", async () => {
    const tenant = await t.orch.createTenant("Retry", TenantTier.PROFESSIONAL);
    const attempts: number[] = [];
    const running = t.orch.executeWithRetry(
      async ({ attempt }: TaskContext) => {
        attempts.push(attempt);
        throw new Error(`boom ${attempt}`);
      },
      "always_fails",
      tenant,
    );
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      const timer = await t.clock.nextTimer();
      waits.push(timer.delay);
      await t.clock.advance(timer.delay);
    }
    const result = await running;
    assert.deepEqual(waits, [1000, 2000, 4000]);
    assert.deepEqual(attempts, [0, 1, 2, 3]);
    assert.equal(result.status, "failed");
    assert.equal(result.retryCount, 3);
    assert.equal(result.error, "boom 3");
    assert.equal(result.durationMs, 7000);
  });

  test("maxDelay caps the backoff and a component policy applies by its id", async () => {
    t.orch.retryPolicies.set("capped", { maxRetries: 5, initialDelay: 1000, maxDelay: 3000 });
    let calls = 0;
    const running = t.orch.executeWithRetry(async () => {
      calls += 1;
      if (calls < 6) throw new Error("not yet");
      return "done";
    }, "capped");
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) {
      const timer = await t.clock.nextTimer();
      waits.push(timer.delay);
      await t.clock.advance(timer.delay);
    }
    const result = await running;
    assert.deepEqual(waits, [1000, 2000, 3000, 3000, 3000]);
    assert.equal(result.status, "success");
    assert.equal(result.output, "done");
    assert.equal(result.retryCount, 5);
  });

  test("a timeout aborts the attempt's signal and gives status timeout", async () => {
    let aborted = 0;
    const running = t.orch.executeWithRetry(
      ({ signal }: TaskContext) =>
        new Promise((_, reject) => {
          signal.addEventListener("abort", () => {
            aborted += 1;
            reject(signal.reason);
          });
        }),
      "slow",
      undefined,
      { maxRetries: 1, timeout: 5000 },
    );
    assert.equal((await t.clock.nextTimer()).delay, 5000);
    await t.clock.advance(5000); // first attempt times out
    assert.equal((await t.clock.nextTimer()).delay, 1000);
    await t.clock.advance(1000); // backoff
    await t.clock.advance(5000); // second attempt times out
    const result = await running;
    assert.equal(result.status, "timeout");
    assert.equal(result.errorCode, "TIMEOUT");
    assert.equal(result.retryCount, 1);
    assert.equal(aborted, 2);
  });

  test("NonRetryableError stops at once; RetryAfterError sets the wait", async () => {
    const stopped = await t.orch.executeWithRetry(() => {
      throw new NonRetryableError("bad input");
    }, "strict");
    assert.equal(stopped.status, "failed");
    assert.equal(stopped.retryCount, 0);
    assert.equal(stopped.errorCode, "NON_RETRYABLE");

    let n = 0;
    const running = t.orch.executeWithRetry(() => {
      n += 1;
      if (n === 1) throw new RetryAfterError("busy", 12_345);
      return n;
    }, "polite");
    assert.equal((await t.clock.nextTimer()).delay, 12_345);
    await t.clock.advance(12_345);
    assert.equal((await running).output, 2);
  });

  test("slots are released after throws and timeouts", async () => {
    const tenant = await t.orch.createTenant("Slots", TenantTier.BASIC);
    for (let i = 0; i < 7; i++) {
      const r = await t.orch.executeWithRetry(() => {
        throw new NonRetryableError("x");
      }, "thrower", tenant);
      assert.equal(r.status, "failed");
    }
    const running = t.orch.executeWithRetry(() => new Promise(() => {}), "hang", tenant, { maxRetries: 0, timeout: 100 });
    await t.clock.nextTimer();
    assert.equal((await t.orch.getTenantHealth(tenant)).activeTasks, 1);
    await t.clock.advance(100);
    assert.equal((await running).status, "timeout");
    const health = await t.orch.getTenantHealth(tenant);
    assert.equal(health.activeTasks, 0);
    assert.deepEqual(health.usage, { concurrentTasks: 0, memoryMb: 0, cpuPercent: 0, tasksLastHour: 8 }, "every attempt counts as an hourly start");
    assert.equal(await t.orch.checkResourceQuota(tenant, "concurrent"), true);
  });

  test("the 6th concurrent task of a basic tenant is refused, and the refusal is audited", async () => {
    const tenant = await t.orch.createTenant("Busy", TenantTier.BASIC);
    const gates: Array<() => void> = [];
    const running = Array.from({ length: 5 }, () =>
      t.orch.executeWithRetry(() => new Promise<void>((resolve) => gates.push(resolve)), "gate", tenant),
    );
    for (let turns = 0; gates.length < 5; turns++) {
      assert.ok(turns < 100, "five tasks should start");
      await flushMicrotasks();
    }
    assert.equal(await t.orch.checkResourceQuota(tenant, "concurrent"), false);
    await assert.rejects(t.orch.executeWithRetry(async () => 1, "gate", tenant), ConcurrentLimitError);
    for (const open of gates) open();
    await Promise.all(running);
    const refusals = await t.orch.getAuditLogs(tenant, { action: "execute_with_retry", status: "refused" });
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]?.metadata.reason, "CONCURRENT_LIMIT");
  });

  test("the 11th request within one second of a basic tenant is refused with the retry time, then admitted", async () => {
    const tenant = await t.orch.createTenant("Burst", TenantTier.BASIC);
    await t.orch.modifyQuota(tenant, { maxTasksPerHour: 1000 });
    for (let i = 0; i < 10; i++) {
      assert.equal((await t.orch.executeWithRetry(async () => i, "burst", tenant)).status, "success");
      await t.clock.advance(10);
    }
    // Ten admissions at t0 .. t0+90; now t0+100.
    assert.equal(await t.orch.checkResourceQuota(tenant, "rate_limit"), false);
    const refused = await t.orch.executeWithRetry(async () => 11, "burst", tenant).catch((e: unknown) => e);
    assert.ok(refused instanceof RateLimitedError);
    assert.equal(refused.retryAfterMs, 900);
    assert.equal(refused.status, 429);
    await t.clock.advance(899);
    await assert.rejects(t.orch.executeWithRetry(async () => 11, "burst", tenant), RateLimitedError);
    await t.clock.advance(1);
    assert.equal((await t.orch.executeWithRetry(async () => 11, "burst", tenant)).output, 11);
  });

  test("the hourly task limit refuses with QuotaExceededError", async () => {
    const tenant = await t.orch.createTenant("Hourly", TenantTier.BASIC);
    await t.orch.modifyQuota(tenant, { maxTasksPerHour: 3, rateLimitPerSecond: 1000 });
    for (let i = 0; i < 3; i++) await t.orch.executeWithRetry(async () => i, "h", tenant);
    assert.equal(await t.orch.checkResourceQuota(tenant, "hourly"), false);
    const refused = await t.orch.executeWithRetry(async () => 4, "h", tenant).catch((e: unknown) => e);
    assert.ok(refused instanceof QuotaExceededError);
    // The starts fell in one minute; they leave the sliding hour when that minute is an hour old.
    const startMinute = Math.floor(t.clock.now() / 60_000);
    assert.equal(refused.retryAfterMs, (startMinute + 60) * 60_000 - t.clock.now());
    await t.clock.advance(refused.retryAfterMs - 1);
    assert.equal(await t.orch.checkResourceQuota(tenant, "hourly"), false);
    await t.clock.advance(1);
    assert.equal(await t.orch.checkResourceQuota(tenant, "hourly"), true);
  });

  test("cancellation aborts the running attempt and stops retrying", async () => {
    const controller = new AbortController();
    const running = t.orch.executeWithRetry(
      ({ signal }: TaskContext) => new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("aborted")))),
      "cancel_me",
      undefined,
      { signal: controller.signal },
    );
    await flushMicrotasks();
    controller.abort(new Error("user cancelled"));
    const result = await running;
    assert.equal(result.status, "failed");
    assert.equal(result.errorCode, "CANCELLED");
    assert.equal(result.retryCount, 0);
    assert.equal(result.error, "user cancelled");
  });

  test("an already-cancelled call never runs the task, and a cancelled backoff ends the call", async () => {
    let ran = 0;
    const pre = await t.orch.executeWithRetry(() => (ran += 1), "never", undefined, { signal: AbortSignal.abort() });
    assert.equal(ran, 0);
    assert.equal(pre.errorCode, "CANCELLED");
    const controller = new AbortController();
    const running = t.orch.executeWithRetry(() => {
      ran += 1;
      throw new Error("again");
    }, "backoff_cancel", undefined, { signal: controller.signal });
    await t.clock.nextTimer();
    controller.abort();
    const result = await running;
    assert.equal(ran, 1);
    assert.equal(result.errorCode, "CANCELLED");
    assert.equal(result.retryCount, 1);
    assert.equal(t.clock.pendingTimers, 0, "the backoff timer was cleared");
  });

  test("a backoff holds no slot; a retry waits until the tenant has room", async () => {
    const tenant = await t.orch.createTenant("Room", TenantTier.BASIC);
    await t.orch.modifyQuota(tenant, { maxConcurrentTasks: 1 });
    let calls = 0;
    const retrying = t.orch.executeWithRetry(() => {
      calls += 1;
      if (calls === 1) throw new Error("first fails");
      return "second ok";
    }, "retrying", tenant);
    assert.equal((await t.clock.nextTimer()).delay, 1000);
    // During the backoff the slot is free: another call runs and holds it past the backoff.
    let release!: () => void;
    const holder = t.orch.executeWithRetry(() => new Promise<string>((resolve) => (release = () => resolve("held"))), "holder", tenant);
    for (let turns = 0; !release; turns++) {
      assert.ok(turns < 100, "the holder should start");
      await flushMicrotasks();
    }
    await t.clock.advance(1000);
    const wait = await t.clock.nextTimer();
    assert.equal(wait.delay, 1000, "the retry waits for the slot (CONCURRENT_LIMIT's retry hint)");
    assert.equal(calls, 1);
    release();
    assert.equal((await holder).output, "held");
    await t.clock.advance(1000);
    const result = await retrying;
    assert.equal(result.output, "second ok");
    assert.equal(calls, 2);
  });

  test("memory and CPU are reserved only when declared, and bad declarations are refused", async () => {
    const tenant = await t.orch.createTenant("Mem", TenantTier.BASIC);
    await assert.rejects(t.orch.executeWithRetry(async () => 1, "m", tenant, { resources: { memoryMb: 1024 } }), { code: "QUOTA_EXCEEDED" });
    assert.equal((await t.orch.executeWithRetry(async () => 1, "m", tenant, { resources: { memoryMb: 512, cpuPercent: 50 } })).status, "success");
    await assert.rejects(t.orch.executeWithRetry(async () => 1, "m", tenant, { resources: { memoryMb: Number.NaN } }), (e: Error & { details?: { issues: Array<{ path: string }> } }) => {
      assert.equal(e.details?.issues[0]?.path, "options.resources.memoryMb");
      return true;
    });
    assert.equal(await t.orch.checkResourceQuota(tenant, "memory", { memoryMb: 600, cpuPercent: 0 }), false);
    await assert.rejects(t.orch.checkResourceQuota(tenant, "memory", { memoryMb: -1, cpuPercent: 0 }), { code: "VALIDATION_FAILED" });
  });

  test("a cancelled call does not wait for a task that ignores its signal", async () => {
    const controller = new AbortController();
    let started = false;
    const running = t.orch.executeWithRetry(() => {
      started = true;
      return new Promise(() => {}); // never settles, never looks at its signal
    }, "deaf", undefined, { signal: controller.signal });
    for (let turns = 0; !started; turns++) {
      assert.ok(turns < 100);
      await flushMicrotasks();
    }
    controller.abort(new Error("stop"));
    const result = await running;
    assert.equal(result.errorCode, "CANCELLED");
    assert.equal(result.error, "stop");
  });

  test("a tenant suspended while a retry waits ends the call with a result and its record", async () => {
    const tenant = await t.orch.createTenant("Suspended later", TenantTier.BASIC);
    const running = t.orch.executeWithRetry(() => {
      throw new Error("first try fails");
    }, "suspend_mid_retry", tenant);
    await t.clock.nextTimer();
    await t.orch.suspendTenant(tenant);
    await t.clock.advance(1000);
    const result = await running;
    assert.equal(result.status, "failed");
    assert.equal(result.errorCode, "TENANT_INACTIVE");
    assert.equal(result.retryCount, 1);
    const [record] = await t.orch.getAuditLogs(tenant, { action: "execute_with_retry" });
    assert.equal(record?.status, "failed");
  });

  test("bad arguments get a validation error with the path", async () => {
    await assert.rejects(t.orch.executeWithRetry(null as never, "", undefined, { maxRetries: -2, resources: { disk: 1 } as never }), (e: Error & { details?: { issues: Array<{ path: string }> } }) => {
      assert.deepEqual(e.details?.issues.map((i) => i.path), ["taskFunc", "componentId", "options.maxRetries", "options.resources.disk"]);
      return true;
    });
    await assert.rejects(t.orch.executeWithRetry(async () => 1, ""), { code: "VALIDATION_FAILED" });
    assert.throws(() => t.orch.retryPolicies.set("x", { maxRetries: -1 }), (e: Error & { details?: { issues: Array<{ path: string }> } }) => {
      assert.equal(e.details?.issues[0]?.path, 'retryPolicies["x"].maxRetries');
      return true;
    });
    await assert.rejects(t.orch.executeWithRetry(async () => 1, "c", "tenant-ffffffffffff"), { code: "TENANT_NOT_FOUND" });
    await assert.rejects(t.orch.checkResourceQuota("default", "disk" as never), { code: "VALIDATION_FAILED" });
  });
});
