/**
 * Requests per key (issue 16, item 7): a token bucket each, `burst` tokens deep, refilled at `perSecond`. A request
 * over the limit is answered 429 with `Retry-After` (whole seconds until a token is back); other keys are not
 * slowed. The default (1,000 a second, bursts of 2,000) lets one SDK send 100,000 events a second in batches of 100.
 */
export interface RateLimit {
  readonly perSecond: number;
  readonly burst: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { perSecond: 1000, burst: 2000 };

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes a token for `key`: 0 when there was one, else the seconds to wait for the next. */
  take(key: string): number {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.burst, at: t };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((t - b.at) / 1000) * this.limit.perSecond);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.limit.perSecond));
  }
}

/** The answer of a request over its key's limit. */
export function rateLimitedBody(seconds: number): { error: { code: string; message: string; path: null } } {
  return {
    error: {
      code: "rate-limited",
      message: `too many requests with this key: try again in ${seconds} s`,
      path: null,
    },
  };
}
