import { analyzeSummaries } from "../experiments/stats/analyze.js";
import { statsInputSchema } from "../experiments/stats/input.js";
import type { StatsResult } from "../experiments/stats/types.js";
import { defineOperation } from "./operation.js";

/**
 * `experiment.stats` (issue 20, item 3): the statistics engine on summary statistics an analyst brings (per-arm n,
 * Σy, Σy², optional covariate and denominator sums): effects with intervals, p-values or chance to win and risk,
 * sample-ratio mismatch, adjustment over the variants, verdicts. Needs no store: the input is the whole question
 * (the CLI's `--input FILE`, the API's body).
 */
export const ExperimentStatsInput = statsInputSchema;

export const experimentStatsOperation = defineOperation({
  name: "experiment.stats",
  summary: "analyse an A/B test from summary statistics: effects, intervals, p or chance to win, SRM",
  input: ExperimentStatsInput,
  access: "none",
  run: async (input): Promise<StatsResult> => analyzeSummaries(input),
});
