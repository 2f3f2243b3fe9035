/**
 * How a webhook delivery that failed is tried again (deliveries.ts): how many attempts, how long to wait between
 * them, how long to wait for an answer.
 */

/** How failed attempts are retried. */
export interface RetryPolicy {
  /** Attempts in all before a delivery has failed for good. */
  readonly maxAttempts: number;
  /** The wait after the first failure; each later one is `factor` times longer, up to `capMs`. */
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
  /** Each wait is lengthened by up to this share, at random (so retries of many deliveries do not come together). */
  readonly jitter: number;
  /** How long an attempt may wait for its answer. */
  readonly timeoutMs: number;
}

/**
 * Ten attempts over about three days — 5 s, 25 s, 2 min, 10 min, 52 min, 4.3 h, 21.7 h, then a day — the span the
 * Standard Webhooks specification's example schedule covers; 15 s for an answer (it recommends 15 to 30).
 */
export const RETRY_POLICY: RetryPolicy = {
  maxAttempts: 10,
  baseMs: 5000,
  factor: 5,
  capMs: 24 * 3600 * 1000,
  jitter: 0.1,
  timeoutMs: 15_000,
};

/**
 * How long to wait after the `failures`-th failed attempt (1 for the first): `baseMs · factor^(failures − 1)`, capped,
 * lengthened by the jitter, and never shorter than what the receiver asked for (`Retry-After`, within the cap).
 */
export function backoffMs(
  failures: number,
  policy: RetryPolicy,
  retryAfterMs: number | null = null,
  random: () => number = Math.random,
): number {
  const plain = Math.min(policy.capMs, policy.baseMs * policy.factor ** Math.max(0, failures - 1));
  const jittered = Math.min(policy.capMs, plain * (1 + policy.jitter * random()));
  return Math.round(Math.max(jittered, Math.min(policy.capMs, retryAfterMs ?? 0)));
}
