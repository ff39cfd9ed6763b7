// Per-tenant request rate limits (seed 000: a 1 s sliding window). The in-process limiter is exact:
// at most `limit` admissions in any window of `windowMs`, and a refusal says when the oldest
// admission leaves the window. Several nodes replace it with a shared implementation of the same
// interface (PostgreSQL or Redis), which may answer asynchronously.

export interface LimitDecision {
  allowed: boolean;
  limit: number;
  /** Admissions still available in the current window after this decision. */
  remaining: number;
  /** 0 when allowed; else how long until one more admission fits. */
  retryAfterMs: number;
  /** How long until the window holds no admissions at all (for `RateLimit` headers' reset). */
  resetMs: number;
}

export interface RateLimiter {
  /** Admits one request for `key` when it fits the window, and records it. */
  tryAcquire(key: string, limit: number, now: number): LimitDecision | Promise<LimitDecision>;
  /** The same answer without recording anything. */
  peek(key: string, limit: number, now: number): LimitDecision | Promise<LimitDecision>;
  /** Forgets a key (a deleted tenant). */
  forget(key: string): void | Promise<void>;
}

/** A growable ring of ascending timestamps: push at the back, evict from the front, O(1) each. */
class TimestampRing {
  buf = new Float64Array(8);
  head = 0;
  size = 0;

  front(): number {
    return this.buf[this.head] as number;
  }

  back(): number {
    return this.buf[(this.head + this.size - 1) % this.buf.length] as number;
  }

  push(t: number): void {
    if (this.size === this.buf.length) {
      const grown = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) grown[i] = this.buf[(this.head + i) % this.buf.length] as number;
      this.buf = grown;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = t;
    this.size += 1;
  }

  shift(): void {
    this.head = (this.head + 1) % this.buf.length;
    this.size -= 1;
  }
}

export class SlidingWindowRateLimiter implements RateLimiter {
  readonly windowMs: number;
  #rings = new Map<string, TimestampRing>();

  constructor(options: { windowMs?: number } = {}) {
    this.windowMs = options.windowMs ?? 1000;
  }

  tryAcquire(key: string, limit: number, now: number): LimitDecision {
    let ring = this.#rings.get(key);
    if (!ring) {
      ring = new TimestampRing();
      this.#rings.set(key, ring);
    }
    this.#evict(ring, now);
    if (ring.size < limit) {
      ring.push(now);
      return { allowed: true, limit, remaining: limit - ring.size, retryAfterMs: 0, resetMs: this.windowMs };
    }
    return this.#refusal(ring, limit, now);
  }

  peek(key: string, limit: number, now: number): LimitDecision {
    const ring = this.#rings.get(key);
    if (!ring) return { allowed: limit > 0, limit, remaining: limit, retryAfterMs: 0, resetMs: 0 };
    this.#evict(ring, now);
    if (ring.size < limit) {
      return { allowed: true, limit, remaining: limit - ring.size, retryAfterMs: 0, resetMs: ring.size ? ring.back() + this.windowMs - now : 0 };
    }
    return this.#refusal(ring, limit, now);
  }

  forget(key: string): void {
    this.#rings.delete(key);
  }

  /** An admission at t counts for every window (t - windowMs, t]; older ones no longer count. */
  #evict(ring: TimestampRing, now: number): void {
    const edge = now - this.windowMs;
    while (ring.size > 0 && ring.front() <= edge) ring.shift();
  }

  #refusal(ring: TimestampRing, limit: number, now: number): LimitDecision {
    // With `limit` admissions in the window, the next fits when the (size - limit + 1)-th oldest
    // leaves it; the ring may hold more than `limit` after a quota was lowered.
    const idx = (ring.head + ring.size - limit) % ring.buf.length;
    const blocking = limit > 0 ? (ring.buf[idx] as number) : now;
    const retryAfterMs = limit > 0 ? Math.max(1, Math.ceil(blocking + this.windowMs - now)) : this.windowMs;
    return { allowed: false, limit, remaining: 0, retryAfterMs, resetMs: Math.ceil(ring.back() + this.windowMs - now) };
  }
}
