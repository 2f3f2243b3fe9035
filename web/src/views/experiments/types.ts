/** The experiments API's answers as the view reads them (src/operations/experiment-*-operations.ts). */

export type Verdict = "winner" | "loser" | "inconclusive" | "srm-invalid" | "not-computable";

export interface ExperimentView {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly population:
    | { readonly segment: string }
    | { readonly audience: string }
    | { readonly exposures: { readonly event: string } };
  readonly variants: readonly { readonly name: string; readonly weight: number }[];
  readonly holdout: number;
  readonly metrics: readonly string[];
  readonly start: string;
  readonly end: string | null;
  readonly phase: string;
  readonly bandit: unknown;
  readonly costs: Readonly<Record<string, number>>;
}

export interface SrmCheck {
  readonly chi2: number;
  readonly p: number;
  readonly mismatch: boolean;
}

/** One arm of one metric (null figures: hidden by the k-gate). */
export interface ArmFigure {
  readonly variant: string;
  readonly n: number | null;
  readonly value: number | null;
  readonly suppressed: boolean;
}

/** A variant against the control: computable, or not with the reason. */
export type MetricComparison =
  | {
      readonly variant: string;
      readonly computable: true;
      readonly n: number;
      readonly control_n?: number;
      readonly value: number;
      readonly control_value: number;
      readonly effect: number;
      readonly ci: readonly [number | null, number | null];
      readonly p?: number;
      readonly p_adjusted?: number;
      readonly chance_to_win?: number;
      readonly risk?: readonly [number, number];
      readonly verdict: Verdict;
      readonly says: string;
    }
  | {
      readonly variant: string;
      readonly computable: false;
      readonly reason: string;
      readonly verdict: Verdict;
      readonly says: string;
    };

export interface MetricResult {
  readonly metric: string;
  readonly text: string;
  readonly statistic: "proportion" | "mean" | "ratio";
  readonly cuped: boolean;
  readonly cuped_theta?: number;
  readonly arms: readonly ArmFigure[];
  readonly comparisons: readonly MetricComparison[];
  readonly notes: readonly string[];
}

export interface VariantEconomics {
  readonly variant: string;
  readonly cost_per_person: number;
  readonly cost: number | null;
  readonly conversions: number | null;
  readonly acquisition_cost: number | null;
  readonly revenue: number | null;
  readonly roi: number | null;
  readonly incremental_revenue: number | null;
  readonly incremental_roi: number | null;
}

export interface ExperimentAnalysis {
  readonly experiment: string;
  readonly as_of: string;
  readonly engine: "frequentist" | "bayesian";
  readonly sequential: boolean;
  readonly alpha: number;
  readonly adjustment: string;
  readonly k: number;
  readonly assigned: readonly { variant: string; people: number | null; planned: number | null }[];
  readonly first_exposure: string | null;
  readonly last_exposure: string | null;
  readonly srm: SrmCheck | null;
  readonly metrics: readonly MetricResult[];
  readonly economics: readonly VariantEconomics[];
  readonly notes: readonly string[];
}

export interface TimelineLook {
  readonly as_of: string;
  readonly srm: SrmCheck | null;
  readonly arms: readonly ArmFigure[];
  readonly comparisons: readonly MetricComparison[];
}

export interface ExperimentTimeline {
  readonly metric: string;
  readonly text: string;
  readonly statistic: "proportion" | "mean" | "ratio";
  readonly alpha: number;
  readonly k: number;
  readonly first_exposure: string | null;
  readonly as_of: string;
  readonly ended_at_data_end: boolean;
  readonly looks: readonly TimelineLook[];
  readonly notes: readonly string[];
}
