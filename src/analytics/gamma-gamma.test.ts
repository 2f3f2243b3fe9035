import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import {
  expectedAverageSpend,
  fitGammaGamma,
  gammaGammaGradient,
  gammaGammaLogLikelihood,
} from "./gamma-gamma.js";
import type { SpendTuples } from "./purchase-tuples.js";

function spend(x: number[], mean: number[]): SpendTuples {
  return {
    x: Float64Array.from(x),
    mean: Float64Array.from(mean),
    count: new Float64Array(x.length).fill(1),
  };
}

describe("Gamma-Gamma", () => {
  it("E[Z | x, z̄] weighs the population mean p·v/(q−1) against the customer's mean by p·x", () => {
    const g = { p: 6.25, q: 3.74, v: 15.44 };
    // x = 0: the population mean.
    expect(expectedAverageSpend(g, 0, 0)).toBeCloseTo((6.25 * 15.44) / 2.74, 10);
    // By hand: 6.25 · (15.44 + 2 · 22.345) / (12.5 + 2.74) = 6.25 · 60.13 / 15.24.
    expect(expectedAverageSpend(g, 2, 22.345)).toBeCloseTo((6.25 * 60.13) / 15.24, 10);
  });

  it("has the analytic gradient of its log-likelihood", () => {
    const t = spend([1, 2, 2, 3, 5, 1, 4], [20, 35, 12.5, 40, 22, 80, 31]);
    const p = { p: 4, q: 3, v: 20 };
    const g = gammaGammaGradient(t, p);
    const h = 1e-6;
    (["p", "q", "v"] as const).forEach((k, i) => {
      const up = gammaGammaLogLikelihood(t, { ...p, [k]: p[k] * Math.exp(h) });
      const down = gammaGammaLogLikelihood(t, { ...p, [k]: p[k] * Math.exp(-h) });
      expect(g[i]).toBeCloseTo((up - down) / (2 * h), 5);
    });
  });

  it("fits to a maximum (zero gradient) on varied spend", () => {
    const x: number[] = [];
    const m: number[] = [];
    for (let i = 0; i < 200; i++) {
      x.push(1 + (i % 6));
      m.push(10 + ((i * 37) % 53) + (i % 6) * 0.5);
    }
    const fit = fitGammaGamma(spend(x, m));
    expect(fit.converged).toBe(true);
    const g = gammaGammaGradient(spend(x, m), fit.params);
    for (const v of g) expect(Math.abs(v)).toBeLessThan(1e-4);
  });

  it("refuses too few repeat customers and identical spend", () => {
    expect(() => fitGammaGamma(spend([1], [10]))).toThrow(UserError);
    expect(() => fitGammaGamma(spend([1, 2, 3], [10, 10, 10]))).toThrow(/same mean spend/);
  });
});
