import { describe, expect, it } from "vitest";
import { auc, calibrationCurve, liftAtTop } from "./evaluation.js";

/** AUC by counting every (positive, negative) pair: the definition, O(n²). */
function pairAuc(s: number[], y: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < s.length; i++)
    for (let j = 0; j < s.length; j++)
      if (y[i] === 1 && y[j] === 0) {
        pairs++;
        wins += (s[i] as number) > (s[j] as number) ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
  return wins / pairs;
}

describe("auc", () => {
  it("is 1, 0 and ½ for perfect, reversed and constant scores; null without both classes", () => {
    const y = Uint8Array.from([0, 0, 1, 1]);
    expect(auc(Float64Array.from([1, 2, 3, 4]), y)).toBe(1);
    expect(auc(Float64Array.from([4, 3, 2, 1]), y)).toBe(0);
    expect(auc(Float64Array.from([5, 5, 5, 5]), y)).toBe(0.5);
    expect(auc(Float64Array.from([1, 2]), Uint8Array.from([1, 1]))).toBeNull();
  });

  it("equals the pair count on random scores with ties", () => {
    let seed = 3;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const s = Array.from({ length: 300 }, () => Math.floor(next() * 20));
    const y = s.map((v) => (next() < 0.2 + v / 40 ? 1 : 0));
    expect(auc(Float64Array.from(s), Uint8Array.from(y))).toBeCloseTo(pairAuc(s, y), 12);
  });
});

describe("calibration and lift", () => {
  it("deciles by predicted value: mean predicted and observed rate per bin", () => {
    const p = Float64Array.from({ length: 20 }, (_, i) => i / 20);
    const y = Uint8Array.from({ length: 20 }, (_, i) => (i >= 18 ? 1 : 0));
    const bins = calibrationCurve(p, y, 10);
    expect(bins).toHaveLength(10);
    expect(bins[0]).toEqual({ bin: 1, customers: 2, meanPredicted: 0.025, observedRate: 0 });
    expect(bins[9]).toEqual({ bin: 10, customers: 2, meanPredicted: 0.925, observedRate: 1 });
    // k-gate: bins under k people are suppressed
    expect(calibrationCurve(p, y, 10, 5)[0]).toEqual({
      bin: 1,
      customers: null,
      meanPredicted: null,
      observedRate: null,
    });
  });

  it("lift in the top decile: its rate over the overall rate", () => {
    const s = Float64Array.from({ length: 100 }, (_, i) => i);
    const y = Uint8Array.from({ length: 100 }, (_, i) => (i >= 95 || i < 5 ? 1 : 0));
    // top 10: 5 positives of 10 (50%), overall 10% → 5×
    expect(liftAtTop(s, y, 0.1)).toBeCloseTo(5, 12);
  });
});

describe("the calibration split", () => {
  it("holds out about 20% of customers, the same ones for the same seed", async () => {
    const { inCalibrationPart } = await import("./split.js");
    const ids = Array.from({ length: 20_000 }, (_, i) => `C${String(i).padStart(7, "0")}`);
    const share = ids.filter((id) => inCalibrationPart(id, 1)).length / ids.length;
    expect(share).toBeGreaterThan(0.19);
    expect(share).toBeLessThan(0.21);
    expect(ids.map((id) => inCalibrationPart(id, 1))).toEqual(ids.map((id) => inCalibrationPart(id, 1)));
    expect(ids.filter((id) => inCalibrationPart(id, 2) !== inCalibrationPart(id, 1)).length).toBeGreaterThan(
      1000,
    );
  });
});
