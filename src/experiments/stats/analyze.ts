/**
 * The statistics engine on summary statistics (issue 20, item 3): every variant against the control (the first
 * arm), frequentist (fixed-horizon Welch t, or sequential confidence sequences) or Bayesian (GrowthBook's effect
 * model), with CUPED when the arms carry a covariate, the sample-ratio-mismatch check, the adjustment of p-values
 * over the variants, and a verdict in plain words. Pure: sums in, numbers out; never NaN or Infinity (a comparison
 * that cannot be computed says why; malformed sums are a UserError naming their path).
 */
import { adjustPValues } from "./adjust.js";
import { type ArmMoments, type ArmStat, armMoments, covariateMean, cupedTheta, hasMoments } from "./arms.js";
import { bayesianTest, FLAT_PRIOR, type Prior } from "./bayesian.js";
import { assertSummaries } from "./checks.js";
import { estimateEffect } from "./effect.js";
import { DEFAULT_SEQUENTIAL_TUNING, sequentialTest, welchTest } from "./frequentist.js";
import { srmCheck } from "./srm.js";
import type {
  Adjustment,
  Comparison,
  NotComputable,
  SrmCheck,
  StatsInput,
  StatsResult,
  Verdict,
} from "./types.js";

export { adjustPValues } from "./adjust.js";

/** The adjustment used when none is asked for: Holm when more than one variant is compared. */
export function defaultAdjustment(arms: number): Adjustment {
  return arms > 2 ? "holm" : "none";
}

const finite = (...xs: readonly (number | null | undefined)[]) =>
  xs.every((x) => x === null || x === undefined || Number.isFinite(x));

function notComputable(variant: string, reason: string): NotComputable {
  return { variant, computable: false, reason, verdict: "not-computable" };
}

/**
 * Analyses every variant against the control. Throws a UserError (naming the JSON path) for sums no data could
 * give; returns `NotComputable` comparisons, with the reason, for data that cannot answer.
 */
