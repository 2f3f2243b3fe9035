/**
 * The budget allocation and its response curves (issue 19, item 4) on cases whose optimum is known by hand, and
 * properties checked on random curves and bounds with fast-check against a reference in this file: no transfer of
 * a small amount between two segments improves the expected return.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isUserError } from "../errors.js";
import { type AllocationItem, allocate, expectedReturn } from "./budget-allocation.js";
import { fitCurve, marginalAt, responseAt, spendAtMarginal } from "./response-curves.js";

const item = (a: number, b: number, min = 0, max = Number.POSITIVE_INFINITY): AllocationItem => ({
  curve: { a, b },
  min,
  max,
});
const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0);

describe("response curve", () => {
  it("is a(1 − e^(−x/b)) with its derivative and inverse marginal", () => {
    const c = { a: 1000, b: 100 };
    expect(responseAt(c, 0)).toBe(0);
    expect(responseAt(c, 100)).toBeCloseTo(1000 * (1 - Math.exp(-1)), 10);
    expect(marginalAt(c, 0)).toBeCloseTo(10, 12);
    expect(marginalAt(c, 100)).toBeCloseTo(10 / Math.E, 12);
    // r'(x) = λ at x = b ln(a/(bλ)); nothing where the first unit returns less than λ.
    expect(spendAtMarginal(c, 10 / Math.E)).toBeCloseTo(100, 10);
    expect(spendAtMarginal(c, 11)).toBe(0);
  });

  it("is the prior itself without points, and recovers a known curve from spread points", () => {
    const prior = { a: 100, b: 500 };
    expect(fitCurve([], prior).curve).toEqual(prior);
    const truth = { a: 200, b: 1000 };
    const points = [200, 500, 1000, 1500, 2000, 3000, 4000].map((x) => ({
      spend: x,
      conversions: responseAt(truth, x),
    }));
    const exact = fitCurve(points, prior, 1e-9);
    expect(exact.curve.a).toBeCloseTo(200, 3);
    expect(exact.curve.b).toBeCloseTo(1000, 1);
    expect(exact.rmse).toBeLessThan(1e-3);
    // With the default prior (a factor e either way) seven points of ~100 conversions decide: within 2%.
    const reg = fitCurve(points, prior);
    expect(Math.abs(reg.curve.a / 200 - 1)).toBeLessThan(0.02);
    expect(Math.abs(reg.curve.b / 1000 - 1)).toBeLessThan(0.03);
  });

  it("with one point stays near the prior and bends toward the point", () => {
    const prior = { a: 100, b: 500 };
    const fit = fitCurve([{ spend: 500, conversions: 40 }], prior);
    const before = Math.abs(responseAt(prior, 500) - 40);
    expect(Math.abs(responseAt(fit.curve, 500) - 40)).toBeLessThan(before);
    expect(fit.curve.a).toBeGreaterThan(40);
    expect(fit.curve.a).toBeLessThan(100);
    expect(fit.converged).toBe(true);
  });
});

describe("allocation: hand-computed optima", () => {
  it("two exponential curves: the closed-form equal-marginal solution", () => {
    // m₁ = a₁/b₁ = 10, m₂ = 5, b₁ = b₂ = 100, T = 300. xᵢ = bᵢ ln(mᵢ/λ) and x₁ + x₂ = T give
    // ln λ = (100 ln 10 + 100 ln 5 − 300) / 200, and x₁ − x₂ = 100 ln 2: x₁ = 150 + 50 ln 2.
    const items = [item(1000, 100), item(500, 100)];
    const r = allocate(items, 300);
    expect(r.spend[0]).toBeCloseTo(150 + 50 * Math.log(2), 6);
    expect(r.spend[1]).toBeCloseTo(150 - 50 * Math.log(2), 6);
    expect(r.lambda).toBeCloseTo(Math.sqrt(50) * Math.exp(-1.5), 8);
    expect(r.status).toEqual(["equal-marginal", "equal-marginal"]);
    expect(marginalAt((items[0] as AllocationItem).curve, r.spend[0] as number)).toBeCloseTo(
      marginalAt((items[1] as AllocationItem).curve, r.spend[1] as number),
      8,
    );
  });

  it("different spend scales: x₁ = b₁ ln(m₁/λ) with ln λ = (b₁ ln m₁ + b₂ ln m₂ − T)/(b₁ + b₂)", () => {
    const [a1, b1, a2, b2, T] = [2000, 200, 300, 50, 400];
    const lnL = (b1 * Math.log(a1 / b1) + b2 * Math.log(a2 / b2) - T) / (b1 + b2);
    const r = allocate([item(a1, b1), item(a2, b2)], T);
    expect(r.spend[0]).toBeCloseTo(b1 * (Math.log(a1 / b1) - lnL), 6);
    expect(r.spend[1]).toBeCloseTo(b2 * (Math.log(a2 / b2) - lnL), 6);
  });

  it("a segment whose first unit returns less than the others' last gets nothing, and says so", () => {
    // With x₁ = 100 alone, r₁'(100) = 10/e ≈ 3.68 > m₂ = 0.5: segment 2 stays at 0.
    const r = allocate([item(1000, 100), item(50, 100)], 100);
    expect(r.spend[0]).toBeCloseTo(100, 9);
    expect(r.spend[1]).toBe(0);
    expect(r.status).toEqual(["equal-marginal", "at-min"]);
    expect(r.lambda).toBeCloseTo(10 / Math.E, 8);
  });

  it("binding bounds: a maximum and a minimum hold, the rest goes to the other segment", () => {
    const items = [item(1000, 100, 0, 150), item(500, 100)];
    const r = allocate(items, 300);
    expect(r.spend[0]).toBe(150);
    expect(r.spend[1]).toBeCloseTo(150, 9);
    expect(r.status[0]).toBe("at-max");
    // min₂ = 200: r₂'(200) = 5e⁻² ≈ 0.68 < r₁'(100) = 10/e: segment 2 is held at its minimum.
    const m = allocate([item(1000, 100), item(500, 100, 200)], 300);
    expect(m.spend[0]).toBeCloseTo(100, 9);
    expect(m.spend[1]).toBeCloseTo(200, 9);
    expect(m.status).toEqual(["equal-marginal", "at-min"]);
  });

  it("a total larger than the curves can take: every maximum, the rest unallocated", () => {
    const r = allocate([item(1000, 100, 0, 50), item(500, 100, 0, 60), item(0, 100, 5)], 1000);
    expect(Array.from(r.spend)).toEqual([50, 60, 5]);
    expect(r.unallocated).toBe(885);
    expect(r.lambda).toBeNull();
    expect(r.status).toEqual(["at-max", "at-max", "no-response"]);
  });

  it("an unbounded total far past saturation: spent exactly, every curve near its reach", () => {
    const items = [item(1000, 100), item(500, 50), item(200, 10)];
    const r = allocate(items, 1e5);
    expect(sum(r.spend)).toBeCloseTo(1e5, 6);
    for (const [i, it] of items.entries())
      expect(responseAt(it.curve, r.spend[i] as number)).toBeCloseTo(it.curve.a, 6);
    expect(r.lambda).toBeLessThan(1e-100);
  });

  it("equal curves split equally", () => {
    const r = allocate([item(300, 40), item(300, 40), item(300, 40)], 99);
    for (const x of r.spend) expect(x).toBeCloseTo(33, 9);
  });

  it("refuses a total ≤ 0 or not a number, minimums above the total, and nothing to plan", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        if (isUserError(e)) return `${e.code}@${e.where}`;
        throw e;
      }
      return "ok";
    };
    expect(code(() => allocate([item(1, 1)], 0))).toBe("bad-total@total");
    expect(code(() => allocate([item(1, 1)], -5))).toBe("bad-total@total");
    expect(code(() => allocate([item(1, 1)], Number.NaN))).toBe("bad-total@total");
    expect(code(() => allocate([item(1, 1, 60), item(1, 1, 50)], 100))).toBe("bounds-infeasible@bounds");
    expect(code(() => allocate([item(1, 1, 5, 2)], 100))).toBe("bad-bounds@bounds[0]");
    expect(code(() => allocate([], 100))).toBe("no-segments@by");
  });
});

/** Random segments: curves over wide scales, some without response, some bounded. */
const itemArb = fc
  .record({
    a: fc.oneof(fc.constant(0), fc.double({ min: 0.1, max: 1e5, noNaN: true })),
    b: fc.double({ min: 0.5, max: 1e4, noNaN: true }),
    min: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 500, noNaN: true })),
    width: fc.oneof(fc.constant(Number.POSITIVE_INFINITY), fc.double({ min: 0, max: 5000, noNaN: true })),
  })
  .map(({ a, b, min, width }) => item(a, b, min, min + width));

