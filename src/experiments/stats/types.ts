/**
 * The statistics engine's contract (issue 20, item 3): what an analysis takes (per-arm summary statistics, the
 * shape of `tessera experiment stats --input FILE`) and what it gives. The engine works on sums alone, so the same
 * code reads an experiment from the store (src/experiments/ computes the sums in SQL) and numbers an analyst brings.
 */

/** One arm's summary: the first arm of an analysis is the control. */
export interface ArmSummary {
  readonly name: string;
  /** People in the arm (units of randomisation). */
  readonly n: number;
  /** Σ y over the arm's people (for a proportion: the conversions). */
  readonly sum: number;
  /** Σ y² (may be left out for a proportion). */
  readonly sum_squares?: number;
  /**
   * CUPED (a pre-exposure covariate x per person, optional): Σ x, Σ x², Σ x·y. With them the engine adjusts y by
   * θ = Cov(y, x) / Var(x) pooled across arms.
   */
  readonly covariate?: {
    readonly sum: number;
    readonly sum_squares: number;
    readonly sum_products: number;
  };
  /**
   * A ratio metric (Σ y / Σ d per arm, e.g. clicks per send, revenue per order): the denominator's sums Σ d, Σ d²
   * and Σ y·d; the ratio's variance comes from the delta method.
   */
  readonly denominator?: {
    readonly sum: number;
    readonly sum_squares: number;
    readonly sum_products: number;
  };
}

export type MetricKind = "mean" | "proportion" | "ratio";
export type EffectKind = "relative" | "absolute";
export type StatsEngine = "frequentist" | "bayesian";
export type Alternative = "two-sided" | "greater" | "less";
export type Adjustment = "none" | "holm" | "benjamini-hochberg";

/** An analysis's input: the JSON of `tessera experiment stats --input FILE`, with its defaults filled in. */
export interface StatsInput {
  readonly metric: MetricKind;
  readonly arms: readonly ArmSummary[];
  /** The planned split (any positive numbers; normalised), one per arm, for the sample-ratio-mismatch check. */
  readonly weights?: readonly number[];
  readonly effect: EffectKind;
  readonly engine: StatsEngine;
  readonly alternative: Alternative;
  readonly sequential: boolean;
  /** GrowthBook's confidence-sequence tuning parameter N* (default 5000). */
  readonly sequential_tuning?: number;
  readonly alpha: number;
  /** Bayesian prior on the effect: flat (improper, the default) or proper N(mean, sd²) (GrowthBook: N(0, 0.3²)). */
  readonly prior?: { readonly proper: boolean; readonly mean: number; readonly sd: number };
  /** How p-values of several variants (and metrics, when given together) are adjusted. */
  readonly adjustment?: Adjustment;
}

/** A comparison that cannot be computed says why, instead of a number (never NaN). */
export interface NotComputable {
  readonly variant: string;
  readonly computable: false;
  readonly reason: string;
  readonly verdict?: Verdict;
}

/** One variant against the control. */
export interface Comparison {
  readonly variant: string;
  readonly computable: true;
  readonly n: number;
  /** The variant's and the control's metric values (means, rates or ratios; CUPED-adjusted when it is on). */
  readonly value: number;
  readonly control_value: number;
  /** The effect in the unit asked for (`effect`), its standard error and interval. */
  readonly effect: number;
  readonly se: number;
  /**
   * The interval at level 1 − alpha (frequentist: confidence interval, a confidence sequence when sequential;
   * Bayesian: credible interval, always two-sided). A one-sided test's open end is null (in JSON too), never
   * Infinity: "greater" gives [low, null], "less" [null, high].
   */
  readonly ci: readonly [number | null, number | null];
  readonly absolute_effect: number;
  readonly relative_effect: number | null;
  /** Frequentist: the p-value (always-valid when sequential) and the adjusted one. */
  readonly p?: number;
  readonly p_adjusted?: number;
  readonly dof?: number;
  /** Bayesian: P(variant beats control) and the expected loss of choosing [control, variant]. */
  readonly chance_to_win?: number;
  readonly risk?: readonly [number, number];
  /** The control's n (the variant's is `n`). */
  readonly control_n?: number;
  /** In plain words (set by `analyzeSummaries`; see `verdict.ts`). */
  readonly verdict?: Verdict;
}

/**
 * What a comparison says: the variant wins or loses (significant, or chance to win ≥ 1 − alpha / ≤ alpha, in the
 * direction the alternative hopes for), nothing yet, or nothing to trust (the split does not match the plan).
 */
export type Verdict = "winner" | "loser" | "inconclusive" | "srm-invalid" | "not-computable";

/** One arm as analysed: its metric value (CUPED-adjusted when on); null when the arm has none (n = 0, Σd = 0). */
export interface ArmResult {
  readonly name: string;
  readonly n: number;
  readonly value: number | null;
}

export interface SrmCheck {
  readonly chi2: number;
  readonly p: number;
  /** p below 0.001: the observed split does not match the planned one; the results are not to be trusted. */
  readonly mismatch: boolean;
}

export interface StatsResult {
  readonly metric: MetricKind;
  readonly effect: EffectKind;
  readonly engine: StatsEngine;
  readonly alternative: Alternative;
  readonly sequential: boolean;
  readonly alpha: number;
  readonly adjustment: Adjustment;
  readonly comparisons: readonly (Comparison | NotComputable)[];
  /** Null when no weights were given. */
  readonly srm: SrmCheck | null;
  /** θ when CUPED was applied. */
  readonly cuped_theta?: number;
  /** Every arm, control first (set by `analyzeSummaries`). */
  readonly arms?: readonly ArmResult[];
  /** The tuning parameter N* used (sequential only). */
  readonly sequential_tuning?: number;
  /** The prior used (Bayesian only), on the relative effect. */
  readonly prior?: { readonly proper: boolean; readonly mean: number; readonly sd: number };
  /** What a reader should know: what was adjusted, what was not, what was left out. */
  readonly notes?: readonly string[];
}
