import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { sampleDiscreteGaussian, sampleDiscreteLaplace } from "./discrete-noise.js";
import {
  clampedSum,
  noisyCount,
  noisyCountZcdp,
  noisySum,
  noisySumZcdp,
  privacyParameter,
  toMinorUnits,
} from "./noise-mechanisms.js";
import { seededRandomSource } from "./random.js";
import { rational } from "./rational.js";

function userError(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("expected a UserError");
}

describe("privacy parameters", () => {
  it("read ε and ρ as exact decimals", () => {
    expect(privacyParameter(0.1, "epsilon")).toEqual(rational(1, 10));
    expect(privacyParameter(rational(1, 3), "epsilon")).toEqual(rational(1, 3));
    expect(privacyParameter(0.005, "rho")).toEqual(rational(1, 200));
  });

  const bad: [unknown, RegExp][] = [
    [0, /greater than 0/],
    [-1, /greater than 0/],
    [Number.NaN, /NaN/],
    [Number.POSITIVE_INFINITY, /finite/],
    [Number.NEGATIVE_INFINITY, /finite/],
    [1e-12, /below/],
    [1000, /no meaningful privacy/],
    ["0.1", /must be a number/],
    [null, /must be a number/],
    [rational(-1, 2), /greater than 0/],
  ];
  for (const unit of ["epsilon", "rho"] as const) {
    for (const [value, reason] of bad) {
      it(`${unit} = ${String(value)} is refused, naming the parameter`, () => {
        const e = userError(() => privacyParameter(value as number, unit));
        expect(e.code).toBe("bad-privacy-parameter");
        expect(e.where).toBe(unit);
        expect(e.message).toMatch(reason);
        expect(e.message).toContain(unit);
      });
    }
  }

  it("the mechanisms check their parameters before drawing anything", () => {
    const e = userError(() => noisyCount(10, 0));
    expect(e.where).toBe("epsilon");
    expect(userError(() => noisyCountZcdp(10, Number.NaN)).where).toBe("rho");
    for (const bound of [0, -3, 2.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const b = userError(() => noisySum([1, 2], bound, 1));
      expect(b.where).toBe("bound");
      expect(b.code).toBe("bad-privacy-parameter");
    }
  });
});

describe("noisy counts and sums", () => {
  it("a count gets discrete Laplace noise of scale exactly 1/ε and costs exactly ε", () => {
    const release = noisyCount(1000, 0.1, seededRandomSource(9));
    const noise = sampleDiscreteLaplace(seededRandomSource(9), rational(10));
    expect(release.value).toBe(1000 + Number(noise));
    expect(release.mechanism).toBe("discrete-laplace");
    expect(release.noise).toEqual(rational(10));
    expect(release.sensitivity).toBe(1);
    expect(release.cost).toEqual({ unit: "epsilon", amount: rational(1, 10) });
  });

  it("a sum clamps each person's value to [−bound, bound] and gets noise of scale bound/ε", () => {
    // 5 + (−20 → −10) + (1000 → 10) + 7 = 12
    expect(clampedSum([5, -20, 1000, 7], 10)).toBe(12n);
    const release = noisySum([5, -20, 1000, 7], 10, 0.5, seededRandomSource(3));
    expect(release.value).toBe(12 + Number(sampleDiscreteLaplace(seededRandomSource(3), rational(20))));
    expect(release.noise).toEqual(rational(20));
    expect(release.sensitivity).toBe(10);
  });

  it("sums whole numbers only: money goes in as cents", () => {
    expect(() => noisySum([12.5], 100, 1)).toThrow(/toMinorUnits/);
    const cents = [19.99, 1.005, 0.29, 250].map((a) => toMinorUnits(a));
    expect(cents).toEqual([1999, 101, 29, 25000]);
    expect(clampedSum(cents, 10_000)).toBe(1999n + 101n + 29n + 10_000n);
  });

  it("counts and sums under zCDP get discrete Gaussian noise of σ² = sensitivity²/(2ρ) and cost exactly ρ", () => {
    const count = noisyCountZcdp(50, 0.5, seededRandomSource(4));
    expect(count.value).toBe(50 + Number(sampleDiscreteGaussian(seededRandomSource(4), rational(1))));
    expect(count.noise).toEqual(rational(1));
    expect(count.cost).toEqual({ unit: "rho", amount: rational(1, 2) });
    const sum = noisySumZcdp([3, 4, 500], 100, 0.02, seededRandomSource(5));
    expect(sum.mechanism).toBe("discrete-gaussian");
    expect(sum.noise).toEqual(rational(250_000)); // 100² / (2 · 0.02)
    expect(sum.value).toBe(107 + Number(sampleDiscreteGaussian(seededRandomSource(5), rational(250_000))));
  });

  it("refuses a count that is not a whole number ≥ 0 (a caller's bug)", () => {
    expect(() => noisyCount(-1, 1)).toThrow(RangeError);
    expect(() => noisyCount(2.5, 1)).toThrow(RangeError);
  });

  it("released noise is not reproducible: the cryptographic source is the one exception to seeding", () => {
    // Twenty counts at ε = 0.5 (scale 2, at most 25% of the mass on any one value) agree by chance with
    // probability below 0.25^20 ≈ 1e-12.
    const run = (): number[] => Array.from({ length: 20 }, () => noisyCount(1000, 0.5).value);
    expect(run()).not.toEqual(run());
  });
});

describe("toMinorUnits", () => {
  it("rounds half away from zero on the decimal, not on the binary double", () => {
    expect(toMinorUnits(1.005)).toBe(101);
    expect(toMinorUnits(12.345)).toBe(1235);
    expect(toMinorUnits(-0.005)).toBe(-1);
    expect(toMinorUnits(-2.5)).toBe(-250);
    expect(toMinorUnits(7, 0)).toBe(7);
    expect(toMinorUnits(1.23456, 3)).toBe(1235);
  });
});
