/**
 * The customer-value operations (README, "Customer value"): RFM, the lifetime-value models (fit, predict,
 * validate), revenue concentration and KPIs per group. Each result is exactly the command's `--json` document.
 *
 * Checks that the domain makes with messages of its own (thresholds that are not four ascending numbers, a top
 * share of 0, a calibration end outside the purchase history) are left to it: the schemas only describe the
 * shapes and ranges, so the CLI's messages stay those of the domain.
 */
import { z } from "zod";
import { type ClvFit, fitClv } from "../analytics/clv.js";
import { type ClvPrediction, customerPrediction, predictClv } from "../analytics/clv-predict.js";
import { type ClvValidation, validateClv } from "../analytics/clv-validate.js";
import { type ConcentrationReport, concentration } from "../analytics/concentration.js";
import { implausibleOrders, noPurchasesError } from "../analytics/data-span.js";
import type { GroupBy } from "../analytics/grouping.js";
import { type KpiReport, kpis } from "../analytics/kpis.js";
import { type RfmReport, rfm } from "../analytics/rfm.js";
import { purchaseSpan, type TimeUnit } from "../analytics/summaries.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { type AsOfChoice, chooseAsOf, chooseLastPurchaseDay } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup, share } from "./schema-types.js";

/**
 * What every value report adds to its domain result: how its as-of time (or calibration end) was chosen — the
 * shared policy of as-of.ts — and what the reader should know about the data it read.
 */
export interface ValueContext {
  /** Null when the time was given (clv's calibration end) and there is nothing to explain. */
  readonly asOfChoice: AsOfChoice | null;
  readonly notes: string[];
}

/** Orders left out of every value report because their totals cannot be real money, in words. */
async function dataNotes(session: Engine): Promise<string[]> {
  const n = await implausibleOrders(session);
  return n > 0
    ? [
        `${n.toLocaleString("en-US")} order(s) with a total of 1e12 or more (or not a finite number) left out: no real order reaches it (see \`tessera audit\`, implausible-amounts)`,
      ]
    : [];
}

/**
 * A value report's time (as-of.ts). With none given and nobody having bought, there is no report to time: the
 * domain's own refusal, as before any default was chosen.
 */
async function reportAsOf(
  session: Engine,
  given: Date | undefined,
): Promise<{ asOf: Date; choice: AsOfChoice }> {
  if (given === undefined && (await purchaseSpan(session)) === null) throw await noPurchasesError(session);
  return chooseAsOf(session, given);
}

/** Groups smaller than this many customers are suppressed (default: the database's min_group, which it may only raise). */
const smallGroups = minGroup.optional();

/**
 * A grouping of customers (`--by` on the command line), in its parsed form: an API body says
 * `{"kind": "trait", "name": "country"}` rather than a `trait:country` string the server would parse again,
 * so the schema (and the OpenAPI document made from it) lists the kinds, and a name only where one applies.
 * The type is the domain's `GroupBy`: every grouping accepted here is one of its, and the CLI, which passes a
 * parsed `GroupBy` as this input, stops compiling when the domain gains a kind this schema lacks.
 */
export const GroupByInput = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("all") }).strict(),
  z.object({ kind: z.literal("rfm_segment") }).strict(),
  z.object({ kind: z.literal("segment") }).strict(),
  z.object({ kind: z.literal("trait"), name: z.string().min(1) }).strict(),
  z.object({ kind: z.literal("computed"), name: z.string().min(1) }).strict(),
]) satisfies z.ZodType<GroupBy>;

/** Ways of counting frequency: orders, or distinct purchase days. */
export const RFM_FREQUENCIES = ["orders", "days"] as const;
/** Ways of measuring monetary value: total spend, or average spend per order. */
export const RFM_MONETARY = ["total", "average"] as const;

/** Four ascending cut points (t1 < t2 < t3 < t4; the domain checks the count and the order). */
const cutPoints = z.array(z.number()).optional();

/** The input of `rfm` (the options of `tessera rfm`). */
export const RfmInput = z
  .object({
    /** Evaluate as of this moment (default: the end of the data's last day, at most now: operations/as-of.ts). */
    asOf: isoTime.optional(),
    frequency: z.enum(RFM_FREQUENCIES).default("orders"),
    monetary: z.enum(RFM_MONETARY).default("total"),
    /** Cut points instead of quintiles: days for R (≤ t1 scores 5), counts for F, money for M. */
    thresholds: z.object({ r: cutPoints, f: cutPoints, m: cutPoints }).strict().optional(),
    minGroup: smallGroups,
  })
  .strict();

