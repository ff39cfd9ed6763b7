import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TIER_QUOTAS, TenantTier } from "synergymesh";
import { DIALECTS, openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

test("the tier table is exactly seed 000's", () => {
  const table = Object.fromEntries(
    Object.entries(TIER_QUOTAS).map(([tier, q]) => [tier, [q.maxConcurrentTasks, q.maxMemoryMb, q.maxCpuPercent, q.maxTasksPerHour, q.rateLimitPerSecond]]),
  );
  assert.deepEqual(table, {
    basic: [5, 512, 50, 100, 10],
    professional: [20, 2048, 75, 5000, 100],
    enterprise: [100, 8192, 95, 100000, 1000],
  });
});

for (const dialect of DIALECTS) {
  describe(`tenants on ${dialect}`, () => {
    let t: TestOrchestrator;
    before(async () => {
      t = await openTestOrchestrator(dialect);
    });
    after(() => t.dispose());

    test("create and read: id format, tier quota, features, audit record", async () => {
      const id = await t.orch.createTenant("Company A", TenantTier.PROFESSIONAL);
      assert.match(id, /^tenant-[0-9a-f]{12}$/);
      const tenant = await t.orch.getTenant(id);
      assert.equal(tenant.tenantName, "Company A");
      assert.equal(tenant.tier, "professional");
      assert.equal(tenant.status, "active");
      assert.deepEqual(tenant.quota, TIER_QUOTAS.professional);
      assert.ok(tenant.featuresEnabled.includes("schedules"));
      assert.equal(tenant.createdAt.getTime(), t.clock.now());
      const logs = await t.orch.getAuditLogs(id, { hours: 168, action: "create_tenant" });
      assert.equal(logs.length, 1);
      assert.deepEqual(logs[0]?.metadata, { tenant_name: "Company A", tier: "professional" });
    });

    test("the default tenant exists with enterprise quotas and serves calls that name no tenant", async () => {
      const tenant = await t.orch.getTenant("default");
      assert.deepEqual(tenant.quota, TIER_QUOTAS.enterprise);
      const r = await t.orch.executeWithRetry(async () => "ok", "no_tenant");
      assert.equal(r.status, "success");
      assert.equal((await t.orch.getAuditLogs("default", { action: "execute_with_retry" })).length, 1);
    });

    test("modifyQuota merges, validates every field with its path, and is audited as sensitive", async () => {
      const id = await t.orch.createTenant("Quota", TenantTier.BASIC);
      const updated = await t.orch.modifyQuota(id, { maxConcurrentTasks: 50, maxTokensPerDay: 1000 });
      assert.equal(updated.quota.maxConcurrentTasks, 50);
      assert.equal(updated.quota.maxMemoryMb, 512);
      await assert.rejects(t.orch.modifyQuota(id, { maxConcurrentTasks: -1, bogus: 1 } as never), (e: Error & { details?: { issues: Array<{ path: string }> } }) => {
        assert.deepEqual(e.details?.issues.map((i) => i.path), ["quota.maxConcurrentTasks", "quota.bogus"]);
        return true;
      });
      assert.equal((await t.orch.getTenant(id)).quota.maxConcurrentTasks, 50, "a refused change changes nothing");
      const [log] = await t.orch.getAuditLogs(id, { action: "modify_quota" });
      assert.equal((log?.metadata.after as { maxConcurrentTasks: number }).maxConcurrentTasks, 50);
    });

    test("suspend refuses work with TENANT_INACTIVE; resume restores it", async () => {
      const id = await t.orch.createTenant("Sleepy", TenantTier.BASIC);
      await t.orch.suspendTenant(id);
      await assert.rejects(t.orch.executeWithRetry(async () => 1, "c", id), { code: "TENANT_INACTIVE", status: 403 });
      await t.orch.resumeTenant(id);
      assert.equal((await t.orch.executeWithRetry(async () => 1, "c", id)).status, "success");
    });

    test("delete suspends and keeps the data; purge removes the tenant, audit stays", async () => {
      const id = await t.orch.createTenant("Gone", TenantTier.BASIC);
      const deleted = await t.orch.deleteTenant(id);
      assert.equal(deleted.status, "suspended");
      assert.ok(deleted.deletedAt);
      assert.equal((await t.orch.listTenants()).some((x) => x.tenantId === id), false);
      assert.equal((await t.orch.listTenants({ includeDeleted: true })).some((x) => x.tenantId === id), true);
      await assert.rejects(t.orch.resumeTenant(id), { code: "CONFLICT" });
      await assert.rejects(t.orch.deleteTenant("default"), { code: "CONFLICT" });
      await t.orch.purgeTenant(id);
      await assert.rejects(t.orch.getTenant(id), { code: "TENANT_NOT_FOUND", status: 404 });
      assert.equal((await t.orch.verifyAuditChain(id)).ok, true);
    });

    test("bad names and tiers are refused with their paths", async () => {
      await assert.rejects(t.orch.createTenant("", "gold" as never), (e: Error & { details?: { issues: Array<{ path: string }> } }) => {
        assert.deepEqual(e.details?.issues.map((i) => i.path), ["tenantName", "tier"]);
        return true;
      });
    });

    test("token usage accumulates per UTC day and a daily budget refuses", async () => {
      const id = await t.orch.createTenant("Tokens", TenantTier.PROFESSIONAL);
      await t.orch.modifyQuota(id, { maxTokensPerDay: 1000 });
      await t.orch.recordTokenUsage(id, 300, 200);
      const usage = await t.orch.recordTokenUsage(id, 100, 100);
      assert.deepEqual({ total: usage.totalTokens, remaining: usage.remaining }, { total: 700, remaining: 300 });
      await t.orch.checkTokenBudget(id, 300);
      await assert.rejects(t.orch.checkTokenBudget(id, 301), { code: "QUOTA_EXCEEDED", details: { tenantId: id, quota: "LLM tokens per day", limit: 1000, retryAfterMs: 86_400_000 - (t.clock.now() % 86_400_000) } });
      await t.orch.recordTokenUsage(id, 300, 0);
      await assert.rejects(t.orch.checkTokenBudget(id), { code: "QUOTA_EXCEEDED" }, "a used-up budget refuses even an unknown estimate");
      await t.clock.advance(86_400_000);
      assert.equal((await t.orch.getTokenUsage(id)).totalTokens, 0, "a new day starts empty");
      await assert.rejects(t.orch.recordTokenUsage(id, -1, 0), { code: "VALIDATION_FAILED" });
    });

    test("metrics and tenant health count durable totals", async () => {
      const id = await t.orch.createTenant("Health", TenantTier.PROFESSIONAL);
      await t.orch.executeWithRetry(async () => 1, "ok", id);
      await t.orch.executeWithRetry(async () => 1, "ok", id);
      await t.orch.executeWithRetry(() => {
        throw new Error("x");
      }, "bad", id, { maxRetries: 0 });
      const health = await t.orch.getTenantHealth(id);
      assert.equal(health.totalExecutions, 3);
      assert.equal(health.successful, 2);
      assert.equal(health.failed, 1);
      assert.ok(Math.abs(health.uptimePercent - 66.666) < 0.01);
      const m = await t.orch.getMetrics();
      assert.ok(m.totalExecutions >= 3);
      assert.equal(m.successfulExecutions + m.failedExecutions, m.totalExecutions);
      assert.equal(m.registeredTenants, (await t.orch.listTenants()).length);
      const text = await t.orch.prometheus.text();
      assert.match(text, new RegExp(`orchestrator_tasks_total\\{tenant_id="${id}",status="success"\\} 2`));
      assert.match(text, /# TYPE orchestrator_executions_total counter/);
      assert.match(text, /# TYPE orchestrator_active_executions gauge/);
    });
  });
}
