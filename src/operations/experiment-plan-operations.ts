import { z } from "zod";
import { checkHoldout, parseHoldout } from "../activation/holdout.js";
import { UserError } from "../errors.js";
import { neededWithHoldout, type SegmentDuration, segmentDuration } from "../experiments/plan-duration.js";
import { type SampleSize, sampleSize } from "../experiments/power.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

/**
 * `experiment.plan` (issue 20, item 5): the sample size per arm for a conversion rate or a mean, and, for a
 * segment, how long its members take to reach it (src/experiments/power.ts, plan-duration.ts). A read: the segment's
 * size and traffic leave through the k-gate.
 */

/** A share given as `5%` or as a number from 0 up to 1. */
const holdoutShare = z.union([
  z.number().transform((n, ctx) => {
    try {
      return checkHoldout(n, "holdout");
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.addIssue({ code: "custom", message: e.reason });
      return z.NEVER;
    }
  }),
  z.string().transform((t, ctx) => {
    try {
      return parseHoldout(t, "holdout");
    } catch (e) {
      if (!(e instanceof UserError)) throw e;
      ctx.addIssue({ code: "custom", message: e.reason });
      return z.NEVER;
    }
  }),
]);

export const ExperimentPlanInput = z
  .object({
    /** A conversion rate's baseline, in (0, 1). Or `baselineMean` with `baselineSd` for a mean. */
    baselineRate: z.number().optional(),
    baselineMean: z.number().optional(),
    baselineSd: z.number().optional(),
    /** The minimum detectable effect, > 0: relative to the baseline (0.1 = +10%, the default) or absolute. */
    mde: z.number(),
    effect: z.enum(["relative", "absolute"]).default("relative"),
    alpha: z.number().default(0.05),
    power: z.number().default(0.8),
    /** Arms, the control included. */
    variants: z.number().int().default(2),
    alternative: z.enum(["two-sided", "greater"]).default("two-sided"),
    /** The share held out of the experiment (the people needed grow by 1 / (1 − holdout)). */
    holdout: holdoutShare.optional(),
    /** A saved segment: its size and recent traffic give the duration. */
    segment: z.string().min(1).optional(),
    /** The end of the recent data the traffic is read over (default: the data's end). */
    asOf: isoTime.optional(),
    minGroup: minGroup.optional(),
  })
  .strict();

export interface ExperimentPlan extends SampleSize {
  readonly holdout: number;
  /** People needed in all, the holdout included. */
  readonly needed: number;
  readonly duration: SegmentDuration | null;
  readonly asOfChoice: AsOfChoice | null;
  readonly minGroup: number;
}

export const experimentPlanOperation = defineOperation({
  name: "experiment.plan",
  summary: "plan an A/B test: the people needed per arm and, for a segment, how many days its traffic takes",
  input: ExperimentPlanInput,
  access: "read",
  run: async (session, input): Promise<ExperimentPlan> => {
    const rate = input.baselineRate;
    const mean = input.baselineMean;
    if ((rate === undefined) === (mean === undefined))
      throw new UserError(
        "bad-baseline",
        rate === undefined
          ? "give the baseline: a conversion rate (--baseline-rate) or a mean and its standard deviation (--baseline-mean, --baseline-sd)"
          : "give one baseline: a rate or a mean, not both",
        rate === undefined ? "--baseline-rate" : "--baseline-mean",
      );
    if (mean !== undefined && input.baselineSd === undefined)
      throw new UserError("bad-baseline", "a mean's plan needs its standard deviation", "--baseline-sd");
    if (rate !== undefined && input.baselineSd !== undefined)
      throw new UserError(
        "bad-baseline",
        "a standard deviation goes with --baseline-mean, not a rate",
        "--baseline-sd",
      );
    const size = sampleSize({
      baseline:
        rate !== undefined
          ? { kind: "proportion", rate }
          : { kind: "mean", mean: mean as number, sd: input.baselineSd as number },
      mde: input.mde,
      relative: input.effect === "relative",
      alpha: input.alpha,
      power: input.power,
      variants: input.variants,
      alternative: input.alternative,
    });
    const holdout = input.holdout ?? 0;
    const needed = neededWithHoldout(size.total, holdout);
    const k = await reportMinGroup(session, input.minGroup);
    if (input.segment === undefined)
      return { ...size, holdout, needed, duration: null, asOfChoice: null, minGroup: k };
    const { asOf, choice } = await chooseAsOf(session, input.asOf);
    const duration = await segmentDuration(session, input.segment, needed, { asOf, k, holdout });
    return { ...size, holdout, needed, duration, asOfChoice: choice, minGroup: k };
  },
});
