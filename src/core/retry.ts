// Retry math shared by executeWithRetry and, later, step retries: exponential backoff with a cap
// and optional jitter (seed 000: delay = min(initialDelay * base^attempt, maxDelay)).

export interface RetryPolicy {
  /** Retries after the first try (seed 000 `max_retries`). */
  maxRetries: number;
  /** First delay in ms. */
  initialDelay: number;
  /** Upper bound of any delay in ms. */
  maxDelay: number;
  exponentialBase: number;
  /** 0..1: each delay is reduced by up to this fraction at random (0 = none). */
  jitter: number;
  /** Per-attempt timeout in ms (0 = none). */
  timeout: number;
}

export type RetryPolicyInput = Partial<RetryPolicy>;

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = Object.freeze({
  maxRetries: 3,
  initialDelay: 1000,
  maxDelay: 60_000,
  exponentialBase: 2,
  jitter: 0,
  timeout: 0,
});

/** Delay before retry number `retry` (0 for the first retry): 1 s, 2 s, 4 s, ... capped. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const raw = Math.min(policy.initialDelay * policy.exponentialBase ** retry, policy.maxDelay);
  if (policy.jitter <= 0) return raw;
  return Math.round(raw * (1 - Math.min(policy.jitter, 1) * random()));
}
