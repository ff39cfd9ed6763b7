// Tasks started per hour, counted in 60 one-minute buckets per tenant: a sliding hour at minute
// resolution, with memory that does not grow with the limit (an enterprise tenant may start
// 100,000). A running total keeps each decision O(1); buckets expire as their minute comes round.

const BUCKETS = 60;
const BUCKET_MS = 60_000;

interface Buckets {
  counts: Float64Array;
  /** The newest minute the buckets were brought up to. */
  minute: number;
  /** Sum of the live buckets: starts in minutes (minute - 59 .. minute). */
  total: number;
}

export class HourlyCounter {
  #tenants = new Map<string, Buckets>();

  /** Counts one start when fewer than `limit` started in the last hour; else says when one fits. */
  tryAcquire(key: string, limit: number, now: number): { allowed: boolean; used: number; retryAfterMs: number } {
    const answer = this.peek(key, limit, now);
    if (!answer.allowed) return answer;
    let b = this.#tenants.get(key);
    if (!b) {
      b = { counts: new Float64Array(BUCKETS), minute: Math.floor(now / BUCKET_MS), total: 0 };
      this.#tenants.set(key, b);
    }
    const slot = b.minute % BUCKETS;
    b.counts[slot] = (b.counts[slot] as number) + 1;
    b.total += 1;
    return { allowed: true, used: b.total, retryAfterMs: 0 };
  }

  peek(key: string, limit: number, now: number): { allowed: boolean; used: number; retryAfterMs: number } {
    const b = this.#tenants.get(key);
    if (!b) return { allowed: limit > 0, used: 0, retryAfterMs: limit > 0 ? 0 : BUCKET_MS };
    advance(b, Math.floor(now / BUCKET_MS));
    if (b.total < limit) return { allowed: true, used: b.total, retryAfterMs: 0 };
    // Refused: room comes when the oldest live minute leaves the hour.
    for (let m = b.minute - BUCKETS + 1; m <= b.minute; m++) {
      if ((b.counts[m % BUCKETS] as number) > 0) return { allowed: false, used: b.total, retryAfterMs: Math.max(1, (m + BUCKETS) * BUCKET_MS - now) };
    }
    return { allowed: false, used: b.total, retryAfterMs: BUCKET_MS };
  }

  forget(key: string): void {
    this.#tenants.delete(key);
  }
}

/** Moves the buckets to `minute`: the slots of the minutes passed held starts an hour old or more. */
function advance(b: Buckets, minute: number): void {
  if (minute <= b.minute) return;
  const steps = Math.min(minute - b.minute, BUCKETS);
  for (let i = 1; i <= steps; i++) {
    const slot = (b.minute + i) % BUCKETS;
    b.total -= b.counts[slot] as number;
    b.counts[slot] = 0;
  }
  b.minute = minute;
}
