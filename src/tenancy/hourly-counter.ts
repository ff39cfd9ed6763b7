// Tasks started per hour, counted in 60 one-minute buckets per tenant: a sliding hour at minute
// resolution, with memory that does not grow with the limit (an enterprise tenant may start 100,000).

const BUCKETS = 60;
const BUCKET_MS = 60_000;

interface Buckets {
  minutes: Float64Array;
  counts: Float64Array;
}

export class HourlyCounter {
  #tenants = new Map<string, Buckets>();

  /** Counts one start when fewer than `limit` started in the last hour; else says when one fits. */
  tryAcquire(key: string, limit: number, now: number): { allowed: boolean; used: number; retryAfterMs: number } {
    const answer = this.peek(key, limit, now);
    if (!answer.allowed) return answer;
    const b = this.#buckets(key);
    const minute = Math.floor(now / BUCKET_MS);
    const slot = minute % BUCKETS;
    if (b.minutes[slot] !== minute) {
      b.minutes[slot] = minute;
      b.counts[slot] = 0;
    }
    b.counts[slot] = (b.counts[slot] as number) + 1;
    return { allowed: true, used: answer.used + 1, retryAfterMs: 0 };
  }

  peek(key: string, limit: number, now: number): { allowed: boolean; used: number; retryAfterMs: number } {
    const b = this.#tenants.get(key);
    const minute = Math.floor(now / BUCKET_MS);
    if (!b) return { allowed: limit > 0, used: 0, retryAfterMs: limit > 0 ? 0 : BUCKET_MS };
    let used = 0;
    let oldest = Infinity;
    for (let i = 0; i < BUCKETS; i++) {
      const m = b.minutes[i] as number;
      if (m > minute - BUCKETS && (b.counts[i] as number) > 0) {
        used += b.counts[i] as number;
        if (m < oldest) oldest = m;
      }
    }
    if (used < limit) return { allowed: true, used, retryAfterMs: 0 };
    const retryAfterMs = Number.isFinite(oldest) ? Math.max(1, (oldest + BUCKETS) * BUCKET_MS - now) : BUCKET_MS;
    return { allowed: false, used, retryAfterMs };
  }

  forget(key: string): void {
    this.#tenants.delete(key);
  }

  #buckets(key: string): Buckets {
    let b = this.#tenants.get(key);
    if (!b) {
      b = { minutes: new Float64Array(BUCKETS).fill(-1), counts: new Float64Array(BUCKETS) };
      this.#tenants.set(key, b);
    }
    return b;
  }
}