/**
 * `rfm`: scores every customer with a purchase 1–5 on recency, frequency and monetary value, names their
 * segment, and reports customers and revenue per segment and per R × F cell. A write: the scores replace
 * `customer_rfm`, are registered as computed values and the options are kept for the segment refresh.
 */
export const rfmOperation = defineOperation({
  name: "rfm",
  summary:
    "score recency, frequency and monetary value 1–5, name the RFM segments, report revenue per segment",
  input: RfmInput,
  access: "write",
  run: async (session, input): Promise<RfmReport & ValueContext> => {
    const { asOf, choice } = await reportAsOf(session, input.asOf);
    const report = await rfm(session, {
      ...input,
      asOf,
      minGroup: await reportMinGroup(session, input.minGroup),
    });
    return { ...report, asOfChoice: choice, notes: await dataNotes(session) };
  },
});

/** The model's time unit. */
const timeUnit = z.enum(["week", "day"]) satisfies z.ZodType<TimeUnit>;

/** The input of `clv.fit`. */
export const ClvFitInput = z
  .object({
    /** Last day of the calibration period, included (default: the last purchase day not after now). */
    calibrationEnd: isoTime.optional(),
    unit: timeUnit.default("week"),
  })
  .strict();

/**
 * `clv.fit`: BG/NBD and Gamma-Gamma fitted on purchases up to the calibration end. A write: the model is saved
 * (`clv_model`) for `clv.predict`.
 */
export const clvFitOperation = defineOperation({
  name: "clv.fit",
  summary: "fit BG/NBD and Gamma-Gamma on purchases up to the calibration end; saves the model",
  input: ClvFitInput,
  access: "write",
  run: async (session, input): Promise<ClvFit & ValueContext> => {
    const { day, choice } = await chooseLastPurchaseDay(session, input.calibrationEnd, "calibration end");
    const fit = await fitClv(session, { ...input, ...(day ? { calibrationEnd: day } : {}) });
    return { ...fit, asOfChoice: choice, notes: await dataNotes(session) };
  },
});

/** The ranges of `clv.predict`'s figures, [min, max] (the CLI checks them too, to name its options). */
export const CLV_PREDICT_RANGES = {
  period: [0, 1e6],
  months: [1, 1200],
  discount: [0, 1],
  margin: [0, 1],
} as const;

const inRange = ([min, max]: readonly [number, number]) => z.number().min(min).max(max);

/** The input of `clv.predict`. */
export const ClvPredictInput = z
  .object({
    /** Period for expected purchases, in the model's unit (default: a year). */
    period: inRange(CLV_PREDICT_RANGES.period).optional(),
    /** CLV horizon in whole months. */
    months: inRange(CLV_PREDICT_RANGES.months).int().default(12),
    /** Monthly discount rate. */
    discount: inRange(CLV_PREDICT_RANGES.discount).default(0.01),
    /** Share of revenue that is profit (1: CLV in revenue). */
    margin: inRange(CLV_PREDICT_RANGES.margin).default(1),
    /** Also this customer's figures and P(n purchases in the period), n = 0…5. */
    customer: z.string().optional(),
  })
  .strict();

/** What `clv.predict` returns: the population figures, and one customer's when asked for. */
export type ClvPredictResult = ClvPrediction & { customer?: Record<string, unknown> } & ValueContext;

/**
 * `clv.predict`: from the saved model, each customer's expected purchases, P(alive), expected spend and CLV.
 * A write: they replace `customer_clv` and are registered as computed values. All of it is one transaction, so
 * a customer with no purchases is an error that leaves the previous predictions in place.
 */
