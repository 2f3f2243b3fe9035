/**
 * The discrete Gaussian sampler against its exact distribution, with the production (cryptographic, unseeded)
 * source: chi-square fit, mean, variance, symmetry and two tail probabilities (`checkDistribution`). Thresholds
 * and their false-failure probabilities: test-statistics.ts (≤ 1e-8 per check, < 1e-6 for the whole suite).
 *
 * 200 000 draws per σ² (about 0.25 s): the mutants at the end show, with a seeded source so that they are
 * deterministic, that this is enough to catch a σ² off by 5% or a tail inflated by a third.
 */
import { describe, expect, it } from "vitest";
import { discreteGaussianSampler } from "./discrete-noise.js";
import { secureRandom, seededRandomSource, uniformBelow } from "./random.js";
import { rational, toNumber } from "./rational.js";
import {
  checkChiSquare,
  checkDistribution,
  checkTail,
  checkVariance,
  draws,
  gaussianPmf,
  pmfMoments,
  tailPoint,
} from "./test-statistics.js";

const N = 200_000;

describe("discrete Gaussian against its exact pmf", () => {
  // σ below 1 (t = 1, mostly 0), σ = 1, a fractional σ², and a wide one.
  for (const sigma2 of [rational(1, 4), rational(1), rational(5, 2), rational(100)]) {
    it(`σ² = ${sigma2.num}/${sigma2.den}`, () => {
      const dist = gaussianPmf(toNumber(sigma2));
      // Its variance, computed by summing the pmf, is below σ² (CKS20), by less than a double shows once σ ≥ 1.
      expect(pmfMoments(dist).variance).toBeLessThanOrEqual(toNumber(sigma2));
      const sample = discreteGaussianSampler(sigma2);
      for (const r of checkDistribution(
        draws(() => sample(secureRandom), N),
        dist,
      )) {
        expect(r.ok, r.detail).toBe(true);
      }
    });
  }
});

describe("the checks have power: wrong Gaussian samplers fail them (seeded, so deterministic)", () => {
  it("a σ² 5% too large fails the chi-square and the variance check", () => {
    const source = seededRandomSource(3);
    const sample = discreteGaussianSampler(rational(105, 40)); // 5/2 · 1.05
    const xs = draws(() => sample(source), N);
    expect(checkChiSquare(xs, gaussianPmf(2.5)).ok).toBe(false);
    expect(checkVariance(xs, gaussianPmf(2.5)).ok).toBe(false);
  });

  it("a tail inflated by a third fails the tail check", () => {
    // A central draw right after a tail draw is replaced by a copy of it with probability 1/3: the tail's mass
    // grows by about a third while the centre barely moves.
    const source = seededRandomSource(4);
    const dist = gaussianPmf(2.5);
    const k = BigInt(tailPoint(dist, 0.01));
    const sample = discreteGaussianSampler(rational(5, 2));
    let previous: bigint | undefined;
    const xs = draws(() => {
      const carried = previous;
      const y = sample(source);
      const inTail = y >= k || y <= -k;
      previous = inTail ? y : undefined;
      if (!inTail && carried !== undefined && uniformBelow(source, 3n) === 0n) return carried;
      return y;
    }, N);
    expect(checkTail(xs, dist, Number(k)).ok).toBe(false);
  });
});
