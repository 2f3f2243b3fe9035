import { z } from "zod";
import { UserError } from "../errors.js";
import {
  type ArmFigure,
  analyzeExperiment,
  type ExperimentAnalysis,
  type MetricComparison,
} from "../experiments/analysis.js";
import { experimentNamed } from "../experiments/experiments.js";
import { parseMetric } from "../experiments/metric-spec.js";
import type { SrmCheck } from "../experiments/stats/types.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup, wholeNumber } from "./schema-types.js";

/**
 * `experiment.timeline` (issue 21, the dashboard's sequential results over time): one metric of an experiment read
 * with the sequential analysis (always-valid p-values and confidence sequences, safe to look at every time) at
 * several looks, evenly spaced from the first time anyone's window had ended to the last look — what a team would
 * have seen, had it looked then. Each look is `experiment.analyze` at that as-of time (the same k-gate on every arm);
 * nothing is computed here but the times.
 */
export const ExperimentTimelineInput = z
  .object({
    id: z.string(),
    /** The metric to follow (a metric text, src/experiments/metric-spec.ts); default the experiment's first. */
    metric: z.string().min(1).optional(),
    /**
     * The last look (default the analysis's own: the experiment's end when it has passed, else now). Looks past the
     * data's end would repeat the last one: they end there.
     */
    asOf: isoTime.optional(),
    /** How many looks (default 8). */
    points: wholeNumber(2).max(24).default(8),
    alpha: z.number().gt(0).lt(1).default(0.05),
    minGroup: minGroup.optional(),
  })
  .strict();

/** One look: the split and the metric as the sequential analysis read them at `as_of`. */
export interface TimelineLook {
  readonly as_of: string;
  /** Null when not checked (a bandit; an arm suppressed; nobody yet). */
  readonly srm: SrmCheck | null;
  readonly arms: readonly ArmFigure[];
  readonly comparisons: readonly MetricComparison[];
}

export interface ExperimentTimeline {
  readonly experiment: string;
  /** The metric's canonical name, and the text it was given as. */
  readonly metric: string;
  readonly text: string;
  readonly statistic: "proportion" | "mean" | "ratio";
  readonly alpha: number;
  readonly k: number;
  readonly first_exposure: string | null;
  /** The last look, and whether it was brought back to the data's end. */
  readonly as_of: string;
  readonly ended_at_data_end: boolean;
  /** Oldest first; empty when nobody is assigned yet, or nobody's window ends before the last look. */
  readonly looks: readonly TimelineLook[];
  readonly notes: readonly string[];
}

const look = (a: ExperimentAnalysis): TimelineLook => ({
  as_of: a.as_of,
  srm: a.srm,
  arms: a.metrics[0]?.arms ?? [],
  comparisons: a.metrics[0]?.comparisons ?? [],
});

export const experimentTimelineOperation = defineOperation({
  name: "experiment.timeline",
  summary: "one metric by the sequential analysis at several looks: the always-valid interval over time",
  input: ExperimentTimelineInput,
  access: "read",
  run: async (session, input): Promise<ExperimentTimeline> => {
    const e = await experimentNamed(session, input.id);
    const text = input.metric ?? e.metrics[0];
    if (text === undefined)
      throw new UserError("no-metrics", `experiment "${e.id}" has no metrics: give a metric`, "metric");
    const spec = parseMetric(text, "metric");
    const k = await reportMinGroup(session, input.minGroup);
    const now = new Date();
    const end = e.end === null ? null : new Date(e.end);
    let last = input.asOf ?? (end !== null && end < now ? end : now);
    // The data's end, by the one as-of policy (src/operations/as-of.ts): no look after it could differ.
    const { dataEnd } = (await chooseAsOf(session, undefined, now)).choice;
    const endedAtData = dataEnd !== null && Date.parse(dataEnd) < last.getTime();
    if (endedAtData) last = new Date(dataEnd as string);
    const at = (t: Date) =>
      analyzeExperiment(session, e.id, {
        engine: "frequentist",
        sequential: true,
        alpha: input.alpha,
        segments: [],
        metrics: [text],
        asOf: t,
        k,
      });
    const final = await at(last);
    const notes = [
      "sequential: always-valid p-values and confidence sequences (N* = 5000), so every look may be read",
      ...(e.metrics.length > 1 ? ["p-values adjusted across this metric's variants only"] : []),
      ...(spec.window.lengthMs !== null
        ? ["each look counts only the people whose window had ended by then"]
        : []),
      ...(endedAtData ? [`the looks end at the data's end (${dataEnd})`] : []),
    ];
    const base = {
      experiment: e.id,
      metric: spec.name,
      text,
      statistic: spec.statistic,
      alpha: input.alpha,
      k,
      first_exposure: final.first_exposure,
      as_of: last.toISOString(),
      ended_at_data_end: endedAtData,
      notes,
    };
    if (final.first_exposure === null) return { ...base, looks: [] };
    // The first look: when the first person's window (from exposure) had ended; a metric without one, at once.
    const first = Date.parse(final.first_exposure) + spec.window.startMs + (spec.window.lengthMs ?? 0);
    if (first >= last.getTime()) return { ...base, looks: [look(final)] };
    const step = (last.getTime() - first) / (input.points - 1);
    const looks: TimelineLook[] = [];
    for (let i = 0; i < input.points - 1; i++)
      looks.push(look(await at(new Date(Math.round(first + i * step)))));
    looks.push(look(final));
    return { ...base, looks };
  },
});
