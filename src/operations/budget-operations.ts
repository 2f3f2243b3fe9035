/**
 * Budget planning (issue 19, item 4; src/predict/budget-plan.ts): `budget.plan` splits a total budget across saved
 * segments or audiences where it returns most and keeps the plan; `budget.show` reads the kept plan. Each result is
 * exactly the command's `--json` document.
 */
import { z } from "zod";
import { CAMPAIGN_CHANNELS } from "../activation/campaigns.js";
import { UserError } from "../errors.js";
import { BUDGET_BY, type BudgetPlan, planBudget } from "../predict/budget-plan.js";
import { loadPlan, type StoredPlan, savePlan } from "../predict/budget-store.js";
import { reportMinGroup } from "../privacy/k-gate.js";
import { lastRefresh } from "../segments/segment-refresh.js";
import { type AsOfChoice, chooseAsOf } from "./as-of.js";
import { defineOperation } from "./operation.js";
import { minGroup } from "./schema-types.js";

const channel = z.enum(CAMPAIGN_CHANNELS, { error: `a channel is one of ${CAMPAIGN_CHANNELS.join(", ")}` });
const money = z.number().finite().nonnegative();

/** The input of `budget.plan`. */
export const BudgetPlanInput = z
  .object({
    /** The total budget, in the currency of the orders (positive; the domain says so with its own message). */
    total: z.number(),
    /** Plan per saved segment (its current members) or per audience (its consented people now). */
    by: z.enum(BUDGET_BY, { error: `plan by ${BUDGET_BY.join(" or ")}` }),
    /** Cost of one contact per channel; channels not named keep the defaults. */
    channelCosts: z.partialRecord(channel, z.number().finite().positive()).optional(),
    /** The channel segments are reached on (an audience has its own). */
    channel: channel.default("email"),
    /** Bounds on the spend per segment (or audience) id: min (default 0), max (default none). */
    bounds: z
      .record(
        z.string(),
        z
          .object({ min: money.optional(), max: money.optional() })
          .strict()
          .refine((b) => b.min === undefined || b.max === undefined || b.min <= b.max, "min above max"),
      )
      .optional(),
    /** Days of the conversion window (buyers in the last window; conversions within it after a send). */
    windowDays: z.number().int().min(1).max(3660).default(30),
    minGroup: minGroup.optional(),
  })
  .strict();

/** What `budget.plan` returns: the plan and how its time was chosen. */
export type BudgetPlanResult = BudgetPlan & { readonly asOfChoice: AsOfChoice };

/**
 * `budget.plan`: a response curve per segment (fitted on past campaigns, else from its size, conversion rate and
 * value), the split of the total with equal marginal returns within the bounds, and the reasoning. A write: the
 * plan replaces the kept one (`budget_plan`); a refused plan keeps the old one.
 */
export const budgetPlanOperation = defineOperation({
  name: "budget.plan",
  summary: "split a total budget across segments or audiences where it returns most (equal marginal return)",
  input: BudgetPlanInput,
  access: "write",
  changes: ["values"],
  run: (session, input): Promise<BudgetPlanResult> =>
    session.transaction(async () => {
      if (!Number.isFinite(input.total) || input.total <= 0)
        throw new UserError(
          "bad-total",
          `the total budget must be a positive number, got ${input.total}`,
          "total",
        );
      // Segments' members are the last refresh's: buyers are counted in the window before it.
      const last = await lastRefresh(session);
      const { asOf, choice } = await chooseAsOf(session, last ?? undefined);
      const asOfChoice =
        last === null
          ? choice
          : {
              ...choice,
              basis: "last-refresh" as const,
              note: `as of the last refresh, ${last.toISOString()}`,
            };
      const plan = await planBudget(session, {
        ...input,
        asOf,
        minGroup: await reportMinGroup(session, input.minGroup),
      });
      await savePlan(session, plan, new Date());
      return { ...plan, asOfChoice };
    }),
});

/** `budget.show`: the kept plan (null before the first). */
export const budgetShowOperation = defineOperation({
  name: "budget.show",
  summary: "the last budget plan, per segment",
  input: z.object({}).strict(),
  access: "read",
  run: async (session): Promise<{ plan: StoredPlan | null }> => ({ plan: await loadPlan(session) }),
});
