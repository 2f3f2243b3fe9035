import { describe, expect, it } from "vitest";
import { minimizeBfgs, minimizeNelderMead } from "./optimize.js";

/** Rosenbrock's banana valley: minimum 0 at (1, 1). */
const rosenbrock = (x: Float64Array, g?: Float64Array): number => {
  const a = x[0] as number;
  const b = x[1] as number;
  if (g) {
    g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
    g[1] = 200 * (b - a * a);
  }
  return (1 - a) ** 2 + 100 * (b - a * a) ** 2;
};

describe("minimisers", () => {
  it("BFGS finds Rosenbrock's minimum", () => {
    const m = minimizeBfgs((x, g) => rosenbrock(x, g), [-1.2, 1]);
    expect(m.converged).toBe(true);
    expect(m.x[0]).toBeCloseTo(1, 6);
    expect(m.x[1]).toBeCloseTo(1, 6);
  });

  it("Nelder–Mead finds it too, and gives the same answer every run", () => {
    const a = minimizeNelderMead((x) => rosenbrock(x), [-1.2, 1]);
    const b = minimizeNelderMead((x) => rosenbrock(x), [-1.2, 1]);
    expect(a.x[0]).toBeCloseTo(1, 4);
    expect(a.x[1]).toBeCloseTo(1, 4);
    expect(Array.from(b.x)).toEqual(Array.from(a.x));
  });

  it("BFGS never steps into a non-finite region", () => {
    // ln is undefined below 0: the line search must back off instead of returning NaN.
    const f = (x: Float64Array, g: Float64Array) => {
      const v = x[0] as number;
      g[0] = 1 - 1 / v;
      return v - Math.log(v);
    };
    const m = minimizeBfgs(f, [5]);
    expect(m.x[0]).toBeCloseTo(1, 6);
    expect(Number.isFinite(m.value)).toBe(true);
  });
});
