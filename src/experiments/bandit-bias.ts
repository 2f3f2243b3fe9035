import normalCdf from "@stdlib/stats-base-dists-normal-cdf";
import normalQuantile from "@stdlib/stats-base-dists-normal-quantile";
import type { ArmSummary } from "./stats/types.js";

/**
 * What adaptive allocation does to an experiment's estimates (issue 20, item 4), and Tessera's answer to it.
 *
 * A bandit changes the split over time. Two biases follow for the plain analysis that pools each arm's people:
 * - arms are compared across periods with different weights: an arm that got most people late is measured mostly
 *   on late traffic, so any change over time (a season, a campaign, a novelty effect) becomes part of its effect
 *   (Simpson's paradox);
 * - the arm that looked best early (partly by luck) gets more people afterwards, while the arms that looked worse
 *   get fewer and keep their unlucky early mean longer: the winner's lead tends to be overestimated, and the
 *   fixed-split tests' error rates no longer hold.
 *
 * Within one allocation period, though, the weights are fixed (set before the period from earlier data), so the
 * period's arms are a randomised experiment. The period-stratified estimate compares the arms within each period
 * and weights the periods by their size (all arms' people): Σₚ wₚ ȳₐ,ₚ with wₚ = Nₚ / N, variance Σₚ wₚ² sₐ,ₚ² / nₐ,ₚ.
 * It removes the first bias and the selection part of the second one (each period's mean is unbiased given the
 * weights chosen before it); what remains is the usual caveat of looking often (the sequential test is the answer).
 */

/** The caveat an analysis of a bandit experiment shows (field `bandit.caveat` of the analysis's result). */
export const BANDIT_CAVEAT =
  "adaptive allocation (Thompson sampling): the pooled per-arm values and the fixed-split tests are biased - arms " +
  "were compared across periods with different weights, and the arm that looked best early got more people, so its " +
  "lead tends to be overestimated. Read the period-stratified estimate (arms compared within each allocation " +
  "period, periods weighted by their size) as the effect.";

/** One variant against the control, stratified by allocation period. */
export type StratifiedComparison =
  | {
      readonly variant: string;
      readonly computable: true;
      /** The stratified values of the variant and the control, their difference, its standard error and interval. */
      readonly value: number;
      readonly control_value: number;
      readonly effect: number;
      readonly se: number;
      readonly ci: readonly [number, number];
      /** Two-sided p-value of a zero difference (normal approximation). */
      readonly p: number;
      /** The periods with people in both arms (the others cannot compare them). */
      readonly periods_used: number;
      readonly people: number;
    }
  | { readonly variant: string; readonly computable: false; readonly reason: string };

export interface BanditAnalysis {
  readonly caveat: string;
  readonly periods: number;
  readonly method: string;
  readonly comparisons: readonly StratifiedComparison[];
}

function variance(a: ArmSummary, statistic: "proportion" | "mean"): number | null {
  if (a.n < 2) return null;
  const mean = a.sum / a.n;
  if (statistic === "proportion") return (mean * (1 - mean) * a.n) / (a.n - 1);
  const ss = a.sum_squares ?? Number.NaN;
  const v = (ss - a.sum * mean) / (a.n - 1);
  return Number.isFinite(v) ? Math.max(0, v) : null;
}

/**
 * The period-stratified comparison of every variant with the control (arm 0), from per-period arm sums
 * (`periods[p][arm]`, arms in the experiment's order). Only periods where both arms have at least 2 people count
 * (their weights renormalised among them); with none, or with no spread at all, the comparison is not computable.
 */
export function stratifiedComparisons(
  periods: readonly (readonly ArmSummary[])[],
  statistic: "proportion" | "mean",
  alpha = 0.05,
): StratifiedComparison[] {
  const arms = periods[0]?.length ?? 0;
  const out: StratifiedComparison[] = [];
  const z = normalQuantile(1 - alpha / 2, 0, 1);
  for (let v = 1; v < arms; v++) {
    const name = periods[0]?.[v]?.name ?? `arm ${v}`;
    const used = periods.filter((p) => (p[0]?.n ?? 0) >= 2 && (p[v]?.n ?? 0) >= 2);
    const size = (p: readonly ArmSummary[]) => p.reduce((s, a) => s + a.n, 0);
    const total = used.reduce((s, p) => s + size(p), 0);
    if (used.length === 0 || total === 0) {
      out.push({
        variant: name,
        computable: false,
        reason: "no allocation period has at least 2 people in both this variant and the control",
      });
      continue;
    }
    let mv = 0;
    let mc = 0;
    let varSum = 0;
    let bad = false;
    for (const p of used) {
      const w = size(p) / total;
      const c = p[0] as ArmSummary;
      const a = p[v] as ArmSummary;
      const vc = variance(c, statistic);
      const va = variance(a, statistic);
      if (vc === null || va === null) {
        bad = true;
        break;
      }
      mv += (w * a.sum) / a.n;
      mc += (w * c.sum) / c.n;
      varSum += w * w * (va / a.n + vc / c.n);
    }
    if (bad) {
      out.push({
        variant: name,
        computable: false,
        reason: "a period's sums give no variance (missing Σy²)",
      });
      continue;
    }
    const se = Math.sqrt(varSum);
    const effect = mv - mc;
    if (!(se > 0)) {
      out.push({
        variant: name,
        computable: false,
        reason: "zero variance in both arms in every period: no interval can be given",
      });
      continue;
    }
    out.push({
      variant: name,
      computable: true,
      value: mv,
      control_value: mc,
      effect,
      se,
      ci: [effect - z * se, effect + z * se],
      p: 2 * (1 - normalCdf(Math.abs(effect) / se, 0, 1)),
      periods_used: used.length,
      people: used.reduce((s, p) => s + (p[0]?.n ?? 0) + (p[v]?.n ?? 0), 0),
    });
  }
  return out;
}

/** The caveat and the stratified estimate an analysis of a bandit experiment shows. */
export function banditAnalysis(
  periods: readonly (readonly ArmSummary[])[],
  statistic: "proportion" | "mean",
  alpha = 0.05,
): BanditAnalysis {
  return {
    caveat: BANDIT_CAVEAT,
    periods: periods.length,
    method:
      "period-stratified: per allocation period the arms' means, weighted by the period's share of people; " +
      "variance sum of w^2 s^2/n; normal interval",
    comparisons: stratifiedComparisons(periods, statistic, alpha),
  };
}
