/**
 * Per-arm statistics from sums (the GrowthBook conventions, `../shared/data/abtest-reference`):
 * - mean: ȳ = Σy/n, sample variance s² = (Σy² − (Σy)²/n)/(n − 1);
 * - proportion: p = Σy/n, variance p(1 − p) (no n/(n − 1) correction);
 * - ratio Σy/Σd (delta method): with per-person means μy = Σy/n, μd = Σd/n and sample (co)variances s²y, s²d, syd,
 *   the ratio's variance per person is s²y/μd² − 2·μy·syd/μd³ + μy²·s²d/μd⁴ (its standard error: √(that/n)).
 * Every figure is "variance per person" v, so that an arm's standard error is √(v/n) whatever the metric.
 *
 * CUPED (a pre-exposure covariate x): θ = Σ_arms Sxy / Σ_arms Sxx, the within-arm covariance over the within-arm
 * variance pooled across arms (Sxy = Σxy − Σx·Σy/n per arm): the slope of y on x with an intercept per arm, so a
 * treatment effect on y does not leak into θ. Each person's y becomes z = y − θ·(x − x̄), x̄ the covariate's mean
 * over all arms (a common centre leaves the control's level, so a relative effect keeps its meaning). Per arm, from
 * the sums alone and θ taken as known:
 *   z̄ = ȳ − θ·(x̄_arm − x̄),   s²z = s²y − 2θ·sxy + θ²·s²x   (sample (co)variances, n − 1).
 * For a proportion, y is 0/1, so Σy² = Σy and the sample variance of z is used (the adjusted metric is a mean).
 */
import type { ArmSummary, MetricKind } from "./types.js";

/** An arm ready for a comparison: n, its metric value and its variance per person (se² = variance/n). */
export interface ArmMoments {
  readonly name: string;
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

/** An arm's moments, or why it has none. */
export type ArmStat = ArmMoments | { readonly name: string; readonly n: number; readonly reason: string };

export const hasMoments = (a: ArmStat): a is ArmMoments => !("reason" in a);

/**
 * How far Σy² may fall below (Σy)²/n (relative to the larger) and still count as rounding: sums of a million
 * floats from SQL carry relative errors near 1e-10; a shortfall beyond this is no possible data.
 */
export const ROUNDING = 1e-8;

/** Σ(v − v̄)(w − w̄) from sums; a tiny negative Σ(v − v̄)² from rounding is 0. */
function centred(sumProducts: number, sumV: number, sumW: number, n: number): number {
  return sumProducts - (sumV * sumW) / n;
}

/** The pooled CUPED slope θ (0 when the covariate does not vary within the arms). */
export function cupedTheta(arms: readonly ArmSummary[]): number {
  let sxy = 0;
  let sxx = 0;
  for (const a of arms) {
    const c = a.covariate;
    if (!c || a.n < 2) continue;
    sxy += centred(c.sum_products, c.sum, a.sum, a.n);
    sxx += Math.max(0, centred(c.sum_squares, c.sum, c.sum, a.n));
  }
  return sxx > 0 ? sxy / sxx : 0;
}

/** The covariate's mean over every arm (the centre of the adjustment). */
export function covariateMean(arms: readonly ArmSummary[]): number {
  let sum = 0;
  let n = 0;
  for (const a of arms) {
    sum += a.covariate?.sum ?? 0;
    n += a.n;
  }
  return n > 0 ? sum / n : 0;
}

/**
 * One arm's moments for the metric; with `cuped`, adjusted by θ about the centre x̄. An arm with n ≤ 1 or a ratio
 * with Σd = 0 has none (the reason says why); a variance lost to rounding below 0 is 0.
 */
export function armMoments(
  a: ArmSummary,
  metric: MetricKind,
  cuped?: { readonly theta: number; readonly centre: number },
): ArmStat {
  const { name, n } = a;
  if (n <= 1)
    return { name, n, reason: `arm ${name} has n = ${n}: at least 2 people are needed for a variance` };
  const mean = a.sum / n;
  if (metric === "ratio") {
    const d = a.denominator;
    if (!d) return { name, n, reason: `arm ${name} has no denominator sums` };
    if (d.sum === 0) return { name, n, reason: `arm ${name} has a denominator sum of 0: no ratio` };
    const my = mean;
    const md = d.sum / n;
    const syy = Math.max(0, centred(a.sum_squares ?? 0, a.sum, a.sum, n)) / (n - 1);
    const sdd = Math.max(0, centred(d.sum_squares, d.sum, d.sum, n)) / (n - 1);
    const syd = centred(d.sum_products, a.sum, d.sum, n) / (n - 1);
    const variance = syy / md ** 2 - (2 * my * syd) / md ** 3 + (my ** 2 * sdd) / md ** 4;
    return { name, n, mean: a.sum / d.sum, variance: Math.max(0, variance) };
  }
  // A 0/1 metric's Σy² is Σy.
  const sumSquares = metric === "proportion" ? a.sum : (a.sum_squares ?? 0);
  if (!cuped || !a.covariate) {
    const variance =
      metric === "proportion"
        ? mean * (1 - mean)
        : Math.max(0, centred(sumSquares, a.sum, a.sum, n)) / (n - 1);
    return { name, n, mean, variance: Math.max(0, variance) };
  }
  const c = a.covariate;
  const { theta, centre } = cuped;
  const syy = Math.max(0, centred(sumSquares, a.sum, a.sum, n)) / (n - 1);
  const sxx = Math.max(0, centred(c.sum_squares, c.sum, c.sum, n)) / (n - 1);
  const sxy = centred(c.sum_products, c.sum, a.sum, n) / (n - 1);
  return {
    name,
    n,
    mean: mean - theta * (c.sum / n - centre),
    variance: Math.max(0, syy - 2 * theta * sxy + theta ** 2 * sxx),
  };
}
