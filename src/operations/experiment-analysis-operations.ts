import { z } from "zod";
import { analyzeExperiment, type ExperimentAnalysis } from "../experiments/analysis.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

export type { ExperimentAnalysis, MetricResult, SegmentResult } from "../experiments/analysis.js";

/**
 * `experiment.analyze` (issue 20, items 2, 3 and 6): an experiment read from the raw events, orders and campaign
 * sends — per metric and variant against the control: value, effect with interval, p-value or chance to win, a
 * verdict; the split checked, costs turned into acquisition cost and ROI, effects per segment. Aggregates only,
 * every arm and cell through the k-gate.
 */
export const ExperimentAnalyzeInput = z
  .object({
    id: z.string(),
    engine: z.enum(["frequentist", "bayesian"]).default("frequentist"),
    /** Always-valid p-values and confidence sequences (frequentist): safe to look every day. */
    sequential: z.boolean().default(false),
    alpha: z.number().gt(0).lt(1).default(0.05),
    /** Across variants and metrics; default Holm when there is more than one test. */
    adjust: z.enum(["holm", "bh", "none"]).optional(),
    /** Segments to analyse within (people counted in those they were members of when exposed). */
    segments: z.array(z.string().min(1)).max(20).default([]),
    /** Metric texts replacing the experiment's stored ones (src/experiments/metric-spec.ts). */
    metrics: z.array(z.string()).optional(),
    /** The data read ends here (default: the experiment's end when it has passed, else now). */
    asOf: isoTime.optional(),
    minGroup: minGroup.optional(),
  })
  .strict();

export const experimentAnalyzeOperation = defineOperation({
  name: "experiment.analyze",
  summary: "read an experiment from the data: effects per metric and variant, verdicts, SRM, ROI, segments",
  input: ExperimentAnalyzeInput,
  access: "read",
  run: async (session, input): Promise<ExperimentAnalysis> => {
    const k = await reportMinGroup(session, input.minGroup);
    return analyzeExperiment(session, input.id, {
      engine: input.engine,
      sequential: input.sequential,
      alpha: input.alpha,
      ...(input.adjust ? { adjustment: input.adjust === "bh" ? "benjamini-hochberg" : input.adjust } : {}),
      segments: [...new Set(input.segments)],
      ...(input.metrics?.length ? { metrics: input.metrics } : {}),
      ...(input.asOf ? { asOf: input.asOf } : {}),
      k,
    });
  },
});
