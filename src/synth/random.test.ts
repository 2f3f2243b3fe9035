import { describe, expect, it } from "vitest";
import { betaPdf, gammaCdf, logGamma, Random, randomFor, subStream } from "./random.js";

const N = 100_000;

function moments(draw: () => number, n = N): { mean: number; variance: number } {
  let sum = 0;
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const x = draw();
    sum += x;
    sq += x * x;
  }
  const mean = sum / n;
  return { mean, variance: sq / n - mean * mean };
}

describe("sub-streams", () => {
  it("are deterministic per (seed, index, stream)", () => {
    const a = subStream(7, 123, 0);
    const b = subStream(7, 123, 0);
    for (let i = 0; i < 10; i++) expect(a.next()).toBe(b.next());
  });

  it("differ across seeds, indices and streams", () => {
    const first = (g: ReturnType<typeof subStream>): number[] => [g.next(), g.next(), g.next()];
    const base = first(subStream(7, 123, 0));
    expect(first(subStream(8, 123, 0))).not.toEqual(base);
    expect(first(subStream(7, 124, 0))).not.toEqual(base);
    expect(first(subStream(7, 123, 1))).not.toEqual(base);
    // Seeds beyond 32 bits still matter.
    expect(first(subStream(2 ** 40 + 7, 123, 0))).not.toEqual(base);
  });

  it("give uncorrelated first draws for neighbouring customers", () => {
    // Serial correlation of the first uniform across consecutive indices should be ~0.
    const xs = Array.from({ length: 20_000 }, (_, i) => randomFor(1, i, 0).float());
    let num = 0;
    let den = 0;
    for (let i = 1; i < xs.length; i++) num += ((xs[i] as number) - 0.5) * ((xs[i - 1] as number) - 0.5);
    for (const x of xs) den += (x - 0.5) ** 2;
    expect(Math.abs(num / den)).toBeLessThan(0.03);
  });
});

describe("Random distributions", () => {
  const rng = new Random(subStream(42, 0, 0));

  it("float and open stay in range, with mean 1/2 and variance 1/12", () => {
    for (let i = 0; i < 10_000; i++) {
      const f = rng.float();
      const o = rng.open();
      expect(f >= 0 && f < 1).toBe(true);
      expect(o > 0 && o < 1).toBe(true);
    }
    const m = moments(() => rng.float());
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 2);
  });

  it("int, between and weighted hit every outcome in proportion", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const k = rng.weighted([1, 2, 3]);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect((counts[2] as number) / 30_000).toBeCloseTo(0.5, 1);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) seen.add(rng.between(3, 5));
    expect([...seen].sort()).toEqual([3, 4, 5]);
    for (let i = 0; i < 1000; i++) expect(rng.int(4)).toBeLessThan(4);
  });

  it("cumulative picks by cumulative weights", () => {
    const cum = [1, 1, 4]; // weights 1, 0, 3
    const counts = [0, 0, 0];
    for (let i = 0; i < 40_000; i++) {
      const k = rng.cumulative(cum);
      counts[k] = (counts[k] ?? 0) + 1;
    }
    expect(counts[1]).toBe(0);
    expect((counts[2] as number) / 40_000).toBeCloseTo(0.75, 1);
  });

  it("normal has the requested mean and variance", () => {
    const m = moments(() => rng.normal(3, 2));
    expect(m.mean).toBeCloseTo(3, 1);
    expect(m.variance).toBeGreaterThan(3.9);
    expect(m.variance).toBeLessThan(4.1);
  });

  it("exponential has mean 1/rate", () => {
    expect(moments(() => rng.exponential(4)).mean).toBeCloseTo(0.25, 2);
  });

  it.each([
    [0.25, 4],
    [0.5, 5],
    [1, 1],
    [6, 15],
    [4, 40],
  ])("gamma(shape %f, rate %f) has mean shape/rate and variance shape/rate²", (shape, rate) => {
    const m = moments(() => rng.gamma(shape, rate));
    const mean = shape / rate;
    const variance = shape / rate ** 2;
    expect(Math.abs(m.mean / mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(m.variance / variance - 1)).toBeLessThan(0.08);
  });

  it("beta(a, b) has mean a/(a+b) and the right variance", () => {
    const [a, b] = [0.8, 2.5];
    const m = moments(() => rng.beta(a, b));
    expect(m.mean).toBeCloseTo(a / (a + b), 2);
    expect(m.variance).toBeCloseTo((a * b) / ((a + b) ** 2 * (a + b + 1)), 2);
  });

  it.each([0.6, 5, 29, 45, 300])("poisson(%f) has mean and variance equal to the mean", (mean) => {
    const m = moments(() => rng.poisson(mean), 50_000);
    expect(Math.abs(m.mean / mean - 1)).toBeLessThan(0.03);
    expect(Math.abs(m.variance / mean - 1)).toBeLessThan(0.06);
  });

  it("pick and chance", () => {
    expect(["a", "b"]).toContain(rng.pick(["a", "b"]));
    expect(moments(() => (rng.chance(0.3) ? 1 : 0)).mean).toBeCloseTo(0.3, 2);
  });
});

describe("special functions", () => {
  it("logGamma matches factorials and Γ(1/2)", () => {
    expect(logGamma(1)).toBeCloseTo(0, 10);
    expect(logGamma(5)).toBeCloseTo(Math.log(24), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 9);
  });

  it("gammaCdf matches closed forms", () => {
    // Shape 1 is the exponential distribution.
    for (const x of [0.1, 1, 3, 10]) expect(gammaCdf(1, x)).toBeCloseTo(1 - Math.exp(-x), 12);
    // Shape 2: 1 - e^-x (1 + x).
    for (const x of [0.5, 2, 7]) expect(gammaCdf(2, x)).toBeCloseTo(1 - Math.exp(-x) * (1 + x), 12);
    expect(gammaCdf(0.5, 0)).toBe(0);
    expect(gammaCdf(3, 1e6)).toBeCloseTo(1, 12);
  });

  it("gammaCdf of gamma draws is uniform", () => {
    const rng = new Random(subStream(3, 0, 0));
    const m = moments(() => gammaCdf(0.5, rng.gamma(0.5)), 50_000);
    expect(m.mean).toBeCloseTo(0.5, 2);
    expect(m.variance).toBeCloseTo(1 / 12, 2);
  });

  it("betaPdf integrates to one", () => {
    let sum = 0;
    const steps = 100_000;
    for (let i = 0; i < steps; i++) sum += betaPdf((i + 0.5) / steps, 2, 3.5) / steps;
    expect(sum).toBeCloseTo(1, 4);
  });
});