const caseArb = fc
  .record({
    items: fc.array(itemArb, { minLength: 1, maxLength: 8 }),
    extra: fc.double({ min: 1, max: 1e5, noNaN: true }),
  })
  .map(({ items, extra }) => ({ items, total: sum(items.map((i) => i.min)) + extra }));

describe("allocation: properties", () => {
  it("sums to the total (less what nothing can take), respects bounds, and is deterministic", () => {
    fc.assert(
      fc.property(caseArb, ({ items, total }) => {
        const r = allocate(items, total);
        expect(sum(r.spend) + r.unallocated).toBeCloseTo(
          total,
          Math.max(0, 9 - Math.ceil(Math.log10(total))),
        );
        expect(r.unallocated).toBeGreaterThanOrEqual(0);
        for (const [i, it] of items.entries()) {
          expect(r.spend[i] as number).toBeGreaterThanOrEqual(it.min - 1e-9 * total);
          expect(r.spend[i] as number).toBeLessThanOrEqual(it.max + 1e-9 * total);
        }
        expect(Array.from(allocate(items, total).spend)).toEqual(Array.from(r.spend));
      }),
      { numRuns: 300, seed: 19 },
    );
  });

  it("no small transfer between two segments improves the expected return (reference check)", () => {
    fc.assert(
      fc.property(caseArb, fc.double({ min: 1e-4, max: 1e-2, noNaN: true }), ({ items, total }, share) => {
        const r = allocate(items, total);
        const base = expectedReturn(items, r.spend);
        const delta = share * total;
        for (let i = 0; i < items.length; i++)
          for (let j = 0; j < items.length; j++) {
            if (i === j) continue;
            // Move up to δ from i to j, within both bounds.
            const d = Math.min(
              delta,
              (r.spend[i] as number) - (items[i] as AllocationItem).min,
              (items[j] as AllocationItem).max - (r.spend[j] as number),
            );
            if (!(d > 0)) continue;
            const moved = Float64Array.from(r.spend);
            moved[i] = (moved[i] as number) - d;
            moved[j] = (moved[j] as number) + d;
            expect(expectedReturn(items, moved)).toBeLessThanOrEqual(
              base + 1e-9 * Math.max(1, Math.abs(base)),
            );
          }
      }),
      { numRuns: 300, seed: 7 },
    );
  });
});
