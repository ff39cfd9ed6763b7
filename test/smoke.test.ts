import assert from "node:assert/strict";
import { test } from "node:test";
import { TenantTier } from "synergymesh";
import { openTestOrchestrator } from "synergymesh/testing";

for (const dialect of ["sqlite", "postgres"] as const) {
  test(`smoke ${dialect}`, async () => {
    const t = await openTestOrchestrator(dialect);
    try {
      const id = await t.orch.createTenant("Acme", TenantTier.BASIC);
      const r = await t.orch.executeWithRetry(async () => ({ ok: 1 }), "c1", id);
      assert.equal(r.status, "success");
      const logs = await t.orch.getAuditLogs(id);
      assert.equal(logs.length, 2);
      assert.equal((await t.orch.verifyAuditChain()).ok, true);
      console.log(await t.orch.getMetrics());
    } finally {
      await t.dispose();
    }
  });
}
