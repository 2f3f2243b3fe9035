import betaln from "@stdlib/math-base-special-betaln";
import betaSampler from "@stdlib/random-base-beta";
import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { applyMinShare, type Posterior, posteriorOf, probabilityBest, seedWords } from "./thompson.js";

/**
 * P(X_B > X_A) for X_A ~ Beta(aA, bA), X_B ~ Beta(aB, bB) with aB a whole number: the exact sum of
 * Evan Miller, "Formulas for Bayesian A/B Testing" (2015), https://www.evanmiller.org/bayesian-ab-testing.html
 * (also J. Cook, "Exact calculation of beta inequalities", 2005):
 *   P = Σ_{i=0}^{aB−1} B(aA + i, bA + bB) / ((bB + i) · B(1 + i, bB) · B(aA, bA)).
 */
function exactBetaGreater(aA: number, bA: number, aB: number, bB: number): number {
  let total = 0;
  for (let i = 0; i < aB; i++)
    total += Math.exp(betaln(aA + i, bA + bB) - Math.log(bB + i) - betaln(1 + i, bB) - betaln(aA, bA));
  return total;
}

const beta = (conversions: number, n: number): Posterior =>
  posteriorOf("proportion", { name: "x", n, sum: conversions });

describe("probability of being best", () => {
  it("agrees with the exact formula for two Beta arms", () => {
    // The formula itself, on a case with a known answer: equal posteriors → 1/2.
    expect(exactBetaGreater(5, 7, 5, 7)).toBeCloseTo(0.5, 12);
    const cases: [number, number, number, number][] = [
      [10, 100, 15, 100],
      [40, 500, 52, 500],
      [3, 20, 2, 25],
      [0, 10, 1, 10],
    ];
    for (const [cA, nA, cB, nB] of cases) {
      const a = beta(cA, nA) as Extract<Posterior, { kind: "beta" }>;
      const b = beta(cB, nB) as Extract<Posterior, { kind: "beta" }>;
      const exact = exactBetaGreater(a.alpha, a.beta, b.alpha, b.beta);
      const [pA, pB] = probabilityBest([a, b], { seed: `case ${cA}/${nA} ${cB}/${nB}`, draws: 40_000 });
      // Standard error ≤ √(0.25/40000) = 0.0025: 4 standard errors.
      expect(Math.abs((pB as number) - exact)).toBeLessThan(0.01);
      expect((pA as number) + (pB as number)).toBeCloseTo(1, 12);
    }
  });

  it("is deterministic for a seed and changes with it", () => {
    const arms = [beta(10, 100), beta(12, 100), beta(9, 100)];
    const a = probabilityBest(arms, { seed: "s1", draws: 2000 });
    expect(probabilityBest(arms, { seed: "s1", draws: 2000 })).toEqual(a);
    expect(probabilityBest(arms, { seed: "s2", draws: 2000 })).not.toEqual(a);
    expect(seedWords("s1")).toEqual(seedWords("s1"));
  });

  it("Normal posteriors: agrees with Φ(Δ/√(s₁² + s₂²)) and splits ties between point masses", () => {
    const arm = (n: number, mean: number, sd: number) =>
      posteriorOf("mean", {
        name: "m",
        n,
        sum: n * mean,
        sum_squares: (n - 1) * sd ** 2 + n * mean ** 2,
      });
    const a = arm(400, 10, 8) as Extract<Posterior, { kind: "normal" }>;
    const b = arm(400, 10.5, 8) as Extract<Posterior, { kind: "normal" }>;
    expect(a.sd).toBeCloseTo(0.4, 12);
    // P(B > A) = Φ(0.5 / √(0.16 + 0.16)) = Φ(0.883883) = 0.811582 (normal table).
    const [, pB] = probabilityBest([a, b], { seed: "normal", draws: 40_000 });
    expect(Math.abs((pB as number) - 0.811582)).toBeLessThan(0.01);
    const flat = arm(5, 3, 0);
    expect(probabilityBest([flat, flat], { seed: "tie", draws: 100 })).toEqual([0.5, 0.5]);
  });
});

