// Opening, closing and reopening: data and audit survive, a lost key file is refused, close ends running calls.
import assert from "node:assert/strict";
import { existsSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { Orchestrator, TenantTier } from "synergymesh";
import { FakeClock, flushMicrotasks, tempSqliteDatabase } from "synergymesh/testing";
import { silentLogger } from "../src/telemetry/logger.js";

test("tenants, statistics and the audit chain survive closing and reopening a SQLite file", async () => {
  const db = tempSqliteDatabase();
  try {
    const clock = new FakeClock();
    const first = await Orchestrator.open({ database: db.database, clock, logger: silentLogger });
    const tenant = await first.createTenant("Durable", TenantTier.ENTERPRISE);
    await clock.advance(1);
    await first.modifyQuota(tenant, { maxConcurrentTasks: 7 });
    await clock.advance(1);
    await first.executeWithRetry(async () => "x", "persist", tenant);
    await first.close();
    await assert.rejects(first.getTenant(tenant), { code: "STORE_UNAVAILABLE" });
    await assert.rejects(first.executeWithRetry(async () => 1, "c"), { code: "STORE_UNAVAILABLE" });

    assert.equal(statSync(db.database).mode & 0o777, 0o600, "the database is private to its owner");
    assert.equal(statSync(`${db.database}.key`).mode & 0o777, 0o600, "and so is the key file");

    const second = await Orchestrator.open({ database: db.database, clock, logger: silentLogger });
    try {
      assert.equal((await second.getTenant(tenant)).quota.maxConcurrentTasks, 7);
      assert.equal((await second.getTenantHealth(tenant)).totalExecutions, 1);
      assert.deepEqual((await second.getAuditLogs(tenant)).map((l) => l.action), ["execute_with_retry", "modify_quota", "create_tenant"]);
      assert.equal((await second.verifyAuditChain()).ok, true);
      await second.executeWithRetry(async () => "y", "persist", tenant);
      assert.equal((await second.verifyAuditChain(tenant)).recordsChecked, 4, "the chain continues after reopening");
    } finally {
      await second.close();
    }
  } finally {
    await db.cleanup();
  }
});

test("a database with signed chains refuses a newly created key file and keeps nothing of it", async () => {
  const db = tempSqliteDatabase();
  try {
    const orch = await Orchestrator.open({ database: db.database, logger: silentLogger });
    await orch.createTenant("Keyed", TenantTier.BASIC);
    await orch.close();
    rmSync(`${db.database}.key`);
    await assert.rejects(Orchestrator.open({ database: db.database, logger: silentLogger }), (e: Error & { code?: string }) => {
      assert.equal(e.code, "CONFIG_INVALID");
      assert.match(e.message, /restore the key file/);
      return true;
    });
    assert.equal(existsSync(`${db.database}.key`), false, "a second open must not accept a fresh key either");
  } finally {
    await db.cleanup();
  }
});

test("close cancels running calls, which still commit their records", async () => {
  const db = tempSqliteDatabase();
  try {
    const orch = await Orchestrator.open({ database: db.database, logger: silentLogger, clock: new FakeClock() });
    let started = false;
    const running = orch.executeWithRetry(({ signal }) => {
      started = true;
      return new Promise((_, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    }, "long");
    for (let turns = 0; !started; turns++) {
      assert.ok(turns < 100);
      await flushMicrotasks();
    }
    await orch.close();
    const result = await running;
    assert.equal(result.errorCode, "CANCELLED");
    const reopened = await Orchestrator.open({ database: db.database, logger: silentLogger });
    try {
      const [log] = await reopened.getAuditLogs("default", { action: "execute_with_retry", hours: 24 * 365 * 10 });
      assert.equal(log?.metadata.cancelled, true);
    } finally {
      await reopened.close();
    }
  } finally {
    await db.cleanup();
  }
});

test("bad options fail with CONFIG_INVALID naming the option", async () => {
  await assert.rejects(Orchestrator.open({ database: ":memory:", auditKey: "abcd" }), { code: "CONFIG_INVALID", details: { path: "auditKey" } });
  await assert.rejects(Orchestrator.open({ database: ":memory:", poolSize: 0 }), { code: "CONFIG_INVALID", details: { path: "poolSize" } });
  await assert.rejects(Orchestrator.open({ database: "  " }), { code: "CONFIG_INVALID", details: { path: "database" } });
  const db = tempSqliteDatabase();
  try {
    // A folder that does not exist is an error, not something to create.
    await assert.rejects(Orchestrator.open({ database: join(db.database, "..", "missing", "x.db"), logger: silentLogger }), { code: "CONFIG_INVALID", details: { path: "keyFile" } });
  } finally {
    await db.cleanup();
  }
});
