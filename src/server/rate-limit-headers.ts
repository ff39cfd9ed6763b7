// RateLimit and RateLimit-Policy headers in the syntax of draft-ietf-httpapi-ratelimit-headers-10:
// a named policy with its quota `q` per window `w` (seconds), and the remaining `r` with the
// seconds `t` until the window frees up.
const POLICY = '"tenant"';

export function rateLimitHeaders(limit: number, remaining: number, resetSeconds: number): Record<string, string> {
  return {
    "ratelimit-policy": `${POLICY};q=${limit};w=1`,
    ratelimit: `${POLICY};r=${Math.max(0, remaining)};t=${Math.max(0, Math.ceil(resetSeconds))}`,
  };
}
