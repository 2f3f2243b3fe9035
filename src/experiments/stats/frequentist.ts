/**
 * Frequentist tests of an effect estimate (effect.ts):
 * - fixed horizon: Welch's t with the Welch–Satterthwaite dof; two-sided p = 2·T(−|t|), "greater" p = T(−t),
 *   "less" p = T(t) (T the Student-t cdf, @stdlib; the lower tail keeps precision for tiny p), intervals
 *   est ± t₁₋α/₂·se, or one-sided [est − t₁₋α·se, ∞) / (−∞, est + t₁₋α·se];
 * - sequential (GrowthBook's asymptotic confidence sequences, Waudby-Smith et al. 2023, arXiv 2103.06476; Howard
 *   et al. 2021): with N = n_a + n_b people, s² = se²·N and the mixture's tuning
 *   ρ = √((−2 ln α' + ln(−2 ln α' + 1)) / N*)   (α' = α two-sided, 2α one-sided; N* = 5000 by default, where the
 *   sequence is narrowest), the two-sided half-width is s·√(2(Nρ² + 1)·ln(√(Nρ² + 1)/α) / (Nρ)²) and the one-sided
 *   one s·√(2(Nρ² + 1)/(Nρ)² · ln(1 + √(Nρ² + 1)/(2α))). The always-valid p-value is the smallest α whose sequence
 *   (ρ held at the configured α's) excludes 0: two-sided, p = min(1, √(Nρ² + 1)·exp(−ρ²·N·est²/se² / (2(Nρ² + 1))))
 *   (GrowthBook's eq. 155 form); one-sided, solving the half-width for α in closed form,
 *   p = min(1, √(Nρ² + 1) / (2·(exp(L) − 1))), L = est²·(Nρ)² / (2s²(Nρ² + 1)), and 1 when est points the wrong way.
 *   GrowthBook finds the one-sided p by bisection and clamps it to [1e-5, 0.4999]; the closed form is the same root.
 * Open ends of one-sided intervals are null, never Infinity.
 */
import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import type { EffectEstimate } from "./effect.js";
import type { Alternative } from "./types.js";

export const DEFAULT_SEQUENTIAL_TUNING = 5000;

export interface TestOutcome {
  readonly p: number;
  readonly ci: readonly [number | null, number | null];
}

/** Welch's t-test, fixed horizon. */
export function welchTest(e: EffectEstimate, alternative: Alternative, alpha: number): TestOutcome {
  const t = e.estimate / e.se;
  if (alternative === "two-sided") {
    const w = tQuantile(1 - alpha / 2, e.dof) * e.se;
    return { p: Math.min(1, 2 * tCdf(-Math.abs(t), e.dof)), ci: [e.estimate - w, e.estimate + w] };
  }
  const w = tQuantile(1 - alpha, e.dof) * e.se;
  return alternative === "greater"
    ? { p: tCdf(-t, e.dof), ci: [e.estimate - w, null] }
    : { p: tCdf(t, e.dof), ci: [null, e.estimate + w] };
}

/** The mixture's ρ for a level and a tuning N* (two-sided or one-sided). */
export function sequentialRho(alpha: number, tuning: number, twoSided: boolean): number {
  const a = twoSided ? alpha : 2 * alpha;
  return Math.sqrt((-2 * Math.log(a) + Math.log(-2 * Math.log(a) + 1)) / tuning);
}

/** The confidence sequence's half-width at level alpha with ρ given (s² = se²·N). */
export function sequentialHalfWidth(
  se: number,
  n: number,
  alpha: number,
  rho: number,
  twoSided: boolean,
): number {
  const s2 = se * se * n;
  const r2n1 = n * rho * rho + 1;
  const scale = (2 * r2n1) / (n * rho) ** 2;
  const log = twoSided ? Math.log(Math.sqrt(r2n1) / alpha) : Math.log1p(Math.sqrt(r2n1) / (2 * alpha));
  return Math.sqrt(s2 * scale * log);
}

/** The sequential test: a confidence sequence and its always-valid p-value; `n` is both arms' people. */
export function sequentialTest(
  e: EffectEstimate,
  n: number,
  alternative: Alternative,
  alpha: number,
  tuning: number,
): TestOutcome {
  const twoSided = alternative === "two-sided";
  const rho = sequentialRho(alpha, tuning, twoSided);
  const w = sequentialHalfWidth(e.se, n, alpha, rho, twoSided);
  const r2n1 = n * rho * rho + 1;
  if (twoSided) {
    const st2 = (e.estimate * e.estimate * n) / (e.se * e.se);
    const p = Math.min(1, Math.sqrt(r2n1) * Math.exp((-rho * rho * st2) / (2 * r2n1)));
    return { p, ci: [e.estimate - w, e.estimate + w] };
  }
  // The estimate in the direction the alternative looks for.
  const toward = alternative === "greater" ? e.estimate : -e.estimate;
  let p = 1;
  if (toward > 0) {
    const s2 = e.se * e.se * n;
    const l = (toward * toward * (n * rho) ** 2) / (2 * s2 * r2n1);
    p = Math.min(1, Math.sqrt(r2n1) / (2 * Math.expm1(l)));
  }
  return alternative === "greater" ? { p, ci: [e.estimate - w, null] } : { p, ci: [null, e.estimate + w] };
}
