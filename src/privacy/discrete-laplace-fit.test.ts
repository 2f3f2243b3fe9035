/**
 * The discrete Laplace sampler against its exact distribution, with the production (cryptographic, unseeded)
 * source: chi-square fit, mean, variance, symmetry and two tail probabilities (`checkDistribution`). Thresholds
 * and their false-failure probabilities: test-statistics.ts (≤ 1e-8 per check, < 1e-6 for the whole suite).
 *
 * 200 000 draws per scale (about 0.15 s): the mutants at the end show, with a seeded source so that they are
 * deterministic, that this is enough to catch a doubled mass at 0 or a scale off by 2%.
 */
import { describe, expect, it } from "vitest";
import { bernoulliExp, discreteLaplaceSampler } from "./discrete-noise.js";
import { fairCoin, type RandomSource, secureRandom, seededRandomSource, uniformBelow } from "./random.js";
import { rational, toNumber } from "./rational.js";
import {
  checkChiSquare,
  checkDistribution,
  checkVariance,
  draws,
  laplacePmf,
  pmfMoments,
} from "./test-statistics.js";

const N = 200_000;

describe("discrete Laplace against its exact pmf", () => {
  // Integer, fractional, below-one (mostly 0) and large scales.
  for (const scale of [rational(1), rational(10, 3), rational(1, 3), rational(1000)]) {
    const t = toNumber(scale);
    it(`scale ${scale.num}/${scale.den}`, () => {
      const dist = laplacePmf(t);
      // The closed form of the variance, 2q/(1 − q)², against the sum over the pmf that the checks use.
      const q = Math.exp(-1 / t);
      expect(Math.abs(pmfMoments(dist).variance / ((2 * q) / (1 - q) ** 2) - 1)).toBeLessThan(1e-9);
      const sample = discreteLaplaceSampler(scale);
      for (const r of checkDistribution(
        draws(() => sample(secureRandom), N),
        dist,
      )) {
        expect(r.ok, r.detail).toBe(true);
      }
    });
  }
});

describe("the checks have power: wrong Laplace samplers fail them (seeded, so deterministic)", () => {
  /** The discrete Laplace with a classic bug: −0 is not rejected, so 0 gets twice the mass it should. */
  function keepingMinusZero(source: RandomSource, t: bigint): bigint {
    for (;;) {
      const u = uniformBelow(source, t);
      if (!bernoulliExp(source, u, t)) continue;
      let v = 0n;
      while (bernoulliExp(source, 1n, 1n)) v++;
      const magnitude = u + t * v;
      return fairCoin(source) ? -magnitude : magnitude;
    }
  }

  it("a sampler that keeps −0 fails the chi-square", () => {
    const source = seededRandomSource(1);
    const xs = draws(() => keepingMinusZero(source, 3n), N);
    expect(checkChiSquare(xs, laplacePmf(3)).ok).toBe(false);
  });

  it("a scale 2% too large fails the variance check", () => {
    const source = seededRandomSource(2);
    const sample = discreteLaplaceSampler(rational(102, 100));
    const xs = draws(() => sample(source), N);
    expect(checkVariance(xs, laplacePmf(1)).ok).toBe(false);
  });
});
