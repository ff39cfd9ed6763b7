// Authentication over a real listener: every path but /health needs a key in any spelling; keys
// are shown once, stored hashed, expire, revoke, and die with their tenant; roles and policies
// decide what a key may do, deny winning.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { rawQuery, DIALECTS } from "synergymesh/testing";
import type { Harness } from "./server-harness.js";
import { ONE_STEP, startHarness } from "./server-harness.js";

for (const dialect of DIALECTS) {
  describe(`authentication and roles: ${dialect}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
    });
    after(() => h.close());

    test("only /health is public; every other spelling of a path needs a key", async () => {
      assert.equal((await h.call("GET", "/health", { key: null })).status, 200);
      for (const path of ["/api/v1/workflows", "/API/v1/workflows", "/api/v1/workflows/", "/api/v1/%77orkflows", "/api//v1/workflows", "/metrics", "/openapi.json", "/docs", "/docs/", "/nope", "/health/../api/v1/workflows", "/hooks/../api/v1/workflows"]) {
        const res = await h.call("GET", path, { key: null });
        assert.equal(res.status, 401, `${path}: ${res.status}`);
        assert.equal(res.body.error.code, "UNAUTHENTICATED");
        assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
      }
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: "smk_" + "x".repeat(43) })).status, 401);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: "not-a-key" })).status, 401);
      assert.equal((await h.call("GET", "/api/v1/workflows", { headers: { authorization: `Basic ${h.a.key}` }, key: null })).status, 401);
    });

    test("a key is shown once, stored as a hash, and listed without its value", async () => {
      const created = await h.call("POST", "/api/v1/api-keys", { body: { name: "ci", role: "operator" } });
      assert.equal(created.status, 201);
      assert.match(created.body.key, /^smk_[A-Za-z0-9_-]{43}$/);
      const listed = await h.call("GET", "/api/v1/api-keys");
      assert.ok(!listed.text.includes(created.body.key));
      assert.ok(listed.body.items.some((k: { id: string; prefix: string }) => k.id === created.body.id && created.body.key.startsWith(k.prefix)));
      const rows = await rawQuery<{ hash: string }>(h.t.db, "SELECT hash FROM api_keys WHERE key_id = $1", [created.body.id]);
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]?.hash, created.body.key);
      assert.match(rows[0]?.hash ?? "", /^[0-9a-f]{64}$/);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: created.body.key })).status, 200);
      assert.equal((await h.call("DELETE", `/api/v1/api-keys/${created.body.id}`)).status, 200);
      h.t.clock.advance(60_000); // past the key cache
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: created.body.key })).status, 401);
    });

    test("an expired key is refused", async () => {
      const expiresAt = new Date(h.t.clock.now() + 60_000).toISOString();
      const created = await h.call("POST", "/api/v1/api-keys", { body: { role: "viewer", expires_at: expiresAt } });
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: created.body.key })).status, 200);
      h.t.clock.advance(61_000);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: created.body.key })).status, 401);
      const past = await h.call("POST", "/api/v1/api-keys", { body: { role: "viewer", expires_at: new Date(0).toISOString() } });
      assert.equal(past.status, 400);
      assert.equal(past.body.error.details.issues[0].path, "expires_at");
    });

    test("roles: viewer reads only, operator runs but manages no keys or policies, owner does all", async () => {
      const key = async (role: string) => (await h.call("POST", "/api/v1/api-keys", { body: { role } })).body.key as string;
      const viewer = await key("viewer");
      const operator = await key("operator");
      assert.equal((await h.call("POST", "/api/v1/workflows", { body: { ...ONE_STEP, id: "prod-report" } })).status, 201);
      assert.equal((await h.call("GET", "/api/v1/workflows/prod-report", { key: viewer })).status, 200);
      const denied = await h.call("POST", "/api/v1/workflows/prod-report/execute", { key: viewer, body: {} });
      assert.equal(denied.status, 403);
      assert.equal(denied.body.error.code, "POLICY_DENIED");
      assert.equal((await h.call("PUT", "/api/v1/secrets/x", { key: viewer, body: { value: "v" } })).status, 403);
      assert.equal((await h.call("POST", "/api/v1/workflows/prod-report/execute", { key: operator, body: {} })).status, 202);
      assert.equal((await h.call("POST", "/api/v1/api-keys", { key: operator, body: { role: "owner" } })).status, 403);
      assert.equal((await h.call("PUT", "/api/v1/policies/p", { key: operator, body: { statements: [{ effect: "allow", principals: ["*"], actions: ["*"], resources: ["*"] }] } })).status, 403);
      assert.equal((await h.call("GET", "/api/v1/tenants", { key: h.a.key })).status, 403, "tenant owners do not administer the platform");

      // The owner denies operators `execute` on prod-*; deny wins over the role's allow.
      const put = await h.call("PUT", "/api/v1/policies/no-prod", { body: { statements: [{ effect: "deny", principals: ["role:operator"], actions: ["execute"], resources: ["workflow:prod-*"] }] } });
      assert.equal(put.status, 200, put.text);
      const refused = await h.call("POST", "/api/v1/workflows/prod-report/execute", { key: operator, body: {} });
      assert.equal(refused.status, 403);
      assert.match(refused.body.error.message, /denied by statement 1 of the tenant's policies/);
      assert.equal((await h.call("POST", "/api/v1/workflows", { key: operator, body: { ...ONE_STEP, id: "dev-report" } })).status, 201);
      await h.call("PUT", "/api/v1/policies/no-prod-writes", { body: { statements: [{ effect: "deny", principals: ["role:operator"], actions: ["write"], resources: ["workflow:prod-*"] }] } });
      assert.equal((await h.call("POST", "/api/v1/workflows", { key: operator, body: { ...ONE_STEP, id: "prod-new" } })).status, 403, "creating a prod-* workflow is a write on it");
      assert.equal((await h.call("POST", "/api/v1/workflows", { key: operator, raw: "id: prod-yaml\nname: y\nsteps: [{ id: a, type: wait }]\n", headers: { "content-type": "application/yaml" } })).status, 403);
      await h.call("DELETE", "/api/v1/policies/no-prod-writes");
      assert.equal((await h.call("POST", "/api/v1/workflows/dev-report/execute", { key: operator, body: {} })).status, 202);
      const explained = await h.call("POST", "/api/v1/policies/evaluate", { body: { role: "operator", action: "execute", resource: "workflow:prod-report" } });
      assert.equal(explained.body.allowed, false);
      assert.equal(explained.body.matched.effect, "deny");
      // The denial was audited.
      const audit = await h.call("GET", "/api/v1/audit-logs?action=policy_denied");
      assert.ok(audit.body.items.some((r: { component_id: string }) => r.component_id === "workflow:prod-report"));
      // Removing the policy lifts the denial at once (the decision cache is invalidated).
      assert.equal((await h.call("DELETE", "/api/v1/policies/no-prod")).status, 200);
      assert.equal((await h.call("POST", "/api/v1/workflows/prod-report/execute", { key: operator, body: {} })).status, 202);
      const bad = await h.call("PUT", "/api/v1/policies/bad", { body: { statements: [{ effect: "maybe", principals: [], actions: ["fly"], resources: ["nothing"] }] } });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.body.error.details.issues.map((i: { path: string }) => i.path).sort(), ["statements[0].actions[0]", "statements[0].effect", "statements[0].principals", "statements[0].resources[0]"]);
    });

    test("suspended tenants get 403 TENANT_INACTIVE; deleting a tenant revokes its keys", async () => {
      const admin = { key: h.adminKey };
      const created = await h.call("POST", "/api/v1/tenants", { ...admin, body: { name: "Doomed", tier: "basic" } });
      assert.equal(created.status, 201);
      const id = created.body.id as string;
      const owner = (await h.call("POST", "/api/v1/api-keys", { ...admin, headers: { "x-tenant-id": id }, body: { role: "owner" } })).body.key as string;
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: owner })).status, 200);
      assert.equal((await h.call("POST", `/api/v1/tenants/${id}/suspend`, admin)).status, 200);
      h.t.clock.advance(5_000);
      const inactive = await h.call("GET", "/api/v1/workflows", { key: owner });
      assert.equal(inactive.status, 403);
      assert.equal(inactive.body.error.code, "TENANT_INACTIVE");
      assert.equal((await h.call("POST", `/api/v1/tenants/${id}/resume`, admin)).status, 200);
      h.t.clock.advance(5_000);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: owner })).status, 200);
      assert.equal((await h.call("DELETE", `/api/v1/tenants/${id}`, admin)).status, 200);
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: owner })).status, 401);
      assert.ok((await h.t.orch.listApiKeys(id)).every((k) => k.revokedAt !== null));
      const missing = await h.call("GET", "/api/v1/workflows", { ...admin, headers: { "x-tenant-id": "tenant-000000000000" } });
      assert.equal(missing.status, 404);
      assert.equal((await h.call("GET", "/api/v1/workflows", admin)).status, 400, "the admin key must name a tenant");
    });
  });
}
