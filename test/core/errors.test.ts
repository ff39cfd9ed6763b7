import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { ERROR_REGISTRY, RateLimitedError, TenantNotFoundError, ValidationError } from "synergymesh";

test("docs/errors.md lists exactly the registry, in order, with the same status and retry meaning", () => {
  const doc = readFileSync(new URL("../../docs/errors.md", import.meta.url), "utf8");
  const rows = [...doc.matchAll(/^\|\s*`([A-Z_]+)`\s*\|\s*(\d+)\s*\|\s*(yes|no)\s*\|/gm)].map((m) => ({ code: m[1], status: Number(m[2]), retryable: m[3] === "yes" }));
  const registry = Object.entries(ERROR_REGISTRY).map(([code, spec]) => ({ code, status: spec.status, retryable: spec.retryable }));
  assert.deepEqual(rows, registry);
});

test("errors serialise with code, status, retry meaning and details, without a stack", () => {
  const json = new RateLimitedError("tenant-000000000001", 10, 250).toJSON();
  assert.deepEqual(json, {
    code: "RATE_LIMITED",
    message: "Tenant tenant-000000000001 is over its rate limit of 10 requests per second; retry in 250 ms",
    status: 429,
    retryable: true,
    details: { tenantId: "tenant-000000000001", limit: 10, retryAfterMs: 250 },
  });
  assert.equal(JSON.stringify(new TenantNotFoundError("x")).includes("stack"), false);
  const v = new ValidationError([{ path: "a.b", message: "bad" }, { path: "c", message: "worse" }]);
  assert.equal(v.status, 400);
  assert.deepEqual((v.toJSON().details as { issues: unknown[] }).issues.length, 2);
});
