import { UserError } from "../errors.js";
import { isSmall } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { BANDIT_CAVEAT, type BanditAnalysis, banditAnalysis } from "./bandit-bias.js";
import { type ArmSumsReader, banditArmSums, pooledArms } from "./bandit-evidence.js";
import { parseInterval } from "./bandit-settings.js";
import { type Experiment, experimentNamed, phaseOf } from "./experiments.js";
import { type MetricSpec, parseMetrics } from "./metric-spec.js";
import { metricSums } from "./metrics.js";
import type { ArmSummary } from "./stats/types.js";
import { applyMinShare, DEFAULT_DRAWS, type Posterior, posteriorOf, probabilityBest } from "./thompson.js";

/**
 * A bandit's update (issue 20, item 4): `tessera experiment bandit ID`. From the data as of now (each arm's people
 * and their metric, summed in SQL), each arm's posterior and its probability of being the best (thompson.ts), kept
 * at or above the minimum share, written to `experiment_allocations` as the weights new people are assigned with
 * from now on (assignment.ts reads the latest row at or before its time). At most one update per interval: an
 * earlier one is refused, with the time it may run.
 */

/** One arm of an update, as it leaves (counts under k are suppressed: null). */
export interface BanditArm {
  readonly name: string;
  /** People with a value of the metric (k-gated: null under k). */
  readonly n: number | null;
  /** The arm's observed value (rate or mean; null when n is suppressed or 0). */
  readonly value: number | null;
  /** Its posterior (null when n is suppressed). */
  readonly posterior: Posterior | null;
  readonly probability_best: number;
  readonly previous_weight: number;
  readonly weight: number;
  /** Whether the minimum share raised this arm above its probability of being best. */
  readonly at_minimum: boolean;
}

export interface BanditUpdate {
  readonly experiment: string;
  /** When the new weights apply from. */
  readonly effective_at: string;
  /** The update's number (1 for the first). */
  readonly update: number;
  readonly metric: string;
  readonly statistic: "proportion" | "mean";
  readonly seed: string;
  readonly draws: number;
  readonly min_share: number;
  readonly update_every: string;
  readonly next_update_at: string;
  readonly arms: readonly BanditArm[];
  /** Why the weights are what they are, in words. */
  readonly reason: string;
  /** The bias adaptive allocation introduces and what Tessera does about it. */
  readonly bias: { readonly caveat: string; readonly remedy: string };
  readonly minGroup: number;
}

/** A bandit's allocations so far, oldest first. */
export async function banditAllocations(
  engine: Engine,
  id: string,
): Promise<{ effectiveAt: Date; weights: Record<string, number> }[]> {
  const r = await engine.query(
    sql`SELECT effective_at, ${engine.dialect.toText(sql`weights`)} AS weights FROM experiment_allocations
         WHERE experiment_id = ${id} ORDER BY effective_at`,
  );
  return r.rows<Record<string, unknown>>().map((x) => ({
    effectiveAt: x.effective_at instanceof Date ? x.effective_at : new Date(String(x.effective_at)),
    weights: JSON.parse(String(x.weights)) as Record<string, number>,
  }));
}

/** The metric a bandit optimises: its setting, else the experiment's first metric; a proportion or a mean. */
export function banditMetric(experiment: Experiment): MetricSpec {
  const settings = experiment.bandit;
  const text = settings?.metric ?? experiment.metrics[0];
  if (text === undefined)
    throw new UserError(
      "no-metric",
      `experiment "${experiment.id}" has no metric to optimise: create it with --metric (e.g. conversion:7d)`,
      "id",
    );
  const [spec] = parseMetrics([text], "bandit.metric") as [MetricSpec];
  if (spec.statistic === "ratio")
    throw new UserError(
      "bad-bandit-metric",
      `a bandit optimises a conversion rate or a mean per person, not the ratio ${spec.name}`,
      "bandit.metric",
    );
  return spec;
}

/** Pooled per-arm sums of the bandit's metric from the analysis's reader (metrics.ts), in the variants' order. */
async function pooledEvidence(
  engine: Engine,
  experiment: Experiment,
  spec: MetricSpec,
  asOf: Date,
): Promise<ArmSummary[]> {
  const r = await metricSums(engine, { experimentId: experiment.id, metrics: [spec], asOf });
  return experiment.variants.map((v) => {
    const m = r.arms.find((a) => a.variant === v.name)?.metrics[0];
    return { name: v.name, n: m?.n ?? 0, sum: m?.sum ?? 0, sum_squares: m?.sum_squares ?? 0 };
  });
}

