/**
 * Response predictions (README, "Predict and plan"): churn risk and the propensity to buy in a category not bought
 * yet. Each result is exactly the command's `--json` document. Fits are writes (they store a computed value); the
 * evaluations are reads (temporary tables of their own session only).
 */
import { z } from "zod";
import { UserError } from "../errors.js";
import { type ChurnEvaluation, type ChurnReport, evaluateChurn, scoreChurn } from "../predict/churn.js";
import type { Target } from "../predict/customer-features.js";
import {
  evaluatePropensity,
  fitPropensity,
  type PropensityEvaluation,
  type PropensityReport,
} from "../predict/propensity.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

/** A horizon: `<n>d` (days) or `<n>w` (weeks). */
export const horizon = z.string().default("90d");

/** Days of a horizon text, naming `field` when it does not parse. */
export function horizonDays(text: string, field = "--horizon"): number {
  const m = /^\s*(\d+)\s*([dw])\s*$/i.exec(text);
  const n = m ? Number(m[1]) * ((m[2] as string).toLowerCase() === "w" ? 7 : 1) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > 3650)
    throw new UserError(
      "bad-option",
      `expected a horizon such as 90d or 12w (1 to 3650 days), got "${text}"`,
      field,
    );
  return n;
}

async function asOfOf(session: Engine, given: Date | undefined): Promise<{ asOf: Date; choice: AsOfChoice }> {
  return chooseAsOf(session, given);
}

/** The input of `churn`. */
export const ChurnInput = z
  .object({
    /** Score as of this moment (default: the end of the data). */
    asOf: isoTime.optional(),
    horizon,
    minGroup: minGroup.optional(),
  })
  .strict();

/** `churn`: fits the churn model by a time split ending at the as-of, stores `churn_risk` per customer. */
export const churnOperation = defineOperation({
  name: "churn",
  summary: "per customer: P(no purchase in the horizon) from BG/NBD and engagement; stored as churn_risk",
  input: ChurnInput,
  access: "write",
  run: async (session, input): Promise<ChurnReport & { asOfChoice: AsOfChoice }> => {
    const days = horizonDays(input.horizon);
    const { asOf, choice } = await asOfOf(session, input.asOf);
    const report = await session.transaction(async () =>
      scoreChurn(session, {
        asOf,
        horizonDays: days,
        minGroup: await reportMinGroup(session, input.minGroup),
      }),
    );
    return { ...report, asOfChoice: choice };
  },
});

/** The input of `churn.evaluate`: the as-of splits the fit (before) from the test window (after). */
export const ChurnEvaluateInput = z
  .object({ asOf: isoTime, horizon, minGroup: minGroup.optional() })
  .strict();

export const churnEvaluateOperation = defineOperation({
  name: "churn.evaluate",
  summary:
    "fit churn before the as-of, measure AUC on the horizon after it beside recency and P(alive) alone",
  input: ChurnEvaluateInput,
  access: "read",
  run: async (session, input): Promise<ChurnEvaluation> =>
    evaluateChurn(session, {
      asOf: input.asOf,
      horizonDays: horizonDays(input.horizon),
      minGroup: await reportMinGroup(session, input.minGroup),
    }),
});

/** A unit price band [low, high]. */
const priceBand = z.tuple([z.number().min(0), z.number().min(0)]);

/** What a propensity is for: a category, and/or a description keyword, maybe within a price band. */
const targetFields = {
  category: z.string().min(1).optional(),
  keyword: z.string().min(1).optional(),
  priceBand: priceBand.optional(),
};

function targetOf(input: { category?: string; keyword?: string; priceBand?: [number, number] }): Target {
  return {
    ...(input.category !== undefined ? { category: input.category } : {}),
    ...(input.keyword !== undefined ? { keyword: input.keyword } : {}),
    ...(input.priceBand !== undefined ? { priceBand: input.priceBand } : {}),
  };
}

export const PropensityFitInput = z
  .object({ ...targetFields, asOf: isoTime.optional(), horizon, minGroup: minGroup.optional() })
  .strict();

/** `propensity.fit`: the calibrated model of buying the target within the horizon, stored as `propensity.<slug>`. */
export const propensityFitOperation = defineOperation({
  name: "propensity.fit",
  summary:
    "P(buying a category not bought yet within the horizon), calibrated; stored as propensity.<category>",
  input: PropensityFitInput,
  access: "write",
  run: async (session, input): Promise<PropensityReport & { asOfChoice: AsOfChoice }> => {
    const days = horizonDays(input.horizon);
    const { asOf, choice } = await asOfOf(session, input.asOf);
    const k = await reportMinGroup(session, input.minGroup);
    const report = await session.transaction(() =>
      fitPropensity(session, { target: targetOf(input), asOf, horizonDays: days, minGroup: k }),
    );
    return { ...report, asOfChoice: choice };
  },
});

export const PropensityEvaluateInput = z
  .object({ ...targetFields, asOf: isoTime, horizon, minGroup: minGroup.optional() })
  .strict();

export const propensityEvaluateOperation = defineOperation({
  name: "propensity.evaluate",
  summary:
    "fit propensity before the as-of, measure AUC, calibration and top-decile lift after it beside past spend",
  input: PropensityEvaluateInput,
  access: "read",
  run: async (session, input): Promise<PropensityEvaluation> =>
    evaluatePropensity(session, {
      target: targetOf(input),
      asOf: input.asOf,
      horizonDays: horizonDays(input.horizon),
      minGroup: await reportMinGroup(session, input.minGroup),
    }),
});
