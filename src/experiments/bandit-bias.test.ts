import { describe, expect, it } from "vitest";
import { banditAnalysis, stratifiedComparisons } from "./bandit-bias.js";
import type { ArmSummary } from "./stats/types.js";

const arm = (name: string, n: number, sum: number): ArmSummary => ({ name, n, sum, sum_squares: sum });

describe("the period-stratified estimate", () => {
  it("removes the bias a time trend puts into pooled means when the split changes", () => {
    // Both arms convert alike within each period (10%, then 30%), but the bandit gave the variant 90% of period 2.
    const periods = [
      [arm("control", 500, 50), arm("offer", 500, 50)],
      [arm("control", 100, 30), arm("offer", 900, 270)],
    ];
    // Pooled: 320/1400 − 80/600 = 0.0952: a spurious lift.
    expect(320 / 1400 - 80 / 600).toBeCloseTo(0.095238, 5);
    const [c] = stratifiedComparisons(periods, "proportion");
    expect(c?.computable).toBe(true);
    if (c?.computable) {
      expect(c.effect).toBeCloseTo(0, 12);
      expect(c.value).toBeCloseTo(0.2, 12);
      expect(c.control_value).toBeCloseTo(0.2, 12);
      expect(c.periods_used).toBe(2);
    }
  });

  it("matches a hand computation: weights by period size, variance Σ w² s²/n", () => {
    const periods = [
      [arm("control", 100, 10), arm("offer", 100, 20)],
      [arm("control", 50, 5), arm("offer", 150, 45)],
    ];
    // w = 200/400 each; control 0.1 and 0.1, offer 0.2 and 0.3: effect 0.25 − 0.1 = 0.15.
    // s² = p(1 − p)·n/(n − 1): 0.0909091, 0.1616162 (period 1); 0.0918367, 0.2114094 (period 2).
    const v = 0.25 * (0.0909091 / 100 + 0.1616162 / 100) + 0.25 * (0.0918367 / 50 + 0.2114094 / 150);
    const [c] = stratifiedComparisons(periods, "proportion");
    if (!c?.computable) throw new Error("not computable");
    expect(c.effect).toBeCloseTo(0.15, 12);
    expect(c.se).toBeCloseTo(Math.sqrt(v), 6);
    expect(c.ci[0]).toBeCloseTo(0.15 - 1.959964 * Math.sqrt(v), 5);
    expect(c.people).toBe(400);
  });

  it("says what it cannot compute instead of giving NaN", () => {
    const lonely = stratifiedComparisons([[arm("control", 1, 0), arm("offer", 5, 1)]], "proportion");
    expect(lonely[0]).toMatchObject({
      computable: false,
      reason: expect.stringMatching(/at least 2 people/),
    });
    const flat = stratifiedComparisons([[arm("control", 5, 0), arm("offer", 5, 0)]], "proportion");
    expect(flat[0]).toMatchObject({ computable: false, reason: expect.stringMatching(/zero variance/) });
    const r = banditAnalysis([[arm("control", 10, 1), arm("offer", 10, 2)]], "mean");
    expect(r.caveat).toMatch(/biased/);
    expect(JSON.stringify(r)).not.toMatch(/NaN|Infinity|null/);
  });
});
