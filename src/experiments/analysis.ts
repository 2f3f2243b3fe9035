import { UserError } from "../errors.js";
import { isSmall, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { banditReadout } from "./bandit.js";
import { BANDIT_CAVEAT, type BanditAnalysis } from "./bandit-bias.js";
import { economics, type VariantEconomics } from "./economics.js";
import { experimentNamed } from "./experiments.js";
import { type MetricSpec, parseMetrics } from "./metric-spec.js";
import { type ArmSums, type MetricSums, metricSums } from "./metrics.js";
import { adjustPValues, analyzeSummaries, verdictOf } from "./stats/analyze.js";
import { srmCheck } from "./stats/srm.js";
import type {
  Adjustment,
  ArmSummary,
  Comparison,
  NotComputable,
  SrmCheck,
  StatsEngine,
  StatsResult,
  Verdict,
} from "./stats/types.js";
import { HOLDOUT_VARIANT } from "./variants.js";
import { signedPercent, verdictSentence } from "./verdict-words.js";

/**
 * An experiment read from the data (issue 20, items 2, 3 and 6): per-arm sums in SQL (metrics.ts), the statistics
 * engine on them (stats/analyze.ts), p-values adjusted across every variant and metric together, the split checked
 * against the planned weights, costs turned into acquisition cost and ROI, the same analysis within segments, and
 * a verdict per variant and metric. The holdout is reported, never compared. Every arm and segment cell under k
 * people is suppressed (src/privacy/k-gate.ts): its figures are null and nothing is computed from it.
 */

export interface AnalyzeOptions {
  readonly engine: StatsEngine;
  readonly sequential: boolean;
  readonly alpha: number;
  /** Across variants and metrics (and segments, within the per-segment report); default Holm for several tests. */
  readonly adjustment?: Adjustment;
  readonly segments: readonly string[];
  /** Default: the experiment's end when it has passed, else now. */
  readonly asOf?: Date;
  /** The k-gate's k. */
  readonly k: number;
  /** Metric texts that replace the experiment's stored ones. */
  readonly metrics?: readonly string[];
}

/** One arm of one metric as shown: null figures when the k-gate hid them. */
export interface ArmFigure {
  readonly variant: string;
  readonly n: number | null;
  /** The metric's value in the arm (a rate, a mean, a ratio; CUPED-adjusted for the variants compared). */
  readonly value: number | null;
  readonly suppressed: boolean;
}

export type MetricComparison = (Comparison | NotComputable) & {
  readonly verdict: Verdict;
  /** The verdict in a sentence. */
  readonly says: string;
};

export interface MetricResult {
  readonly metric: string;
  /** The text it was given as. */
  readonly text: string;
  readonly statistic: MetricSpec["statistic"];
  readonly cuped: boolean;
  readonly arms: readonly ArmFigure[];
  readonly comparisons: readonly MetricComparison[];
  readonly cuped_theta?: number;
  readonly notes: readonly string[];
  /**
   * A bandit experiment's reading of the metric (src/experiments/bandit.ts): the caveat on the pooled figures above
   * and the period-stratified comparisons to read instead; absent for a fixed split.
   */
  readonly bandit?: BanditAnalysis & { readonly note?: string };
}

export interface SegmentResult {
  readonly segment: string;
  readonly metrics: readonly MetricResult[];
}

export interface ExperimentAnalysis {
  readonly experiment: string;
  readonly name: string;
  readonly as_of: string;
  readonly engine: StatsEngine;
  readonly sequential: boolean;
  readonly alpha: number;
  readonly adjustment: Adjustment;
  readonly k: number;
  /** People per variant (the holdout last, when any), with the planned weights. */
  readonly assigned: readonly { variant: string; people: number | null; planned: number | null }[];
  readonly first_exposure: string | null;
  readonly last_exposure: string | null;
  /** Null when not checked (a bandit changes its split; an arm suppressed). */
  readonly srm: SrmCheck | null;
  readonly metrics: readonly MetricResult[];
  readonly economics: readonly VariantEconomics[];
  readonly segments: readonly SegmentResult[];
  /** How the per-segment p-values were adjusted (together, across every segment, variant and metric). */
  readonly segment_adjustment: Adjustment;
  readonly notes: readonly string[];
}

/** Analyses the experiment `id` (see the module's comment). */
export async function analyzeExperiment(
  engine: Engine,
  id: string,
  opts: AnalyzeOptions,
): Promise<ExperimentAnalysis> {
  const e = await experimentNamed(engine, id);
  const texts = opts.metrics?.length ? opts.metrics : e.metrics;
  if (texts.length === 0) {
    throw new UserError(
      "no-metrics",
      `experiment "${id}" has no metrics: give --metric (e.g. conversion:7d, revenue+cuped)`,
      "metrics",
    );
  }
  if (opts.segments.length > 0) {
    const r = await engine.query(
      sql`SELECT segment_id FROM segments WHERE segment_id IN (${sql.join(opts.segments)})`,
    );
    const known = new Set(r.column("segment_id") as string[]);
    const missing = opts.segments.find((s) => !known.has(s));
    if (missing !== undefined) throw new UserError("unknown-segment", `no segment "${missing}"`, "segments");
  }
  const metrics = parseMetrics(texts, opts.metrics?.length ? "metrics" : `experiment "${id}" metrics`);
  const now = new Date();
  const end = e.end === null ? null : new Date(e.end);
  const asOf = opts.asOf ?? (end !== null && end < now ? end : now);
  const sums = await metricSums(engine, { experimentId: id, metrics, asOf, segments: opts.segments });
  const notes: string[] = [];
  const names = e.variants.map((v) => v.name);
  const byVariant = (rows: readonly ArmSums[], v: string) => rows.find((a) => a.variant === v);
  const unknown = sums.arms.filter((a) => a.variant !== HOLDOUT_VARIANT && !names.includes(a.variant));
  if (unknown.length > 0)
    notes.push(
      `assignments to variants not in the design left out: ${unknown.map((a) => a.variant).join(", ")}`,
    );

  const people = names.map((v) => byVariant(sums.arms, v)?.people ?? 0);
  const holdout = byVariant(sums.arms, HOLDOUT_VARIANT);
  // The arms partition everyone assigned: a small one is hidden, and so are more until it cannot be recovered by
  // differencing (the k-gate's complementary suppression).
  const cells = [...people, ...(holdout ? [holdout.people] : [])];
  const partition = suppressPartition(cells, opts.k).hidden;
  const hiddenArms = new Set(names.filter((_, i) => partition[i]));
  const hidden = (n: number, i: number) => partition[i] === true || isSmall(n, opts.k);
  const assigned = [
    ...e.variants.map((v, i) => ({
      variant: v.name,
      people: hidden(people[i] as number, i) ? null : (people[i] as number),
      planned: v.weight,
    })),
    ...(holdout
      ? [
          {
            variant: HOLDOUT_VARIANT,
            people: hidden(holdout.people, names.length) ? null : holdout.people,
            planned: null,
          },
        ]
      : []),
  ];
  let srm: SrmCheck | null = null;
  if (e.bandit) notes.push("sample-ratio check skipped: a bandit changes its split as it learns");
  else if (people.some(hidden))
    notes.push("sample-ratio check skipped: an arm is suppressed (fewer than k people)");
  else if (people.reduce((a, b) => a + b, 0) > 0)
    srm = srmCheck(
      people,
      e.variants.map((v) => v.weight),
    );
  if (srm?.mismatch)
    notes.push(
      `sample-ratio mismatch (p = ${srm.p.toExponential(2)} < 0.001): the split is not the planned one; every verdict is SRM-invalid`,
    );

  const overall = analyzeGroups([sums.arms], names, metrics, opts, srm, hiddenArms);
  const adjustment = overall.adjustment;
  if (adjustment !== "none")
    notes.push(
      `p-values adjusted across ${overall.tests} comparisons (every variant and metric) by ${adjustName(adjustment)}; intervals are not adjusted`,
    );
  const bySegment = analyzeGroups(
    opts.segments.map((segment) => sums.segments.filter((s) => s.segment === segment)),
    names,
    metrics,
    opts,
    null,
  );
  const segments = opts.segments.map((segment, i) => ({ segment, metrics: bySegment.metrics[i] ?? [] }));
  if (opts.segments.length > 0)
    notes.push(
      "segments: people counted in the segments they were members of when exposed (or at the segment's first evaluation, when that came later)" +
        (bySegment.adjustment === "none"
          ? ""
          : `; their p-values adjusted together across ${bySegment.tests} comparisons (every segment, variant and metric) by ${adjustName(bySegment.adjustment)}`),
    );
  const comparisons = metrics.length * (names.length - 1) * (1 + opts.segments.length);
  if (opts.engine === "bayesian" && comparisons > 1)
    notes.push(
      `Bayesian: chances to win are not adjusted for the ${comparisons} comparisons; over many segments and metrics some will be extreme by luck`,
    );
  if (metrics.some((m) => m.window.lengthMs !== null))
    notes.push("a metric with a window counts only the people whose window had ended by the as-of time");
  const overallMetrics = overall.metrics[0] ?? [];
  if (e.bandit) {
    notes.push(BANDIT_CAVEAT);
    for (const [i, m] of metrics.entries()) {
      const readout = await banditReadout(engine, e, m, asOf, opts.alpha);
      const shown = overallMetrics[i];
      // An arm the k-gate hides (or a hidden control) has no stratified figures either.
      if (readout && shown)
        overallMetrics[i] = {
          ...shown,
          bandit: {
            ...readout,
            comparisons: hiddenArms.has(names[0] as string)
              ? []
              : readout.comparisons.filter((c) => !hiddenArms.has(c.variant)),
          },
        };
    }
  }

  return {
    experiment: e.id,
    name: e.name,
    as_of: asOf.toISOString(),
    engine: opts.engine,
    sequential: opts.sequential && opts.engine === "frequentist",
    alpha: opts.alpha,
    adjustment,
    k: opts.k,
    assigned,
    first_exposure: sums.firstExposure?.toISOString() ?? null,
    last_exposure: sums.lastExposure?.toISOString() ?? null,
    srm,
    metrics: overallMetrics,
    economics: economics(e.costs, names, metrics, sums.arms, opts.k, hiddenArms),
    segments,
    segment_adjustment: bySegment.adjustment,
    notes,
  };
}

/**
 * The analysis of every metric over groups of arms (the whole experiment; or each segment), its p-values adjusted
 * together: every variant of every metric (of every group) is one test of the family.
 */
function analyzeGroups(
  groups: readonly (readonly ArmSums[])[],
  names: readonly string[],
  metrics: readonly MetricSpec[],
  opts: AnalyzeOptions,
  srm: SrmCheck | null,
  hidden?: ReadonlySet<string>,
): { metrics: MetricResult[][]; adjustment: Adjustment; tests: number } {
  const results = groups.map((rows) => {
    // Within a segment, its arms are a partition of its people: the same complementary suppression.
    const h =
      hidden ??
      new Set(
        names.filter(
          (_, j) =>
            suppressPartition(
              names.map((v) => rows.find((a) => a.variant === v)?.people ?? 0),
              opts.k,
            ).hidden[j],
        ),
      );
    return metrics.map((m, i) => analyzeMetric(rows, names, m, i, opts, h));
  });
  const ps = results
    .flat()
    .flatMap((r) => r.result?.comparisons.map((c) => (c.computable ? (c.p ?? null) : null)) ?? []);
  const tests = ps.filter((p) => p !== null).length;
  const adjustment: Adjustment =
    opts.engine === "bayesian" ? "none" : (opts.adjustment ?? (tests > 1 ? "holm" : "none"));
  const adjusted = adjustPValues(ps, adjustment);
  let at = 0;
  const out = results.map((group) =>
    group.map((r, i): MetricResult => {
      const m = metrics[i] as MetricSpec;
      const comparisons = (r.result?.comparisons ?? r.missing).map((c): MetricComparison => {
        const p = r.result ? adjusted[at++] : null;
        const withP: Comparison | NotComputable =
          c.computable && p !== null && p !== undefined ? { ...c, p_adjusted: p } : c;
        const verdict = c.computable ? verdictOf(withP, srm, opts.alpha, opts.engine) : "not-computable";
        return { ...withP, verdict, says: says(withP, verdict, m, opts, adjustment) };
      });
      return {
        metric: m.name,
        text: m.text,
        statistic: m.statistic,
        cuped: m.cuped !== null,
        arms: r.arms,
        comparisons,
        ...(r.result?.cuped_theta !== undefined ? { cuped_theta: r.result.cuped_theta } : {}),
        notes: r.notes,
      };
    }),
  );
  return { metrics: out, adjustment, tests };
}

/** One metric: its arms through the k-gate, then the statistics engine on those it lets through. */
function analyzeMetric(
  rows: readonly ArmSums[],
  names: readonly string[],
  m: MetricSpec,
  i: number,
  opts: AnalyzeOptions,
  hidden: ReadonlySet<string>,
): { arms: ArmFigure[]; result: StatsResult | null; missing: NotComputable[]; notes: string[] } {
  const notes: string[] = [];
  const sums = names.map((v) => {
    const row = rows.find((a) => a.variant === v);
    return { variant: v, people: row?.people ?? 0, s: row?.metrics[i] as MetricSums | undefined };
  });
  const suppressed = sums.map(
    (a) => hidden.has(a.variant) || isSmall(a.people, opts.k) || isSmall(a.s?.n ?? 0, opts.k),
  );
  const summaries: ArmSummary[] = sums.map((a) => ({
    name: a.variant,
    n: a.s?.n ?? 0,
    sum: a.s?.sum ?? 0,
    ...(m.statistic === "proportion" ? {} : { sum_squares: a.s?.sum_squares ?? 0 }),
    ...(m.cuped ? { covariate: a.s?.covariate ?? { sum: 0, sum_squares: 0, sum_products: 0 } } : {}),
    ...(m.denominator
      ? { denominator: a.s?.denominator ?? { sum: 0, sum_squares: 0, sum_products: 0 } }
      : {}),
  }));
  const rawValue = (a: ArmSummary): number | null => {
    if (a.n === 0) return null;
    if (m.statistic === "ratio")
      return a.denominator && a.denominator.sum !== 0 ? a.sum / a.denominator.sum : null;
    return a.sum / a.n;
  };
  const notComputable = (variant: string, reason: string): NotComputable => ({
    variant,
    computable: false,
    reason,
  });
  if (suppressed[0]) {
    notes.push(`the control is suppressed by the k-gate: nothing is compared`);
    return {
      arms: figures(summaries, suppressed, null, rawValue),
      result: null,
      missing: names
        .slice(1)
        .map((v) => notComputable(v, "suppressed: the control is suppressed by the k-gate")),
      notes,
    };
  }
  const kept = summaries.filter((_, j) => !suppressed[j]);
  const missing = names
    .slice(1)
    .filter((_, j) => suppressed[j + 1])
    .map((v) =>
      notComputable(
        v,
        `suppressed by the k-gate: fewer than ${opts.k} people, or what would give such a group away`,
      ),
    );
  if (kept.length < 2)
    return { arms: figures(summaries, suppressed, null, rawValue), result: null, missing, notes };
  const result = analyzeSummaries({
    metric: m.statistic,
    arms: kept,
    effect: "relative",
    engine: opts.engine,
    alternative: "two-sided",
    sequential: opts.sequential && opts.engine === "frequentist",
    alpha: opts.alpha,
    adjustment: "none",
  });
  notes.push(...(result.notes ?? []).filter((n) => !n.startsWith("p-values adjusted")));
  // The comparisons in the variants' order, suppressed ones in their place.
  const comparisons = names
    .slice(1)
    .map(
      (v) =>
        result.comparisons.find((c) => c.variant === v) ??
        (missing.find((c) => c.variant === v) as NotComputable),
    );
  return {
    arms: figures(summaries, suppressed, result, rawValue),
    result: { ...result, comparisons },
    missing: [],
    notes,
  };
}

function figures(
  summaries: readonly ArmSummary[],
  suppressed: readonly boolean[],
  result: StatsResult | null,
  rawValue: (a: ArmSummary) => number | null,
): ArmFigure[] {
  return summaries.map((a, j) => {
    if (suppressed[j]) return { variant: a.name, n: null, value: null, suppressed: true };
    const analysed = result?.arms?.find((x) => x.name === a.name);
    const value = analysed ? analysed.value : rawValue(a);
    return {
      variant: a.name,
      n: a.n,
      value: value !== null && Number.isFinite(value) ? value : null,
      suppressed: false,
    };
  });
}

/** The verdict in words: "offer wins: +12.3% (95% CI +4.1% to +20.5%), p = 0.003 adjusted". */
function says(
  c: Comparison | NotComputable,
  verdict: Verdict,
  m: MetricSpec,
  opts: AnalyzeOptions,
  adjustment: Adjustment,
): string {
  return verdictSentence(c, verdict, {
    engine: opts.engine,
    sequential: opts.sequential,
    alpha: opts.alpha,
    adjusted: adjustment !== "none",
    what: `on ${m.name}`,
    size: signedPercent,
  });
}

function adjustName(a: Adjustment): string {
  return a === "holm" ? "Holm" : "Benjamini–Hochberg";
}