describe("minimum share", () => {
  it("raises arms below the minimum and scales the others down, summing to 1", () => {
    const w = applyMinShare([0.97, 0.02, 0.01], 0.1);
    expect(w[1]).toBeCloseTo(0.1, 12);
    expect(w[2]).toBeCloseTo(0.1, 12);
    expect(w[0]).toBeCloseTo(0.8, 12);
    // Above the minimum, the proportions of the free arms are kept.
    const v = applyMinShare([0.6, 0.3, 0.05, 0.05], 0.1);
    expect(v[2]).toBeCloseTo(0.1, 12);
    expect((v[0] as number) / (v[1] as number)).toBeCloseTo(2, 12);
    expect(v.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 12);
    // Everything on one arm with the minimum at 1/arms: an equal split.
    expect(applyMinShare([1, 0, 0, 0], 0.25)).toEqual([0.25, 0.25, 0.25, 0.25]);
    expect(applyMinShare([0.5, 0.5], 0)).toEqual([0.5, 0.5]);
  });

  it("holds for any probabilities (property over seeded random vectors)", () => {
    for (let t = 0; t < 200; t++) {
      const words = seedWords(`vec ${t}`);
      const k = 2 + ((words[0] as number) % 5);
      const raw = Array.from({ length: k }, (_, i) => ((words[i + 1] as number) % 1000) ** 3);
      const total = raw.reduce((s, x) => s + x, 0) || 1;
      const min = (((words[7] as number) % 100) / 100) * (1 / k);
      const w = applyMinShare(
        raw.map((x) => x / total),
        min,
      );
      expect(w.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 9);
      for (const x of w) expect(x).toBeGreaterThanOrEqual(min - 1e-12);
    }
  });

  it("refuses a minimum above 1/arms", () => {
    expect(() => applyMinShare([0.5, 0.3, 0.2], 0.4)).toThrow(UserError);
  });
});

describe("evidence", () => {
  it("refuses impossible summaries, naming the arm", () => {
    expect(() => posteriorOf("proportion", { name: "b", n: 10, sum: 11 })).toThrow(/arm "b".*conversions/);
    expect(() => posteriorOf("proportion", { name: "b", n: -1, sum: 0 })).toThrow(/n must be/);
    expect(() => posteriorOf("mean", { name: "c", n: 1, sum: 3, sum_squares: 9 })).toThrow(/at least 2/);
    expect(() => posteriorOf("mean", { name: "c", n: 3, sum: 3, sum_squares: 1 })).toThrow(
      /negative variance/,
    );
    expect(() => posteriorOf("mean", { name: "c", n: 3, sum: 3 })).toThrow(/sum of squares/);
  });
  it("an arm with no people has the uniform prior Beta(1, 1)", () => {
    expect(beta(0, 0)).toEqual({ kind: "beta", alpha: 1, beta: 1 });
  });
});

describe("a simulated bandit (no store)", () => {
  it("converges to the best of three arms with close rates over a few periods", () => {
    // Rates 10%, 11%, 13%: each period 2,000 people split by the current weights, conversions drawn with a seeded
    // generator; the bandit updates after each period with a minimum share of 5%.
    const rates = [0.1, 0.11, 0.13];
    const u = uniformRng("simulation");
    const n = [0, 0, 0];
    const conversions = [0, 0, 0];
    let weights = [1 / 3, 1 / 3, 1 / 3];
    const history: number[][] = [];
    for (let period = 0; period < 12; period++) {
      for (let i = 0; i < 2000; i++) {
        let x = u();
        let arm = 2;
        for (let a = 0; a < 3; a++) {
          x -= weights[a] as number;
          if (x < 0) {
            arm = a;
            break;
          }
        }
        (n[arm] as number)++;
        if (u() < (rates[arm] as number)) (conversions[arm] as number)++;
      }
      const posteriors = n.map((m, a) =>
        posteriorOf("proportion", { name: `a${a}`, n: m, sum: conversions[a] as number }),
      );
      weights = applyMinShare(probabilityBest(posteriors, { seed: `period ${period}`, draws: 5000 }), 0.05);
      history.push(weights);
    }
    const last = history.at(-1) as number[];
    expect(last[2]).toBeGreaterThan(0.85);
    expect(Math.min(...last)).toBeGreaterThanOrEqual(0.05 - 1e-12);
    // The best arm got the most people overall.
    expect(n[2]).toBeGreaterThan(Math.max(n[0] as number, n[1] as number));
  });
});

/** A seeded uniform generator on [0, 1) (@stdlib's Mersenne Twister, as the sampler uses). */
function uniformRng(seed: string): () => number {
  const r = betaSampler.factory({ seed: seedWords(seed) });
  return (r.PRNG as unknown as { normalized: () => number }).normalized;
}
