// The policy engine on its own: wildcards, default deny, deny wins, conditions, the decision cache
// with its invalidation, and an evaluation error as a denial.
import assert from "node:assert/strict";
import { test } from "node:test";
import { FakeClock } from "synergymesh/testing";
import { PolicyEngine } from "../../src/tenancy/policy-engine.js";
import type { PolicyRequest, PolicyStatement } from "../../src/tenancy/policy-types.js";

const request = (role: PolicyRequest["principal"]["role"], action: PolicyRequest["action"], resource: string, context?: Record<string, unknown>): PolicyRequest => ({
  tenantId: "tenant-000000000001",
  principal: { id: "key-1", role },
  action,
  resource,
  ...(context ? { context } : {}),
});

test("roles' defaults: owner all, operator no admin, viewer read only; nothing else is allowed", async () => {
  const engine = new PolicyEngine(async () => [], new FakeClock());
  assert.equal((await engine.evaluate(request("owner", "admin", "tenant:x"))).allowed, true);
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:a"))).allowed, true);
  const denied = await engine.evaluate(request("operator", "admin", "tenant:x"));
  assert.equal(denied.allowed, false);
  assert.equal(denied.matched, null);
  assert.match(denied.reason, /no statement allows admin on tenant:x/);
  assert.equal((await engine.evaluate(request("viewer", "read", "secret:x"))).allowed, true);
  assert.equal((await engine.evaluate(request("viewer", "write", "workflow:a"))).allowed, false);
});

test("deny wins over any allow; wildcards match within a value; keys are principals too", async () => {
  const statements: PolicyStatement[] = [
    { effect: "allow", principals: ["*"], actions: ["*"], resources: ["*"] },
    { effect: "deny", principals: ["role:operator"], actions: ["execute"], resources: ["workflow:prod-*"] },
    { effect: "deny", principals: ["key:key-1"], actions: ["write"], resources: ["secret:*"] },
  ];
  const engine = new PolicyEngine(async () => statements, new FakeClock());
  const prod = await engine.evaluate(request("operator", "execute", "workflow:prod-billing"));
  assert.equal(prod.allowed, false);
  assert.equal(prod.matched, statements[1]);
  assert.match(prod.reason, /statement 2 of the tenant's policies/);
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:dev-billing"))).allowed, true);
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:production"))).allowed, true, "prod-* needs the dash");
  assert.equal((await engine.evaluate(request("owner", "write", "secret:db"))).allowed, false, "the key itself is denied");
  assert.equal((await engine.evaluate(request("viewer", "write", "workflow:a"))).allowed, true, "a tenant allow extends a role");
  // Regular-expression characters in a pattern are literal.
  const literal = new PolicyEngine(async () => [{ effect: "allow", principals: ["*"], actions: ["read"], resources: ["workflow:a.b*"] }], new FakeClock());
  assert.equal((await literal.evaluate(request("viewer", "admin", "workflow:axb"))).allowed, false);
});

test("conditions must hold for a statement to apply", async () => {
  const engine = new PolicyEngine(async () => [{ effect: "deny", principals: ["*"], actions: ["*"], resources: ["*"], conditions: { transport: ["websocket"] } }], new FakeClock());
  assert.equal((await engine.evaluate(request("owner", "read", "workflow:a", { transport: "websocket" }))).allowed, false);
  assert.equal((await engine.evaluate(request("owner", "read", "workflow:a", { transport: "http" }))).allowed, true);
  assert.equal((await engine.evaluate(request("owner", "read", "workflow:a"))).allowed, true, "a missing fact: the statement does not apply");
});

test("decisions are cached for 5 minutes, at most 1,000, and dropped when the tenant's policies change", async () => {
  const clock = new FakeClock();
  let reads = 0;
  let statements: PolicyStatement[] = [];
  const engine = new PolicyEngine(async () => ((reads += 1), statements), clock);
  await engine.evaluate(request("operator", "execute", "workflow:a"));
  await engine.evaluate(request("operator", "execute", "workflow:a"));
  assert.equal(reads, 1);
  statements = [{ effect: "deny", principals: ["*"], actions: ["*"], resources: ["*"] }];
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:a"))).allowed, true, "still cached");
  engine.invalidate("tenant-000000000001");
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:a"))).allowed, false);
  statements = [];
  clock.advance(5 * 60_000 + 1);
  assert.equal((await engine.evaluate(request("operator", "execute", "workflow:a"))).allowed, true, "expired after the TTL");
  const small = new PolicyEngine(async () => ((reads += 1), []), clock, { cacheSize: 2 });
  reads = 0;
  for (const r of ["a", "b", "c", "a"]) await small.evaluate(request("viewer", "read", `workflow:${r}`));
  assert.equal(reads, 4, "the oldest entry was evicted");
});

test("an error while evaluating is a denial (and not cached); requirePermission reports the denial", async () => {
  let fail = true;
  const denials: string[] = [];
  const engine = new PolicyEngine(
    async () => {
      if (fail) throw new Error("store down");
      return [];
    },
    new FakeClock(),
    { onDenied: (r, d) => denials.push(`${r.resource}: ${d.reason}`) },
  );
  const decision = await engine.evaluate(request("owner", "read", "workflow:a"));
  assert.equal(decision.allowed, false);
  assert.match(decision.reason, /store down/);
  await assert.rejects(engine.requirePermission(request("owner", "read", "workflow:a")), (e: Error & { code?: string }) => e.code === "POLICY_DENIED");
  assert.equal(denials.length, 1);
  fail = false;
  assert.equal((await engine.evaluate(request("owner", "read", "workflow:a"))).allowed, true);
});
