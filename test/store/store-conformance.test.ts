// The Store contract, run against every implementation (SQLite and PostgreSQL).
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { createAuditSealer } from "../../src/audit/audit-chain.js";
import { verifyAuditChain } from "../../src/audit/verify-audit-chain.js";
import { openStore } from "../../src/store/open-store.js";
import type { AuditEntry, Store, TenantRow } from "../../src/store/store.js";
import { TIER_QUOTAS } from "synergymesh";
import { DIALECTS, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";

const key = randomBytes(32);
const sealer = createAuditSealer(key);

function tenantRow(id: string): TenantRow {
  return { tenantId: id, name: id, tier: "basic", status: "active", quota: { ...TIER_QUOTAS.basic }, features: [], createdAt: 1, updatedAt: 1, deletedAt: null };
}

let n = 0;
function entry(tenantId: string, action = "execute_with_retry"): AuditEntry {
  n += 1;
  return { auditId: `a-${process.pid}-${n}-${Math.random()}`, tenantId, timestamp: 1000 + n, action, componentId: "c", userId: "u", status: "success", metadata: { n }, chain: "standard" };
}

for (const dialect of DIALECTS) {
  describe(`store conformance: ${dialect}`, () => {
    let db: TestDatabase;
    let store: Store;
    const open = () => openStore({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), sealer });
    before(async () => {
      db = await tempDatabase(dialect);
      store = await open();
    });
    after(async () => {
      await store.close();
      await db.cleanup();
    });

    test("insertTenant refuses a duplicate id and writes nothing for it", async () => {
      assert.equal(await store.insertTenant(tenantRow("tenant-aaaaaaaaaaaa"), [entry("tenant-aaaaaaaaaaaa", "create_tenant")]), true);
      assert.equal(await store.insertTenant(tenantRow("tenant-aaaaaaaaaaaa"), [entry("tenant-aaaaaaaaaaaa", "create_tenant")]), false);
      assert.equal((await store.queryAudit({ tenantId: "tenant-aaaaaaaaaaaa" })).length, 1);
      assert.equal(await store.countTenants(), 1);
    });

    test("updateTenant applies the change of the locked row with its audit, or nothing", async () => {
      const after = await store.updateTenant("tenant-aaaaaaaaaaaa", (before) => ({ patch: { quota: { ...before.quota, maxConcurrentTasks: 9 }, updatedAt: 5 }, audit: [entry("tenant-aaaaaaaaaaaa", "modify_quota")] }));
      assert.equal(after?.quota.maxConcurrentTasks, 9);
      assert.equal((await store.getTenant("tenant-aaaaaaaaaaaa"))?.updatedAt, 5);
      assert.equal(await store.updateTenant("tenant-missing00000", () => assert.fail("not called")), undefined);
    });

    test("a failed transaction leaves neither the change nor its audit record", async () => {
      const before = await store.queryAudit({ tenantId: "tenant-aaaaaaaaaaaa" });
      await assert.rejects(
        store.updateTenant("tenant-aaaaaaaaaaaa", () => ({ patch: { status: "suspended", updatedAt: 6 }, audit: [entry("tenant-aaaaaaaaaaaa"), { ...entry("tenant-aaaaaaaaaaaa"), auditId: before[0]?.auditId as string }] })),
      );
      assert.equal((await store.getTenant("tenant-aaaaaaaaaaaa"))?.status, "active");
      assert.equal((await store.queryAudit({ tenantId: "tenant-aaaaaaaaaaaa" })).length, before.length);
    });

    test("commitBatch seals a large batch into one linear chain and sums statistics", async () => {
      const entries = Array.from({ length: 1200 }, () => entry("tenant-bbbbbbbbbbbb"));
      await store.commitBatch({ audit: entries, stats: [{ tenantId: "tenant-bbbbbbbbbbbb", total: 1200, successful: 1000, failed: 200, timeouts: 5, retries: 7, durationMs: 1234 }] });
      await store.commitBatch({ audit: [], stats: [{ tenantId: "tenant-bbbbbbbbbbbb", total: 1, successful: 1, failed: 0, timeouts: 0, retries: 0, durationMs: 1 }] });
      const chain = await store.readAuditChain("tenant-bbbbbbbbbbbb", "standard", 0, 5000);
      assert.deepEqual(chain.map((r) => r.seq), Array.from({ length: 1200 }, (_, i) => i + 1));
      const stats = await store.getExecutionStats("tenant-bbbbbbbbbbbb");
      assert.deepEqual(stats, { tenantId: "tenant-bbbbbbbbbbbb", total: 1201, successful: 1001, failed: 200, timeouts: 5, retries: 7, durationMs: 1235 });
      assert.equal((await verifyAuditChain(store, key, "tenant-bbbbbbbbbbbb")).ok, true);
    });

    test("two store instances appending to one chain at once keep it linear", async () => {
      const other = await open();
      try {
        const writes = [];
        for (let i = 0; i < 20; i++) {
          writes.push(store.commitBatch({ audit: [entry("tenant-cccccccccccc"), entry("tenant-cccccccccccc")], stats: [] }));
          writes.push(other.commitBatch({ audit: [entry("tenant-cccccccccccc")], stats: [] }));
        }
        await Promise.all(writes);
      } finally {
        await other.close();
      }
      const v = await verifyAuditChain(store, key, "tenant-cccccccccccc");
      assert.equal(v.ok, true, JSON.stringify(v.firstBroken));
      assert.equal(v.recordsChecked, 60);
    });

    test("token usage adds up per tenant and day", async () => {
      await store.addTokenUsage("tenant-aaaaaaaaaaaa", "2026-01-01", 10, 20);
      const row = await store.addTokenUsage("tenant-aaaaaaaaaaaa", "2026-01-01", 1, 2);
      assert.deepEqual(row, { tenantId: "tenant-aaaaaaaaaaaa", day: "2026-01-01", inputTokens: 11, outputTokens: 22 });
      assert.equal((await store.getTokenUsage("tenant-aaaaaaaaaaaa", "2026-01-02")).inputTokens, 0);
    });

    test("secrets: stored as given (ciphertext), replaced, listed by name only, deleted with audit", async () => {
      assert.equal(await store.putSecret("tenant-aaaaaaaaaaaa", "k", "v1.cipher", 1, [entry("tenant-aaaaaaaaaaaa", "set_secret")]), true);
      assert.equal(await store.putSecret("tenant-aaaaaaaaaaaa", "k", "v1.other", 2, [entry("tenant-aaaaaaaaaaaa", "set_secret")]), false);
      assert.equal(await store.getSecret("tenant-aaaaaaaaaaaa", "k"), "v1.other");
      assert.equal(await store.getSecret("tenant-bbbbbbbbbbbb", "k"), undefined, "another tenant's secret is invisible");
      assert.deepEqual(await store.listSecrets("tenant-aaaaaaaaaaaa"), [{ name: "k", createdAt: 1, updatedAt: 2 }]);
      assert.equal(await store.deleteSecret("tenant-aaaaaaaaaaaa", "k", [entry("tenant-aaaaaaaaaaaa", "delete_secret")]), true);
      assert.equal(await store.deleteSecret("tenant-aaaaaaaaaaaa", "k", []), false);
    });

    test("API keys: unique prefixes, tenant-scoped listing and revocation, with audit records", async () => {
      const key = (keyId: string, tenantId: string | null, prefix: string) => ({ keyId, tenantId, prefix, hash: "ab".repeat(32), name: keyId, role: tenantId ? "owner" : "admin", createdAt: 1, expiresAt: null, revokedAt: null, createdBy: "u" });
      const a = "tenant-aaaaaaaaaaaa";
      assert.equal(await store.access.insertApiKey(key("k1", a, "smk_prefix01"), [entry(a, "create_api_key")]), true);
      assert.equal(await store.access.insertApiKey(key("k2", a, "smk_prefix01"), [entry(a, "create_api_key")]), false, "a taken prefix writes nothing");
      assert.equal(await store.access.insertApiKey(key("k3", a, "smk_prefix03"), [entry(a, "create_api_key")]), true);
      assert.equal(await store.access.insertApiKey(key("admin", null, "smk_prefix04"), [entry(a, "create_api_key")]), true);
      assert.equal((await store.access.findApiKeyByPrefix("smk_prefix01"))?.keyId, "k1");
      assert.deepEqual((await store.access.listApiKeys(a)).map((k) => k.keyId).sort(), ["k1", "k3"]);
      assert.deepEqual((await store.access.listApiKeys(null)).map((k) => k.keyId), ["admin"]);
      assert.equal(await store.access.revokeApiKey("tenant-bbbbbbbbbbbb", "k1", 5, []), undefined, "another tenant's key is not found");
      assert.equal((await store.access.revokeApiKey(a, "k1", 5, [entry(a, "revoke_api_key")]))?.revokedAt, 5);
      assert.equal(await store.access.revokeTenantApiKeys(a, 6, [entry(a, "revoke_api_key")]), 1, "only the live key is revoked again");
      assert.equal((await store.access.findApiKeyByPrefix("smk_prefix04"))?.revokedAt, null, "the admin key has no tenant");
      const actions = (await store.queryAudit({ tenantId: a, action: "revoke_api_key" })).length;
      assert.equal(actions, 2);
    });

    test("tenant documents: upsert, read, list by kind and delete, per tenant", async () => {
      const a = "tenant-aaaaaaaaaaaa";
      assert.equal(await store.access.putDocument({ tenantId: a, kind: "script", name: "x.js", body: { code: "1" } }, 1, [entry(a, "set_script")]), true);
      assert.equal(await store.access.putDocument({ tenantId: a, kind: "script", name: "x.js", body: { code: "2" } }, 2, [entry(a, "set_script")]), false);
      assert.equal(await store.access.putDocument({ tenantId: a, kind: "policy", name: "x.js", body: { statements: [] } }, 3, [entry(a, "create_policy")]), true);
      const doc = await store.access.getDocument(a, "script", "x.js");
      assert.deepEqual([doc?.body, doc?.createdAt, doc?.updatedAt], [{ code: "2" }, 1, 2]);
      assert.equal(await store.access.getDocument("tenant-bbbbbbbbbbbb", "script", "x.js"), undefined);
      assert.deepEqual((await store.access.listDocuments(a, "policy")).map((d) => d.name), ["x.js"]);
      assert.equal(await store.access.deleteDocument(a, "script", "x.js", [entry(a, "delete_script")]), true);
      assert.equal(await store.access.deleteDocument(a, "script", "x.js", []), false);
      assert.equal((await store.access.listDocuments(a, "policy")).length, 1, "other kinds stay");
    });

    test("platform counts start empty", async () => {
      assert.deepEqual(await store.access.platformCounts(), { workflows: 0, activeWorkflows: 0, pending: 0, running: 0, paused: 0 });
    });

    test("opening again applies no migration twice and keeps the data", async () => {
      const again = await open();
      try {
        assert.equal((await again.getTenant("tenant-aaaaaaaaaaaa"))?.quota.maxConcurrentTasks, 9);
      } finally {
        await again.close();
      }
    });

    test("a closed store refuses with STORE_UNAVAILABLE", async () => {
      const s = await open();
      await s.close();
      await assert.rejects(s.getTenant("x"), { code: "STORE_UNAVAILABLE" });
    });
  });
}
