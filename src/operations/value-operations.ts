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
import type { GroupBy } from "../analytics/grouping.js";
import { type KpiReport, kpis } from "../analytics/kpis.js";
import { type RfmReport, rfm } from "../analytics/rfm.js";
import type { TimeUnit } from "../analytics/summaries.js";
import { DEFAULT_MIN_GROUP } from "../privacy/small-groups.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup, share } from "./schema-types.js";

/** Groups smaller than this many customers are suppressed (default 10). */
const smallGroups = minGroup.default(DEFAULT_MIN_GROUP);

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
    /** Evaluate as of this moment (default: midnight after the last purchase day). */
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
  run: (session, input): Promise<RfmReport> => rfm(session, input),
});

/** The model's time unit. */
const timeUnit = z.enum(["week", "day"]) satisfies z.ZodType<TimeUnit>;

/** The input of `clv.fit`. */
export const ClvFitInput = z
  .object({
    /** Last day of the calibration period, included (default: the last purchase day). */
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
  run: (session, input): Promise<ClvFit> => fitClv(session, input),
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
export type ClvPredictResult = ClvPrediction & { customer?: Record<string, unknown> };

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
  run: (session, { customer, ...options }): Promise<ClvPredictResult> =>
    session.transaction(async () => {
      // The customer is checked before anything is written (`customer`), so a refusal leaves the store as it was.
      const prediction = await predictClv(session, { ...options, customer });
      // The customer's figures are read from the summary the prediction just built (a temporary table).
      if (customer === undefined) return prediction;
      return { ...prediction, customer: await customerPrediction(session, customer, prediction.period) };
    }),
});

/** The input of `clv.validate`. */
export const ClvValidateInput = z
  .object({
    /** Last day of the calibration period, included. */
    calibrationEnd: isoTime,
    /** Last day of the holdout, included (default: the last purchase day). */
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
  run: (session, input): Promise<ClvValidation> => validateClv(session, input),
});

/** The input of `kpis`. */
export const KpisInput = z
  .object({
    /** Evaluate as of this moment (default: midnight after the last purchase day). */
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
  run: (session, input): Promise<ConcentrationReport> => concentration(session, input),
});

/**
 * `kpis`: per group, customers and their share of the base, buyers, orders, revenue, average order value,
 * purchase frequency, average predicted CLV and session conversion. A read.
 */
export const kpisOperation = defineOperation({
  name: "kpis",
  summary: "customers, share of base, revenue, AOV, purchase frequency, average CLV and conversion per group",
  input: KpisInput,
  access: "read",
  run: (session, input): Promise<KpiReport> => kpis(session, input),
});
