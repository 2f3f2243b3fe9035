import { z } from "zod";
import { type ConsentCoverage, consentCoverage } from "../privacy/consent-coverage.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

export const ConsentCoverageInput = z
  .object({
    /** The time the latest consent is judged at (default now). */
    asOf: isoTime.optional(),
    /** A k above the database's `min_group`, for this report. */
    minGroup: minGroup.optional(),
  })
  .strict();

/**
 * `consent.coverage`: per purpose and channel, how many customers' latest consent is a grant, and their share of
 * all customers — the consent leaf's own semantics, every count through the k-gate (noised for an analyst under
 * differential privacy). Aggregates only: the dashboard's privacy view shows it to every role that reads reports.
 */
export const consentCoverageOperation = defineOperation({
  name: "consent.coverage",
  summary:
    "per purpose and channel, how many customers' latest consent is a grant (k-gated counts and shares)",
  input: ConsentCoverageInput,
  access: "read",
  noised: true,
  run: async (session, input, _emit, caller): Promise<ConsentCoverage> =>
    consentCoverage(
      session,
      input.asOf ?? new Date(),
      await reportMinGroup(session, input.minGroup),
      caller.noise,
    ),
});