export interface BanditOptions {
  /** The update's time (default now). */
  readonly at?: Date;
  /** The Monte Carlo's seed (default: the experiment's seed and the update's number). */
  readonly seed?: string;
  readonly draws?: number;
  /** The report's k (from reportMinGroup). */
  readonly k: number;
  /** Per-arm sums; default metrics.ts (tests may pass the bandit's own reader). */
  readonly evidence?: ArmSumsReader;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;

/** Computes and records a bandit's new allocation (see the module's comment). */
export async function updateBandit(
  engine: Engine,
  id: string,
  options: BanditOptions,
): Promise<BanditUpdate> {
  const experiment = await experimentNamed(engine, id);
  const settings = experiment.bandit;
  if (settings === null)
    throw new UserError(
      "not-a-bandit",
      `experiment "${id}" has a fixed split: create it with --bandit for Thompson sampling`,
      "id",
    );
  const at = options.at ?? new Date();
  const phase = phaseOf(experiment, at);
  if (phase !== "running")
    throw new UserError(
      "not-running",
      phase === "scheduled"
        ? `experiment "${id}" starts at ${experiment.start}: nothing to learn from before it`
        : `experiment "${id}" has ended: its allocation no longer matters`,
      "id",
    );
  const spec = banditMetric(experiment);
  const intervalMs = parseInterval(settings.update_every, "bandit.update_every");
  const history = await banditAllocations(engine, id);
  const last = history.at(-1);
  const since = last?.effectiveAt ?? new Date(experiment.start);
  const next = new Date(since.getTime() + intervalMs);
  if (at.getTime() < next.getTime())
    throw new UserError(
      "too-soon",
      `the ${last ? "last update was" : "experiment started"} at ${since.toISOString()} and updates come at most every ${settings.update_every}: the next may run from ${next.toISOString()}`,
      "id",
    );

  // New weights apply to people assigned from `at` on: those already assigned later than that had the weights in
  // force then, and would be counted in the wrong period.
  const latest = await engine.query(
    sql`SELECT max(assigned_at) AS t FROM experiment_assignments WHERE experiment_id = ${id}`,
  );
  const lastAssigned = latest.column("t")[0];
  if (lastAssigned instanceof Date && lastAssigned.getTime() > at.getTime())
    throw new UserError(
      "bad-time",
      `people were assigned until ${lastAssigned.toISOString()}, after ${at.toISOString()}: an update applies from its time on, so it cannot be earlier than the last assignment`,
      "at",
    );
  const arms = options.evidence
    ? pooledArms(
        await options.evidence(engine, experiment, spec, {
          asOf: at,
          boundaries: history.map((h) => h.effectiveAt),
        }),
        experiment.variants.map((v) => v.name),
      )
    : await pooledEvidence(engine, experiment, spec, at);
  const statistic = spec.statistic as "proportion" | "mean";
  // Nothing measured yet (nobody assigned, or no one's window has ended): an update would only add noise to the
  // split and spend the interval; refused, the weights stay as they are.
  if (arms.every((a) => a.n === 0))
    throw new UserError(
      "no-evidence",
      `nobody in experiment "${id}" has a value of ${spec.name} yet${spec.window.lengthMs !== null ? " (people count once their window has ended)" : ""}: nothing to learn from, the weights stay as they are`,
      "id",
    );
  const posteriors = arms.map((a) => posteriorOf(statistic, a, "evidence"));
  const update = history.length + 1;
  const seed = options.seed ?? `${experiment.seed}/bandit/${update}`;
  const draws = options.draws ?? DEFAULT_DRAWS;
  const probabilities = probabilityBest(posteriors, { seed, draws });
  const weights = applyMinShare(probabilities, settings.min_share);
  const previous = last?.weights ?? Object.fromEntries(experiment.variants.map((v) => [v.name, v.weight]));

  const effectiveAt = at.toISOString();
  const evidence = {
    metric: spec.name,
    statistic,
    seed,
    draws,
    min_share: settings.min_share,
    arms: arms.map((a, i) => ({
      name: a.name,
      n: a.n,
      sum: a.sum,
      sum_squares: a.sum_squares ?? null,
      posterior: posteriors[i],
      probability_best: probabilities[i],
    })),
  };
  const weightsJson = Object.fromEntries(arms.map((a, i) => [a.name, weights[i] as number]));
  await engine.run(
    sql`INSERT INTO experiment_allocations (experiment_id, effective_at, weights, evidence)
        VALUES (${id}, ${sql.param(effectiveAt, "timestamp")}, ${JSON.stringify(weightsJson)},
                ${JSON.stringify(evidence)})`,
  );

  const k = options.k;
  const out: BanditArm[] = arms.map((a, i) => {
    const hidden = isSmall(a.n, k);
    const p = probabilities[i] as number;
    const w = weights[i] as number;
    return {
      name: a.name,
      n: hidden ? null : a.n,
      value: hidden || a.n === 0 ? null : a.sum / a.n,
      posterior: hidden ? null : (posteriors[i] as Posterior),
      probability_best: p,
      previous_weight: previous[a.name] ?? 0,
      weight: w,
      at_minimum: w > p + 1e-12,
    };
  });
  return {
    experiment: id,
    effective_at: effectiveAt,
    update,
    metric: spec.name,
    statistic,
    seed,
    draws,
    min_share: settings.min_share,
    update_every: settings.update_every,
    next_update_at: new Date(at.getTime() + intervalMs).toISOString(),
    arms: out,
    reason: reasonText(out, settings.min_share, spec.name, draws),
    bias: {
      caveat: BANDIT_CAVEAT,
      remedy:
        "tessera experiment analyze shows, for a bandit, the period-stratified estimate next to the pooled one " +
        "(field bandit.comparisons): each allocation period is a randomised experiment with fixed weights.",
    },
    minGroup: k,
  };
}

/** The update in words: which arm leads, how likely it is best, and which arms the minimum share holds up. */
function reasonText(arms: readonly BanditArm[], minShare: number, metric: string, draws: number): string {
  const best = [...arms].sort((a, b) => b.probability_best - a.probability_best)[0] as BanditArm;
  const floored = arms.filter((a) => a.at_minimum).map((a) => a.name);
  const ps = arms.map((a) => a.probability_best);
  if (Math.max(...ps) - Math.min(...ps) < 1e-9)
    return `every arm is as likely to have the best ${metric} (their posteriors are the same): an equal split.`;
  return (
    `each arm's share is its probability of having the best ${metric} (${draws.toLocaleString("en-US")} draws from ` +
    `every arm's posterior): ${best.name} is best with probability ${pct(best.probability_best)}` +
    (floored.length
      ? `; ${floored.join(", ")} ${floored.length === 1 ? "is" : "are"} kept at the minimum share of ${pct(minShare)} so that ${floored.length === 1 ? "it keeps" : "they keep"} being measured`
      : "") +
    "."
  );
}

/**
 * What an analysis of a bandit experiment shows for one metric (field `bandit` of its result): the caveat, and the
 * period-stratified comparisons (bandit-bias.ts) over the bandit's allocation periods. Null for a fixed split. A
 * metric the per-period reader does not cover (a ratio, click-through, retention) gets the caveat and a note
 * instead of comparisons.
 */
export async function banditReadout(
  engine: Engine,
  experiment: Experiment,
  metric: MetricSpec,
  asOf: Date,
  alpha = 0.05,
): Promise<(BanditAnalysis & { readonly note?: string }) | null> {
  if (experiment.bandit === null) return null;
  const boundaries = (await banditAllocations(engine, experiment.id))
    .map((h) => h.effectiveAt)
    .filter((t) => t.getTime() <= asOf.getTime());
  if (metric.statistic === "ratio" || !["revenue", "orders", "events"].includes(metric.numerator.kind))
    return {
      caveat: BANDIT_CAVEAT,
      periods: boundaries.length + 1,
      method: "",
      comparisons: [],
      note: `no period-stratified estimate for ${metric.name} yet (conversion, revenue, orders and events only)`,
    };
  const periods = await banditArmSums(engine, experiment, metric, { asOf, boundaries });
  return banditAnalysis(periods, metric.statistic, alpha);
}
