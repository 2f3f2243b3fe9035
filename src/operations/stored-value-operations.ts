/**
 * Reads of the stored customer values as they are (the dashboard's value view): the RFM report of the stored
 * scores, the distribution of the stored lifetime values and P(alive) by first-purchase cohort. Unlike `rfm` and
 * `clv.predict` they compute and write nothing, so a role that may not write values reads them; every count is a
 * count of people through the k-gate. A store without the values answers `stored: false` (nothing to show yet),
 * not an error.
 */
import { z } from "zod";
import { COHORT_PERIODS, type CohortReport, pAliveByCohort } from "../analytics/clv-cohorts.js";
import { type ClvDistribution, clvDistribution } from "../analytics/clv-distribution.js";
import { type StoredRfmReport, storedRfmReport } from "../analytics/stored-rfm.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { defineOperation } from "./operation.js";
import { minGroup } from "./schema-types.js";

/** What a read of stored values answers: the report, or that nothing is stored yet (and which k applies). */
export type Stored<T> =
  | ({ readonly stored: true } & T)
  | { readonly stored: false; readonly minGroup: number };

function answer<T>(report: T | null, k: number): Stored<T> {
  return report === null ? { stored: false, minGroup: k } : { stored: true, ...report };
}

export const RfmShowInput = z
  .object({
    /** Groups smaller than this many customers are suppressed (default: the database's min_group, which it may only raise). */
    minGroup: minGroup.optional(),
  })
  .strict();

/**
 * `rfm.show`: the stored RFM scores' report — customers and revenue per named segment and per R × F cell, through
 * the k-gate, as `rfm` reports them, and when they were scored. A read.
 */
export const rfmShowOperation = defineOperation({
  name: "rfm.show",
  summary: "the stored RFM scores' report: customers and revenue per named segment and per R × F cell",
  input: RfmShowInput,
  access: "read",
  cachedUntil: ["data", "values", "privacy"],
  run: async (session, input): Promise<Stored<StoredRfmReport>> => {
    const k = await reportMinGroup(session, input.minGroup);
    return answer(await storedRfmReport(session, k), k);
  },
});

export const ClvDistributionInput = z
  .object({
    /** About how many bins span the values up to the 95th percentile (one more, open, holds the rest). */
    bins: z.number().int().min(2).max(100).default(20),
    minGroup: minGroup.optional(),
  })
  .strict();

/** `clv.distribution`: the histogram of the stored lifetime values, each bin's customers through the k-gate. A read. */
export const clvDistributionOperation = defineOperation({
  name: "clv.distribution",
  summary: "the histogram of the stored lifetime values (customers per CLV bin)",
  input: ClvDistributionInput,
  access: "read",
  cachedUntil: ["data", "values", "privacy"],
  run: async (session, input): Promise<Stored<ClvDistribution>> => {
    const k = await reportMinGroup(session, input.minGroup);
    return answer(await clvDistribution(session, { bins: input.bins, minGroup: k }), k);
  },
});

export const ClvCohortsInput = z
  .object({
    /** The calendar period of the first purchase that makes a cohort. */
    period: z.enum(COHORT_PERIODS).default("quarter"),
    minGroup: minGroup.optional(),
  })
  .strict();

/**
 * `clv.cohorts`: customers with a stored prediction by the period of their first purchase, with their mean
 * P(alive), CLV and expected purchases, each cohort through the k-gate. A read.
 */
export const clvCohortsOperation = defineOperation({
  name: "clv.cohorts",
  summary: "mean P(alive), CLV and expected purchases by first-purchase cohort (month, quarter or year)",
  input: ClvCohortsInput,
  access: "read",
  cachedUntil: ["data", "values", "privacy"],
  run: async (session, input): Promise<Stored<CohortReport>> => {
    const k = await reportMinGroup(session, input.minGroup);
    return answer(await pAliveByCohort(session, { period: input.period, minGroup: k }), k);
  },
});
