import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_RETRY_POLICY, backoffDelay, parseDuration } from "synergymesh";

test("backoff is initialDelay x base^retry, capped at maxDelay: 1 s, 2 s, 4 s ... 60 s", () => {
  const delays = Array.from({ length: 8 }, (_, i) => backoffDelay(DEFAULT_RETRY_POLICY, i));
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
});

test("jitter lowers a delay by at most its fraction", () => {
  const policy = { ...DEFAULT_RETRY_POLICY, jitter: 0.5 };
  assert.equal(backoffDelay(policy, 2, () => 0), 4000);
  assert.equal(backoffDelay(policy, 2, () => 0.999999), 2000);
});

test("durations: units, bare numbers as seconds, and a clear error with the path", () => {
  assert.equal(parseDuration("30s"), 30_000);
  assert.equal(parseDuration("5m"), 300_000);
  assert.equal(parseDuration("1h30m"), 5_400_000);
  assert.equal(parseDuration("250ms"), 250);
  assert.equal(parseDuration(300), 300_000);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.throws(() => parseDuration("5 minutes", "steps[0].timeout"), (e: Error & { code?: string; details?: { issues: Array<{ path: string }> } }) => {
    assert.equal(e.code, "VALIDATION_FAILED");
    assert.equal(e.details?.issues[0]?.path, "steps[0].timeout");
    return true;
  });
  assert.throws(() => parseDuration(""), /not a duration/);
});