export const clvPredictOperation = defineOperation({
  name: "clv.predict",
  summary: "per customer: expected purchases, P(alive), expected spend and CLV; stored as computed values",
  input: ClvPredictInput,
  access: "write",
  // With `customer`, one person's values (who is not said: an erased person's id must not stay in the log).
  people: { count: (r: ClvPredictResult) => (r.customer ? 1 : 0) },
  run: (session, { customer, ...options }): Promise<ClvPredictResult> =>
    session.transaction(async () => {
      // The customer is checked before anything is written (`customer`), so a refusal leaves the store as it was.
      const prediction = await predictClv(session, { ...options, customer });
      const context = { asOfChoice: null, notes: await dataNotes(session) };
      // The customer's figures are read from the summary the prediction just built (a temporary table).
      if (customer === undefined) return { ...prediction, ...context };
      return {
        ...prediction,
        customer: await customerPrediction(session, customer, prediction.period),
        ...context,
      };
    }),
});

/** The input of `clv.validate`. */
export const ClvValidateInput = z
  .object({
    /** Last day of the calibration period, included. */
    calibrationEnd: isoTime,
    /** Last day of the holdout, included (default: the last purchase day not after now). */
    holdoutEnd: isoTime.optional(),
    unit: timeUnit.default("week"),
    minGroup: smallGroups,
  })
  .strict();

/**
 * `clv.validate`: fits on the calibration period and compares each customer's expected repeat purchases in the
 * holdout with what they did, overall and by calibration frequency. A read: the fit is not saved (only
 * temporary tables of its own session).
 */
export const clvValidateOperation = defineOperation({
  name: "clv.validate",
  summary: "fit on the calibration period and compare predicted with actual repeat purchases in the holdout",
  input: ClvValidateInput,
  access: "read",
  run: async (session, input): Promise<ClvValidation & ValueContext> => {
    const { day, choice } = await chooseLastPurchaseDay(session, input.holdoutEnd, "holdout end");
    const validation = await validateClv(session, {
      ...input,
      minGroup: await reportMinGroup(session, input.minGroup),
      ...(day ? { defaultHoldoutEnd: day } : {}),
    });
    return { ...validation, asOfChoice: choice, notes: await dataNotes(session) };
  },
});

/** The input of `kpis`. */
export const KpisInput = z
  .object({
    /** Evaluate as of this moment (default: the end of the data's last day, at most now: operations/as-of.ts). */
    asOf: isoTime.optional(),
    /** The groups to report (default: one group of everyone). */
    by: GroupByInput.default({ kind: "all" }),
    minGroup: smallGroups,
  })
  .strict();

/** The input of `pareto`: the KPI report's (a time, a grouping, the small-group floor) and the top share. */
export const ParetoInput = KpisInput.extend({
  /** The top share of customers whose share of revenue is reported (the domain refuses 0). */
  top: share.default(0.2),
}).strict();

/**
 * `pareto`: revenue concentration — the top customers' share of revenue, the Lorenz curve and the Gini
 * coefficient, overall and per group. A read (an RFM grouping is scored into a temporary table).
 */
export const paretoOperation = defineOperation({
  name: "pareto",
  summary: "revenue concentration: share of revenue from the top customers, Lorenz curve, Gini",
  input: ParetoInput,
  access: "read",
  // The dashboard's overview draws it at every visit: kept by a server until the data, the values it groups by,
  // the segments or the privacy settings change.
  cachedUntil: ["data", "values", "segments", "privacy"],
  run: async (session, input): Promise<ConcentrationReport & ValueContext> => {
    const { asOf, choice } = await reportAsOf(session, input.asOf);
    const report = await concentration(session, {
      ...input,
      asOf,
      minGroup: await reportMinGroup(session, input.minGroup),
    });
    return { ...report, asOfChoice: choice, notes: await dataNotes(session) };
  },
});

/**
 * `kpis`: per group, customers and their share of the base, buyers, orders, revenue, average order value,
 * purchase frequency, average predicted CLV and session conversion. A read.
 */
export const kpisOperation = defineOperation({
  name: "kpis",
  summary:
    "customers, share of base, revenue, AOV, purchase frequency, average CLV, conversion, mean predictions (churn risk, propensities) and planned budget per group",
  input: KpisInput,
  access: "read",
  run: async (session, input): Promise<KpiReport & ValueContext> => {
    const { asOf, choice } = await reportAsOf(session, input.asOf);
    const report = await kpis(session, {
      ...input,
      asOf,
      minGroup: await reportMinGroup(session, input.minGroup),
    });
    return { ...report, asOfChoice: choice, notes: await dataNotes(session) };
  },
});
