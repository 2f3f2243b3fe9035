import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { bgnbdGradient, bgnbdLogLikelihood, fitBgNbd } from "./bgnbd.js";
import {
  conditionalExpectedPurchases,
  expectedPurchases,
  pAlive,
  probabilityOfPurchases,
} from "./bgnbd-predict.js";
import { type PurchaseTuples, perCustomer } from "./purchase-tuples.js";

/** The paper's rounded parameters (BTYD's examples and lifetimes' tests use them). */
const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
/** The unrounded maximum-likelihood fit on the CDNOW summary (lifetimes Quickstart; an independent scipy fit). */
const FITTED = { r: 0.242593, alpha: 4.413532, a: 0.792886, b: 2.425752 };

describe("BG/NBD probabilities and expectations against published figures", () => {
  it("P(X(39) = 0) = 0.5737864 and P(X(2) = 10) = 1.07869e-7 with the published parameters (BTYD manual)", () => {
    expect(probabilityOfPurchases(PUBLISHED, 0, 39)).toBeCloseTo(0.5737864, 7);
    expect(probabilityOfPurchases(PUBLISHED, 10, 2)).toBeCloseTo(1.07869e-7, 11);
  });

  it("P(X(30) = n) for n = 11…20 match BTYD's manual", () => {
    const expected = [
      0.0019995214, 0.0015170236, 0.001163315, 0.0009003148, 0.0007023638, 0.0005517902, 0.0004361913,
      0.0003467171, 0.0002769613, 0.000222226,
    ];
    expected.forEach((p, i) => {
      expect(probabilityOfPurchases(PUBLISHED, 11 + i, 30)).toBeCloseTo(p, 9);
    });
  });

  it("E[X(t)] matches Hardie's spreadsheet to 3 decimals with the fitted parameters", () => {
    const times = [0.1429, 1, 3, 31.8571, 32, 78];
    const expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576];
    times.forEach((t, i) => {
      expect(Math.abs(expectedPurchases(FITTED, t) - (expected[i] as number))).toBeLessThan(5e-4);
    });
  });

  it("E[X(78)] with the published parameters is 1.8605, the mean of the pmf (see CONTEXT.md on 1.8576)", () => {
    let mean = 0;
    for (let n = 0; n < 1000; n++) mean += n * probabilityOfPurchases(PUBLISHED, n, 78);
    expect(expectedPurchases(PUBLISHED, 78)).toBeCloseTo(mean, 9);
    expect(expectedPurchases(PUBLISHED, 78)).toBeCloseTo(1.8605, 4);
  });

  it("conditional expectation of customer 1 (x = 2, t_x = 30.43, T = 38.86) over 39 weeks is 1.226", () => {
    expect(Math.abs(conditionalExpectedPurchases(FITTED, 39, 2, 30.43, 38.86) - 1.226)).toBeLessThanOrEqual(
      0.001,
    );
    expect(pAlive(FITTED, 2, 30.43, 38.86)).toBeCloseTo(0.7266, 4);
  });

  it("next-week expectations of the top customers match lifetimes' Quickstart", () => {
    const cases: [number, number, number, number][] = [
      [26, 30.86, 31.0, 0.710623],
      [29, 37.71, 38.0, 0.662396],
      [17, 28.43, 28.86, 0.486526],
      [19, 34.0, 34.14, 0.474738],
      [18, 35.14, 35.86, 0.424877],
    ];
    for (const [x, tx, T, e] of cases)
      expect(conditionalExpectedPurchases(FITTED, 1, x, tx, T)).toBeCloseTo(e, 5);
  });

  it("the conditional pmf sums to 1 and its mean is the conditional expectation", () => {
    for (const [x, tx, T] of [
      [0, 0, 30],
      [2, 30.43, 38.86],
      [12, 20, 38],
    ] as const) {
      let total = 0;
      let mean = 0;
      for (let n = 0; n < 600; n++) {
        const p = probabilityOfPurchases(FITTED, n, 39, x, tx, T);
        total += p;
        mean += n * p;
      }
      expect(total).toBeCloseTo(1, 10);
      expect(mean).toBeCloseTo(conditionalExpectedPurchases(FITTED, 39, x, tx, T), 8);
    }
  });

  it("P(alive) is 1 without repeat purchases and 0 for a customer long silent after many", () => {
    expect(pAlive(FITTED, 0, 0, 50)).toBe(1);
    expect(pAlive(FITTED, 1000, 10, 100)).toBeCloseTo(0, 12);
    expect(conditionalExpectedPurchases(FITTED, 0, 3, 10, 20)).toBe(0);
  });
});