export function analyzeSummaries(input: StatsInput): StatsResult {
  assertSummaries(input);
  const { arms, metric, alpha, alternative, engine } = input;
  const sequential = input.sequential && engine === "frequentist";
  const tuning = input.sequential_tuning ?? DEFAULT_SEQUENTIAL_TUNING;
  const prior: Prior = input.prior ?? FLAT_PRIOR;
  const notes: string[] = [];

  const withCovariate = metric !== "ratio" && arms.length > 0 && arms.every((a) => a.covariate);
  const theta = withCovariate ? cupedTheta(arms) : undefined;
  const cuped = theta === undefined ? undefined : { theta, centre: covariateMean(arms) };
  if (cuped)
    notes.push(
      `CUPED: values adjusted by θ = ${round(cuped.theta)} times the covariate's distance from its mean over all arms`,
    );
  const stats: ArmStat[] = arms.map((a) => armMoments(a, metric, cuped));

  const control = stats[0] as ArmStat;
  const raw: (Comparison | NotComputable)[] = stats.slice(1).map((b) => {
    if (!hasMoments(control)) return notComputable(b.name, `control: ${control.reason}`);
    if (!hasMoments(b)) return notComputable(b.name, b.reason);
    return compare(control, b);
  });

  function compare(a: ArmMoments, b: ArmMoments): Comparison | NotComputable {
    const e = estimateEffect(a, b, input.effect);
    if (typeof e === "string") return notComputable(b.name, e);
    if (!finite(e.estimate, e.se, e.dof, e.absolute, e.relative) || !(e.se > 0))
      return notComputable(b.name, "the sums are too large or too uneven to compute with");
    const base = {
      variant: b.name,
      computable: true as const,
      n: b.n,
      control_n: a.n,
      value: b.mean,
      control_value: a.mean,
      effect: e.estimate,
      se: e.se,
      absolute_effect: e.absolute,
      relative_effect: e.relative,
    };
    if (engine === "bayesian") {
      const r = bayesianTest(e, input.effect, a.mean, prior, alternative, alpha);
      if (typeof r === "string") return notComputable(b.name, r);
      if (!finite(r.mean, r.sd, r.chanceToWin, ...r.risk, ...r.ci))
        return notComputable(b.name, "the posterior could not be computed from these sums");
      return { ...base, effect: r.mean, se: r.sd, ci: r.ci, chance_to_win: r.chanceToWin, risk: r.risk };
    }
    const t = sequential
      ? sequentialTest(e, a.n + b.n, alternative, alpha, tuning)
      : welchTest(e, alternative, alpha);
    if (!finite(t.p, ...t.ci)) return notComputable(b.name, "the test could not be computed from these sums");
    return { ...base, ci: t.ci, p: t.p, ...(sequential ? {} : { dof: e.dof }) };
  }

  // Adjusted over the variants' p-values (frequentist only: a posterior needs none).
  let adjustment: Adjustment = "none";
  if (engine === "frequentist") {
    adjustment = input.adjustment ?? defaultAdjustment(arms.length);
    const adjusted = adjustPValues(
      raw.map((c) => (c.computable ? (c.p ?? null) : null)),
      adjustment,
    );
    raw.forEach((c, i) => {
      if (c.computable) raw[i] = { ...c, p_adjusted: adjusted[i] ?? (c.p as number) };
    });
    if (adjustment !== "none")
      notes.push(
        `p-values adjusted over the ${raw.filter((c) => c.computable).length} variants (${adjustment === "holm" ? "Holm" : "Benjamini–Hochberg"}); intervals are not adjusted`,
      );
  } else if (input.adjustment && input.adjustment !== "none") {
    notes.push("no adjustment: the Bayesian engine gives no p-values");
  }
  if (sequential)
    notes.push(
      `sequential: always-valid p-values and confidence sequences (N* = ${tuning}); safe to look at any time`,
    );
  if (metric === "proportion" && arms.some((a) => a.sum_squares !== undefined))
    notes.push("sum_squares is ignored for a proportion (variance p(1 − p))");

  const srm: SrmCheck | null = input.weights
    ? srmCheck(
        arms.map((a) => a.n),
        input.weights,
      )
    : null;
  if (srm?.mismatch)
    notes.push(
      `sample-ratio mismatch (p = ${srm.p.toExponential(2)} < 0.001): the split is not the planned one; do not trust these results`,
    );
  const comparisons = raw.map((c) => ({ ...c, verdict: verdictOf(c, srm, alpha, engine) }));

  return {
    metric,
    effect: input.effect,
    engine,
    alternative,
    sequential,
    alpha,
    adjustment,
    comparisons,
    srm,
    ...(cuped ? { cuped_theta: cuped.theta } : {}),
    arms: stats.map((s) => ({ name: s.name, n: s.n, value: hasMoments(s) ? s.mean : null })),
    ...(sequential ? { sequential_tuning: tuning } : {}),
    ...(engine === "bayesian" ? { prior } : {}),
    notes,
  };
}

/**
 * A comparison's verdict: "srm-invalid" over everything when the split mismatches; a winner or loser when the test
 * is decisive in the direction hoped for (higher is better, or lower when the alternative is "less"): frequentist,
 * the adjusted p below alpha (a one-sided test can only find a winner); Bayesian, the chance to win at least
 * 1 − alpha (winner) or at most alpha (loser). Else "inconclusive".
 */
export function verdictOf(
  c: Comparison | NotComputable,
  srm: SrmCheck | null,
  alpha: number,
  engine: "frequentist" | "bayesian",
): Verdict {
  if (!c.computable) return "not-computable";
  if (srm?.mismatch) return "srm-invalid";
  if (engine === "bayesian") {
    const ctw = c.chance_to_win ?? 0.5;
    return ctw >= 1 - alpha ? "winner" : ctw <= alpha ? "loser" : "inconclusive";
  }
  const p = c.p_adjusted ?? c.p ?? 1;
  if (!(p < alpha)) return "inconclusive";
  const [low, high] = c.ci;
  // Two-sided: the sign of the effect; one-sided: significant means the hoped-for direction.
  if (low !== null && high !== null) return c.effect > 0 ? "winner" : "loser";
  return "winner";
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
