/**
 * The stats file (`tessera experiment stats --input FILE`, and the body of `POST /api/experiments/stats`): summary
 * statistics an analyst brings, as the issue gives them, with defaults filled in:
 *   {"metric": "mean"|"proportion"|"ratio", "arms": [{"name", "n", "sum", "sum_squares"}, …] (first = control),
 *    "weights": [0.5, 0.5], "effect": "relative", "engine": "frequentist", "alternative": "two-sided",
 *    "sequential": false, "alpha": 0.05}
 * and optionally "sequential_tuning" (N*, default 5000), "prior" ({"proper", "mean", "sd"} on the relative effect;
 * default flat; `{"proper": true}` alone is GrowthBook's N(0, 0.3²)), "adjustment" ("none"|"holm"|
 * "benjamini-hochberg"; default Holm with more than two arms), and per arm "covariate" (CUPED: Σx, Σx², Σxy) or
 * "denominator" (ratio: Σd, Σd², Σyd). Every error names its JSON path (`arms[1].sum_squares`).
 */
import { z } from "zod";
import { UserError } from "../../errors.js";
import { pathText, summaryIssues } from "./checks.js";
import type { StatsInput } from "./types.js";

const sums = z
  .object({
    sum: z.number(),
    sum_squares: z.number(),
    sum_products: z.number(),
  })
  .strict();

const arm = z
  .object({
    name: z.string().min(1, "an arm needs a name").max(200),
    n: z.number().int("must be a whole number of people").min(0, "must be 0 or more"),
    sum: z.number(),
    sum_squares: z.number().optional(),
    covariate: sums.optional(),
    denominator: sums.optional(),
  })
  .strict();

const prior = z
  .object({
    proper: z.boolean().default(true),
    mean: z.number().default(0),
    sd: z.number().positive("must be above 0").default(0.3),
  })
  .strict();

/** The stats file's schema: the type, the validator of the CLI's file and of the API's body. */
export const statsInputSchema = z
  .object({
    metric: z.enum(["mean", "proportion", "ratio"]),
    arms: z.array(arm).min(2, "at least two arms are needed: the control first, then the variants").max(100),
    weights: z.array(z.number().positive("a planned share must be above 0")).optional(),
    effect: z.enum(["relative", "absolute"]).default("relative"),
    engine: z.enum(["frequentist", "bayesian"]).default("frequentist"),
    alternative: z.enum(["two-sided", "greater", "less"]).default("two-sided"),
    sequential: z.boolean().default(false),
    sequential_tuning: z.number().positive("must be above 0").optional(),
    alpha: z.number().gt(0, "must be between 0 and 1").lt(1, "must be between 0 and 1").default(0.05),
    prior: prior.optional(),
    adjustment: z.enum(["none", "holm", "benjamini-hochberg"]).optional(),
  })
  .strict()
  .superRefine((input, ctx) => {
    for (const issue of summaryIssues(input as StatsInput))
      ctx.addIssue({ code: "custom", path: [...issue.path], message: issue.message });
  });

export type StatsFile = z.input<typeof statsInputSchema>;
/** A checked stats file: a `StatsInput`. */
export type CheckedStatsFile = z.output<typeof statsInputSchema>;

/**
 * A stats file's text, checked: a UserError names the file and the JSON path at fault (`stats.json: arms[1].n:
 * must be 0 or more`) and, for text that is no JSON, the parser's complaint.
 */
export function parseStatsFile(text: string, where: string): CheckedStatsFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new UserError("bad-input", `not JSON: ${(e as Error).message}`, where);
  }
  const parsed = statsInputSchema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const path = [...(issue?.path ?? [])];
  if (issue?.code === "unrecognized_keys") path.push(issue.keys[0] ?? "");
  const message = issue?.code === "unrecognized_keys" ? "unknown field" : (issue?.message ?? "invalid");
  throw new UserError("bad-input", message, `${where}: ${pathText(path)}`);
}
