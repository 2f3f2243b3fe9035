import { z } from "zod";
import { UserError } from "../errors.js";
import { type BanditUpdate, updateBandit } from "../experiments/bandit.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { defineOperation } from "./operation.js";
import { isoTime, minGroup } from "./schema-types.js";

/**
 * `experiment.bandit` (issue 20, item 4): a Thompson-sampling bandit's update — the new weights, written as the
 * allocation new people are assigned with, and why (src/experiments/bandit.ts). At most one per the experiment's
 * interval; an earlier call is refused with the time it may run, and changes nothing.
 */
export const ExperimentBanditInput = z
  .object({
    id: z.string(),
    /** The Monte Carlo's seed (default: the experiment's seed and the update's number). */
    seed: z.string().min(1).max(200).optional(),
    /** The update's time (default now): when the new weights apply from. */
    at: isoTime.optional(),
    /** Draws from each posterior (default 20,000). */
    draws: z.number().int().min(100).max(1_000_000).optional(),
    minGroup: minGroup.optional(),
  })
  .strict();

export const experimentBanditOperation = defineOperation({
  name: "experiment.bandit",
  summary: "update a bandit's allocation: each variant's share by Thompson sampling, above a minimum share",
  input: ExperimentBanditInput,
  access: "write",
  changes: ["activation"],
  run: async (session, input): Promise<BanditUpdate> => {
    // An update reads the data up to its time: one in the future would read data that is not there yet.
    if (input.at !== undefined && input.at.getTime() > Date.now() + 60_000)
      throw new UserError(
        "bad-time",
        `${input.at.toISOString()} is in the future: an update runs on the data up to now`,
        "at",
      );
    return session.transaction(async () =>
      updateBandit(session, input.id, {
        k: await reportMinGroup(session, input.minGroup),
        ...(input.at !== undefined ? { at: input.at } : {}),
        ...(input.seed !== undefined ? { seed: input.seed } : {}),
        ...(input.draws !== undefined ? { draws: input.draws } : {}),
      }),
    );
  },
});
