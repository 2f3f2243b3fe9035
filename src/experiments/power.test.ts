import { describe, expect, it } from "vitest";
import { UserError } from "../errors.js";
import { type PlanInput, sampleSize } from "./power.js";

const base: PlanInput = {
  baseline: { kind: "proportion", rate: 0.2 },
  mde: 0.05,
  relative: false,
  alpha: 0.05,
  power: 0.8,
  variants: 2,
  alternative: "two-sided",
};

// Standard normal quantiles, to 9 digits (any table): z(0.975), z(0.95), z(0.8), z(0.9), z(0.9875).
const Z975 = 1.959963985;
const Z95 = 1.644853627;
const Z80 = 0.841621234;
const Z90 = 1.281551566;
const Z9875 = 2.241402728;

/** The classic formula by hand: n = (z₁₋α/2 + z₁₋β)² · (p₁q₁ + p₂q₂) / (p₂ − p₁)². */
function classic(p1: number, p2: number, zA: number, zB: number): number {
  return ((zA + zB) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2))) / (p2 - p1) ** 2;
}

describe("sample size for two proportions", () => {
  it("matches the classic formula computed by hand (20% → 25%, α 0.05 two-sided, power 0.8)", () => {
    // (1.959964 + 0.841621)² · (0.16 + 0.1875) / 0.0025 = 7.848879 · 139 = 1090.99 → 1091 per arm.
    expect(classic(0.2, 0.25, Z975, Z80)).toBeCloseTo(1090.994, 2);
    const r = sampleSize(base);
    expect(r.per_arm).toBe(1091);
    expect(r.total).toBe(2182);
    expect(r.treatment_value).toBeCloseTo(0.25, 12);
    expect(r.adjustment).toBe("none");
  });

  it("is within 0.1% of statsmodels' NormalIndPower (Cohen's h) for the same case", () => {
    // statsmodels: NormalIndPower().solve_power(proportion_effectsize(0.25, 0.2), alpha=0.05, power=0.8) =
    // 1091.899 (h = 2·asin√0.25 − 2·asin√0.2 = 0.1199023; n = 2·((z₀.₉₇₅ + z₀.₈)/h)²), computed here the same way.
    const h = 2 * Math.asin(Math.sqrt(0.25)) - 2 * Math.asin(Math.sqrt(0.2));
    const statsmodels = 2 * ((Z975 + Z80) / h) ** 2;
    expect(statsmodels).toBeCloseTo(1091.899, 2);
    expect(Math.abs(sampleSize(base).per_arm - statsmodels) / statsmodels).toBeLessThan(0.001);
  });

  it("reads a relative effect from the baseline (10% → 11%)", () => {
    const r = sampleSize({ ...base, baseline: { kind: "proportion", rate: 0.1 }, mde: 0.1, relative: true });
    expect(r.absolute_effect).toBeCloseTo(0.01, 12);
    expect(r.per_arm).toBe(Math.ceil(classic(0.1, 0.11, Z975, Z80)));
    expect(r.per_arm).toBe(14749);
  });

  it("one-sided uses z(1−α); power 0.9 uses z(0.9)", () => {
    expect(sampleSize({ ...base, alternative: "greater" }).per_arm).toBe(
      Math.ceil(classic(0.2, 0.25, Z95, Z80)),
    );
    expect(sampleSize({ ...base, power: 0.9 }).per_arm).toBe(Math.ceil(classic(0.2, 0.25, Z975, Z90)));
  });

  it("splits alpha over the comparisons with the control (Bonferroni) with more than two arms", () => {
    // 3 arms: 2 comparisons, α' = 0.025, two-sided: z(1 − 0.0125) = 2.241403.
    const r = sampleSize({ ...base, variants: 3 });
    expect(r.alpha_per_comparison).toBeCloseTo(0.025, 12);
    expect(r.adjustment).toBe("bonferroni");
    expect(r.per_arm).toBe(Math.ceil(classic(0.2, 0.25, Z9875, Z80)));
    expect(r.total).toBe(3 * r.per_arm);
  });
});

describe("sample size for two means", () => {
  it("agrees with G*Power and statsmodels' TTestIndPower (noncentral t) to the whole person", () => {
    // statsmodels TTestIndPower().solve_power(effect_size=0.5, alpha=0.05, power=0.8) = 63.766 (G*Power: 64);
    // effect_size=0.2: 393.407 (G*Power: 394). Both checked with scipy's noncentral t.
    const plan = (d: number) =>
      sampleSize({ ...base, baseline: { kind: "mean", mean: 10, sd: 2 }, mde: 2 * d, relative: false });
    expect(plan(0.5).per_arm).toBe(64);
    expect(plan(0.2).per_arm).toBe(394);
  });

  it("a relative effect on a mean is a share of the baseline mean", () => {
    const r = sampleSize({ ...base, baseline: { kind: "mean", mean: 50, sd: 40 }, mde: 0.1, relative: true });
    expect(r.absolute_effect).toBeCloseTo(5, 12);
    // Normal approximation 2·(z₀.₉₇₅ + z₀.₈)²·40²/5² = 1004.7; the t quantiles add about one person.
    const normal = (2 * (Z975 + Z80) ** 2 * 40 ** 2) / 5 ** 2;
    expect(r.per_arm).toBeGreaterThanOrEqual(Math.ceil(normal));
    expect(r.per_arm).toBeLessThanOrEqual(Math.ceil(normal) + 2);
  });
});

describe("bad input", () => {
  const refused = (input: Partial<PlanInput>, code: string, where: string) => {
    try {
      sampleSize({ ...base, ...input });
    } catch (e) {
      expect(e).toBeInstanceOf(UserError);
      expect((e as UserError).code).toBe(code);
      expect((e as UserError).where).toBe(where);
      return;
    }
    throw new Error(`accepted ${JSON.stringify(input)}`);
  };
  it("refuses a rate outside (0, 1), an effect ≤ 0 or past 100%, power or alpha outside (0, 1)", () => {
    refused({ baseline: { kind: "proportion", rate: 0 } }, "bad-baseline", "--baseline-rate");
    refused({ baseline: { kind: "proportion", rate: 1 } }, "bad-baseline", "--baseline-rate");
    refused({ baseline: { kind: "proportion", rate: 1.5 } }, "bad-baseline", "--baseline-rate");
    refused({ baseline: { kind: "proportion", rate: Number.NaN } }, "bad-baseline", "--baseline-rate");
    refused({ mde: 0 }, "bad-mde", "--mde");
    refused({ mde: -0.1 }, "bad-mde", "--mde");
    refused({ mde: 0.8 }, "bad-mde", "--mde");
    refused({ mde: 1e-9 }, "bad-mde", "--mde");
    refused({ power: 0 }, "bad-power", "--power");
    refused({ power: 1 }, "bad-power", "--power");
    refused({ alpha: 0 }, "bad-alpha", "--alpha");
    refused({ alpha: 1.2 }, "bad-alpha", "--alpha");
    refused({ variants: 1 }, "bad-variants", "--variants");
    refused({ variants: 2.5 }, "bad-variants", "--variants");
    refused({ baseline: { kind: "mean", mean: 10, sd: 0 } }, "bad-baseline", "--baseline-sd");
    refused({ baseline: { kind: "mean", mean: 0, sd: 1 }, relative: true }, "bad-mde", "--mde");
  });
});
