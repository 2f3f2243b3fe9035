import { z } from "zod";
import { type FairnessReport, segmentFairness } from "../privacy/fairness.js";
import { defineOperation } from "./operation.js";

export const PrivacyFairnessInput = z
  .object({
    /** The saved segment, by id. */
    id: z.string().min(1),
  })
  .strict();

/**
 * `privacy.fairness`: a saved segment's composition by each sensitive trait against the whole base, with the
 * selection rate and disparate-impact ratio of every value, flagged under 0.8 (the four-fifths rule). Aggregates
 * only, through the k-gate.
 */
export const privacyFairnessOperation = defineOperation({
  name: "privacy.fairness",
  summary: "a segment's composition by sensitive traits against the base; disparate impact under 0.8 flagged",
  input: PrivacyFairnessInput,
  access: "read",
  run: (session, { id }): Promise<FairnessReport> => segmentFairness(session, id),
});
