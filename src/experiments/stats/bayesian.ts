/**
 * GrowthBook's Bayesian effect model (EffectBayesianABTest): the likelihood of the effect is Normal(est, se²) (the
 * same estimate as the frequentist test's); with a flat prior the posterior is that Normal, with a proper prior
 * N(μ₀, σ₀²) it is Normal with precision 1/se² + 1/σ₀² and mean (est/se² + μ₀/σ₀²)/precision. The prior is given on
 * the relative effect (GrowthBook's default proper prior N(0, 0.3²)); for an absolute effect it is scaled by the
 * control's value: N(μ₀·|m_a|, σ₀²·m_a²).
 * - chance to win: P(effect > 0), or P(effect < 0) when the alternative is "less" (lower is better);
 * - risk [control, variant]: the expected loss of choosing each, E max(effect, 0) and E max(−effect, 0)
 *   (swapped when lower is better); for X ~ N(μ, σ²), E max(X, 0) = μΦ(μ/σ) + σφ(μ/σ);
 * - credible interval: the posterior's α/2 and 1 − α/2 quantiles (always two-sided).
 */
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalPdf from "@stdlib/stats-base-dists-normal-pdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import type { EffectEstimate } from "./effect.js";
import type { Alternative, EffectKind } from "./types.js";

export interface Prior {
  readonly proper: boolean;
  readonly mean: number;
  readonly sd: number;
}

/** GrowthBook's default proper prior on the relative effect. */
export const DEFAULT_PROPER_PRIOR: Prior = { proper: true, mean: 0, sd: 0.3 };
export const FLAT_PRIOR: Prior = { proper: false, mean: 0, sd: 0.3 };

export interface BayesianOutcome {
  readonly mean: number;
  readonly sd: number;
  readonly chanceToWin: number;
  readonly risk: readonly [number, number];
  readonly ci: readonly [number, number];
}

/** E max(X, 0) for X ~ N(μ, σ²); never below 0 (rounding). */
function positivePart(mu: number, sigma: number): number {
  const z = mu / sigma;
  return Math.max(0, mu * normalCdf(z, 0, 1) + sigma * normalPdf(z, 0, 1));
}

/** The posterior of the effect and what it says; `controlValue` scales a relative prior to an absolute effect. */
export function bayesianTest(
  e: EffectEstimate,
  kind: EffectKind,
  controlValue: number,
  prior: Prior,
  alternative: Alternative,
  alpha: number,
): BayesianOutcome | string {
  let mean = e.estimate;
  let variance = e.se * e.se;
  if (prior.proper) {
    const scale = kind === "absolute" ? Math.abs(controlValue) : 1;
    if (scale === 0) return "the control's value is 0: a prior on the relative effect cannot be scaled to it";
    const m0 = prior.mean * scale;
    const v0 = (prior.sd * scale) ** 2;
    const precision = 1 / variance + 1 / v0;
    mean = (e.estimate / variance + m0 / v0) / precision;
    variance = 1 / precision;
  }
  const sd = Math.sqrt(variance);
  const up = normalCdf(mean / sd, 0, 1);
  const down = normalCdf(-mean / sd, 0, 1);
  const gain = positivePart(mean, sd);
  const loss = positivePart(-mean, sd);
  const lowerIsBetter = alternative === "less";
  const z = normalQuantile(1 - alpha / 2, 0, 1);
  return {
    mean,
    sd,
    chanceToWin: lowerIsBetter ? down : up,
    risk: lowerIsBetter ? [loss, gain] : [gain, loss],
    ci: [mean - z * sd, mean + z * sd],
  };
}
