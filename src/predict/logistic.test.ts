import { describe, expect, it } from "vitest";
import { applyPlatt, fitLogistic, fitPlatt, predictLogistic, solveSpd } from "./logistic.js";

/** A seeded uniform generator (mulberry32), so the simulated data are the same on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

describe("solveSpd", () => {
  it("solves a hand-made 3 × 3 system", () => {
    // A = [[4, 2, 0], [2, 5, 1], [0, 1, 3]], x = [1, -1, 2] → b = A x = [2, -1, 5].
    const a = Float64Array.from([4, 2, 0, 2, 5, 1, 0, 1, 3]);
    const v = solveSpd(a, Float64Array.from([2, -1, 5]), 3);
    expect(Array.from(v).map((x) => Number(x.toFixed(12)))).toEqual([1, -1, 2]);
  });
});

describe("fitLogistic", () => {
  it("matches the closed form of a single binary feature: logits of the two groups' rates", () => {
    // x = 0: 2 positives of 8; x = 1: 6 of 8. Without a penalty the MLE gives exactly these rates.
    const x = Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);
    const y = Uint8Array.from([1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0]);
    const m = fitLogistic({ n: 16, p: 1, x }, y, { lambda: 0 });
    expect(m.converged).toBe(true);
    const p = predictLogistic(m, { n: 2, p: 1, x: Float64Array.from([0, 1]) });
    expect(p[0]).toBeCloseTo(0.25, 10);
    expect(p[1]).toBeCloseTo(0.75, 10);
    // On the standardised feature (sd 0.5): β = (logit .75 − logit .25) · 0.5 = ln 3.
    expect(m.coefficients[0]).toBeCloseTo(Math.log(3), 8);
  });

  it("recovers simulated coefficients (n = 20,000) and satisfies the score equations", () => {
    const r = rng(7);
    const n = 20_000;
    const p = 3;
    const x = new Float64Array(n * p);
    const y = new Uint8Array(n);
    const truth = [-1, 1.5, -0.8, 0.0];
    for (let i = 0; i < n; i++) {
      let z = truth[0] as number;
      for (let j = 0; j < p; j++) {
        // standard normal by Box–Muller: the fitted standardised coefficients are then ≈ the raw ones
        const v = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
        x[i * p + j] = v;
        z += (truth[j + 1] as number) * v;
      }
      y[i] = r() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    const m = fitLogistic({ n, p, x }, y, { lambda: 0 });
    const raw = Array.from(m.coefficients, (b, j) => b / (m.sd[j] as number));
    expect(raw[0]).toBeCloseTo(1.5, 1);
    expect(raw[1]).toBeCloseTo(-0.8, 1);
    expect(Math.abs(raw[2] as number)).toBeLessThan(0.06);
    // Score equations at the MLE: Σ (μ − y) = 0 and Σ (μ − y) xⱼ = 0.
    const mu = predictLogistic(m, { n, p, x });
    const score = new Float64Array(p + 1);
    for (let i = 0; i < n; i++) {
      const d = (mu[i] as number) - (y[i] as number);
      score[0] = (score[0] as number) + d;
      for (let j = 0; j < p; j++) score[j + 1] = (score[j + 1] as number) + d * (x[i * p + j] as number);
    }
    for (const s of score) expect(Math.abs(s) / n).toBeLessThan(1e-9);
  });

  it("shrinks coefficients as the penalty grows and drops a constant column", () => {
    const x = Float64Array.from([0, 5, 1, 5, 2, 5, 3, 5, 4, 5, 5, 5]);
    const y = Uint8Array.from([0, 0, 1, 0, 1, 1]);
    const loose = fitLogistic({ n: 6, p: 2, x }, y, { lambda: 0.01 });
    const tight = fitLogistic({ n: 6, p: 2, x }, y, { lambda: 1 });
    expect(Math.abs(tight.coefficients[0] as number)).toBeLessThan(Math.abs(loose.coefficients[0] as number));
    expect(loose.coefficients[1]).toBe(0);
    expect(loose.sd[1]).toBe(0);
  });

  it("separable data stay finite with a penalty", () => {
    const x = Float64Array.from([0, 1, 2, 3, 4, 5]);
    const y = Uint8Array.from([0, 0, 0, 1, 1, 1]);
    const m = fitLogistic({ n: 6, p: 1, x }, y, { lambda: 1e-3 });
    expect(Number.isFinite(m.coefficients[0] as number)).toBe(true);
    const p = predictLogistic(m, { n: 6, p: 1, x });
    expect(p[0]).toBeLessThan(0.05);
    expect(p[5]).toBeGreaterThan(0.95);
  });
});

describe("Platt scaling", () => {
  it("maps over-confident scores back to the observed rates", () => {
    // Scores 0.1 (observed 30%) and 0.9 (observed 70%): a = ln(7/3)/ln 9, b = 0.
    const scores = new Float64Array(20);
    const y = new Uint8Array(20);
    for (let i = 0; i < 10; i++) {
      scores[i] = 0.1;
      y[i] = i < 3 ? 1 : 0;
      scores[10 + i] = 0.9;
      y[10 + i] = i < 7 ? 1 : 0;
    }
    const s = fitPlatt(scores, y);
    expect(s.a).toBeCloseTo(Math.log(7 / 3) / Math.log(9), 8);
    expect(s.b).toBeCloseTo(0, 8);
    const out = applyPlatt(s, Float64Array.from([0.1, 0.9]));
    expect(out[0]).toBeCloseTo(0.3, 8);
    expect(out[1]).toBeCloseTo(0.7, 8);
  });
});
