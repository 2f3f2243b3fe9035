import { describe, expect, it } from "vitest";
import { RateLimiter } from "./rate-limit.js";

describe("the rate limiter", () => {
  it("lets a burst through, then one request per refill, per key", () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([0, 0, 0]);
    // Empty: a token comes back in half a second, said as whole seconds.
    expect(limiter.take("a")).toBe(1);
    // Another key has its own bucket.
    expect(limiter.take("b")).toBe(0);
    now = 500;
    expect(limiter.take("a")).toBe(0);
    expect(limiter.take("a")).toBe(1);
    // Refills stop at the burst.
    now = 60_000;
    expect([1, 2, 3, 4].map(() => limiter.take("a"))).toEqual([0, 0, 0, 1]);
  });
});