/** Deterministic uniform numbers in (0, 1) (mulberry32). */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
}

/** 600 customers simulated from the BG/NBD story, times rounded to days, as (x, t_x, T) in weeks. */
function smallData(): PurchaseTuples {
  const u = uniform(42);
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  for (let i = 0; i < 600; i++) {
    const lambda = [0.05, 0.1, 0.2, 0.5][i % 4] as number;
    const p = [0.1, 0.3, 0.6][i % 3] as number;
    const observed = Math.round(7 * (20 + 20 * u())) / 7;
    let t = 0;
    let n = 0;
    let last = 0;
    for (;;) {
      t += -Math.log(u()) / lambda;
      if (t >= observed) break;
      n++;
      last = Math.round(7 * t) / 7;
      if (u() < p) break;
    }
    x.push(n);
    tx.push(last);
    T.push(observed);
  }
  return perCustomer(x, tx, T);
}

describe("BG/NBD likelihood and fit", () => {
  it("has the analytic gradient of its log-likelihood (checked by central differences)", () => {
    const t = smallData();
    const p = { r: 0.4, alpha: 3, a: 0.7, b: 2.2 };
    const g = bgnbdGradient(t, p);
    const h = 1e-6;
    (["r", "alpha", "a", "b"] as const).forEach((k, i) => {
      const up = bgnbdLogLikelihood(t, { ...p, [k]: p[k] * Math.exp(h) });
      const down = bgnbdLogLikelihood(t, { ...p, [k]: p[k] * Math.exp(-h) });
      expect(g[i]).toBeCloseTo((up - down) / (2 * h), 4);
    });
  });

  it("fits the same on grouped tuples as on one row per customer", () => {
    const t = smallData();
    const groups = new Map<string, number>();
    for (let i = 0; i < t.x.length; i++) {
      const key = `${t.x[i]},${t.tx[i]},${t.T[i]}`;
      groups.set(key, (groups.get(key) ?? 0) + 1);
    }
    const keys = [...groups.keys()].map((k) => k.split(",").map(Number));
    const grouped: PurchaseTuples = {
      x: Float64Array.from(keys.map((k) => k[0] as number)),
      tx: Float64Array.from(keys.map((k) => k[1] as number)),
      T: Float64Array.from(keys.map((k) => k[2] as number)),
      count: Float64Array.from(groups.values()),
    };
    const a = fitBgNbd(t);
    const b = fitBgNbd(grouped);
    expect(b.tuples).toBeLessThan(a.tuples);
    expect(b.customers).toBe(600);
    expect(a.converged && b.converged).toBe(true);
    expect(b.logLikelihood).toBeCloseTo(a.logLikelihood, 6);
    expect(b.params.r).toBeCloseTo(a.params.r, 5);
    expect(b.params.b).toBeCloseTo(a.params.b, 4);
  });

  it("refuses data that cannot identify the model, with a clear error", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(UserError);
        return (e as UserError).code;
      }
      return "no error";
    };
    expect(code(() => fitBgNbd(perCustomer([0, 0, 0], [0, 0, 0], [5, 6, 7])))).toBe("no-repeat-purchases");
    expect(code(() => fitBgNbd(perCustomer([2], [3], [5])))).toBe("too-few-customers");
    expect(code(() => fitBgNbd(perCustomer([], [], [])))).toBe("too-few-customers");
  });
});
