import assert from "node:assert/strict";
import { test } from "node:test";
import { SlidingWindowRateLimiter } from "synergymesh";

test("at most N admissions in any 1 s window; the refusal names the exact wait", () => {
  const limiter = new SlidingWindowRateLimiter();
  const t0 = 1_000_000;
  for (let i = 0; i < 10; i++) assert.equal(limiter.tryAcquire("a", 10, t0 + i * 50).allowed, true, `request ${i + 1}`);
  const refused = limiter.tryAcquire("a", 10, t0 + 600);
  assert.equal(refused.allowed, false);
  // The oldest admission (t0) leaves the window at t0 + 1000: 400 ms after t0 + 600.
  assert.equal(refused.retryAfterMs, 400);
  assert.equal(limiter.tryAcquire("a", 10, t0 + 999).allowed, false);
  assert.equal(limiter.tryAcquire("a", 10, t0 + 1000).allowed, true, "admitted once the window slides");
  assert.equal(limiter.tryAcquire("a", 10, t0 + 1001).allowed, false, "the next slot frees at t0 + 1050");
  assert.equal(limiter.tryAcquire("a", 10, t0 + 1050).allowed, true);
});

test("keys are independent and peek records nothing", () => {
  const limiter = new SlidingWindowRateLimiter();
  for (let i = 0; i < 3; i++) limiter.tryAcquire("a", 3, 0);
  assert.equal(limiter.peek("a", 3, 10).allowed, false);
  assert.equal(limiter.peek("b", 3, 10).allowed, true);
  assert.equal(limiter.peek("b", 3, 10).remaining, 3);
  assert.equal(limiter.tryAcquire("b", 3, 10).remaining, 2);
});

test("a lowered limit waits until enough old admissions have left the window", () => {
  const limiter = new SlidingWindowRateLimiter();
  for (let i = 0; i < 10; i++) limiter.tryAcquire("a", 10, i * 10);
  const d = limiter.tryAcquire("a", 5, 100);
  assert.equal(d.allowed, false);
  // 10 in the window, limit 5: the sixth oldest (t=50) must leave: at 1050.
  assert.equal(d.retryAfterMs, 950);
});

test("the ring grows past its initial size and keeps order", () => {
  const limiter = new SlidingWindowRateLimiter();
  for (let i = 0; i < 1000; i++) assert.equal(limiter.tryAcquire("a", 1000, i).allowed, true);
  assert.equal(limiter.tryAcquire("a", 1000, 999).allowed, false);
  assert.equal(limiter.tryAcquire("a", 1000, 1000).allowed, true);
  assert.equal(limiter.tryAcquire("a", 1000, 1000).allowed, false);
  assert.equal(limiter.tryAcquire("a", 1000, 1000).retryAfterMs, 1);
});
