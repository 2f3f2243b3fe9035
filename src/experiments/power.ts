import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import { UserError } from "../errors.js";

/**
 * Power and sample size (issue 20, item 5), pure: how many people each arm needs for a two-sample test to detect a
 * given effect. The tests are the ones `tessera experiment analyze` runs (src/experiments/stats/: Welch's t with
 * unpooled variances), so the plan uses the same variances:
 *
 * - a proportion: n = (z₁₋α′ + z₁₋β)² · (p₁(1−p₁) + p₂(1−p₂)) / (p₂ − p₁)² (the normal approximation with
 *   unpooled variances; p₂ = p₁ + Δ);
 * - a mean: n = (t₁₋α′,ν + t₁₋β,ν)² · 2σ² / Δ², ν = 2n − 2, solved by iteration from the normal answer (the
 *   central-t approximation to the noncentral t: G*Power's 64 per arm for d = 0.5).
 *
 * α′ = α/2 two-sided, α one-sided. With more than two arms every variant is compared with the control and the
 * analysis adjusts those m = arms − 1 p-values (Holm); the plan uses Bonferroni's α/m, the threshold Holm's first
 * step applies, so each comparison keeps its power whatever the other variants do (conservative by design).
 */

export type PlanAlternative = "two-sided" | "greater";

export interface PlanInput {
  /** A proportion's baseline rate p₁ in (0, 1), or a mean's baseline (with its standard deviation). */
  readonly baseline:
    | { readonly kind: "proportion"; readonly rate: number }
    | { readonly kind: "mean"; readonly mean: number; readonly sd: number };
  /** The minimum detectable effect, > 0: relative to the baseline (0.1 = +10%) or absolute. */
  readonly mde: number;
  readonly relative: boolean;
  readonly alpha: number;
  readonly power: number;
  /** Arms, the control included (≥ 2). */
  readonly variants: number;
  readonly alternative: PlanAlternative;
}

export interface SampleSize {
  readonly metric: "proportion" | "mean";
  /** The effect as an absolute difference, and the treatment's value it implies. */
  readonly absolute_effect: number;
  readonly baseline_value: number;
  readonly treatment_value: number;
  readonly alpha: number;
  /** α per comparison with the control (Bonferroni over arms − 1 comparisons). */
  readonly alpha_per_comparison: number;
  readonly adjustment: "none" | "bonferroni";
  readonly power: number;
  readonly alternative: PlanAlternative;
  readonly variants: number;
  /** People per arm (rounded up), and in all arms together. */
  readonly per_arm: number;
  readonly total: number;
  /** How it was computed, in words. */
  readonly method: string;
}

function check(ok: boolean, code: string, reason: string, where: string): void {
  if (!ok) throw new UserError(code, reason, where);
}

/** Checks a plan's input; each error names the option. */
export function checkPlanInput(input: PlanInput): void {
  const b = input.baseline;
  if (b.kind === "proportion")
    check(
      Number.isFinite(b.rate) && b.rate > 0 && b.rate < 1,
      "bad-baseline",
      `a baseline rate is between 0 and 1 (exclusive), got ${b.rate}`,
      "--baseline-rate",
    );
  else {
    check(
      Number.isFinite(b.mean),
      "bad-baseline",
      `a baseline mean is a number, got ${b.mean}`,
      "--baseline-mean",
    );
    check(
      Number.isFinite(b.sd) && b.sd > 0,
      "bad-baseline",
      `a baseline standard deviation is > 0, got ${b.sd}`,
      "--baseline-sd",
    );
  }
  check(
    Number.isFinite(input.mde) && input.mde > 0,
    "bad-mde",
    `the effect is > 0, got ${input.mde}`,
    "--mde",
  );
  check(
    Number.isFinite(input.alpha) && input.alpha > 0 && input.alpha < 1,
    "bad-alpha",
    `alpha is between 0 and 1 (exclusive), got ${input.alpha}`,
    "--alpha",
  );
  check(
    Number.isFinite(input.power) && input.power > 0 && input.power < 1,
    "bad-power",
    `power is between 0 and 1 (exclusive), got ${input.power}`,
    "--power",
  );
  check(
    Number.isInteger(input.variants) && input.variants >= 2 && input.variants <= 100,
    "bad-variants",
    `variants counts the arms with the control: a whole number from 2 to 100, got ${input.variants}`,
    "--variants",
  );
  if (input.relative && b.kind === "mean")
    check(
      b.mean !== 0,
      "bad-mde",
      "a relative effect needs a baseline mean other than 0 (use --absolute)",
      "--mde",
    );
}

const MAX_PER_ARM = 1e12;

/** The sample size per arm for a two-sample test (see the module's comment for the formulas). */
export function sampleSize(input: PlanInput): SampleSize {
  checkPlanInput(input);
  const comparisons = input.variants - 1;
  const alphaC = input.alpha / comparisons;
  const tail = input.alternative === "two-sided" ? alphaC / 2 : alphaC;
  const zA = normalQuantile(1 - tail, 0, 1);
  const zB = normalQuantile(input.power, 0, 1);
  const b = input.baseline;
  const base = b.kind === "proportion" ? b.rate : b.mean;
  const delta = input.relative ? Math.abs(base) * input.mde : input.mde;
  const treatment = base + delta;
  let n: number;
  let method: string;
  if (b.kind === "proportion") {
    check(
      treatment < 1,
      "bad-mde",
      `the effect takes the rate to ${round(treatment)}, at or above 1: choose a smaller effect`,
      "--mde",
    );
    const variance = b.rate * (1 - b.rate) + treatment * (1 - treatment);
    n = ((zA + zB) ** 2 * variance) / delta ** 2;
    method =
      "two-sample test of proportions, normal approximation with unpooled variances: " +
      "n = (z(1-a') + z(1-b))^2 * (p1(1-p1) + p2(1-p2)) / (p2-p1)^2";
  } else {
    const twoVar = 2 * b.sd ** 2;
    n = ((zA + zB) ** 2 * twoVar) / delta ** 2;
    // The t quantiles at ν = 2n − 2 raise n a little; a few rounds settle it (n only grows, ν with it).
    for (let i = 0; i < 50; i++) {
      const df = Math.max(1, 2 * Math.ceil(n) - 2);
      const next = ((tQuantile(1 - tail, df) + tQuantile(input.power, df)) ** 2 * twoVar) / delta ** 2;
      if (Math.abs(next - n) < 1e-9) break;
      n = next;
    }
    method =
      "two-sample t-test on means (Welch, equal variances planned): " +
      "n = (t(1-a', v) + t(1-b, v))^2 * 2 sd^2 / delta^2 with v = 2n - 2";
  }
  check(
    Number.isFinite(n) && n <= MAX_PER_ARM,
    "bad-mde",
    "the effect is too small to detect with any realistic number of people",
    "--mde",
  );
  const perArm = Math.max(2, Math.ceil(n - 1e-9));
  return {
    metric: b.kind,
    absolute_effect: delta,
    baseline_value: base,
    treatment_value: treatment,
    alpha: input.alpha,
    alpha_per_comparison: alphaC,
    adjustment: comparisons > 1 ? "bonferroni" : "none",
    power: input.power,
    alternative: input.alternative,
    variants: input.variants,
    per_arm: perArm,
    total: perArm * input.variants,
    method:
      comparisons > 1
        ? `${method}; alpha split over ${comparisons} comparisons with the control (Bonferroni, a' = ${round(alphaC)}${input.alternative === "two-sided" ? "/2" : ""})`
        : method,
  };
}

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
