/**
 * Summaries no data could give (malformed input: the caller's error, named by its JSON path) as opposed to data
 * that merely cannot answer (n ≤ 1, no variance, a control mean of 0: a `NotComputable` comparison, see analyze.ts).
 * The stats-file schema (input.ts) runs these checks, and so does `analyzeSummaries` for callers that build a
 * `StatsInput` themselves (src/experiments/analysis.ts from SQL sums).
 */
import { UserError } from "../../errors.js";
import { ROUNDING } from "./arms.js";
import type { StatsInput } from "./types.js";

export interface SummaryIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** Σv² below (Σv)²/n by more than rounding: a negative variance. */
function impossibleSquares(sumSquares: number, sum: number, n: number): boolean {
  if (n === 0) return sumSquares !== 0;
  const floor = (sum * sum) / n;
  return sumSquares < floor - ROUNDING * Math.max(Math.abs(sumSquares), floor);
}

/** Every problem of a `StatsInput`'s content (its shape is the schema's business), with its path. */
export function summaryIssues(input: StatsInput): SummaryIssue[] {
  const issues: SummaryIssue[] = [];
  const { arms, metric } = input;
  const add = (path: (string | number)[], message: string) => issues.push({ path, message });
  if (arms.length < 2) add(["arms"], "at least two arms are needed: the control first, then the variants");
  const seen = new Set<string>();
  const withCovariate = arms.filter((a) => a.covariate).length;
  arms.forEach((a, i) => {
    const at = (...rest: string[]) => ["arms", i, ...rest];
    if (seen.has(a.name)) add(at("name"), `arm name "${a.name}" given twice`);
    seen.add(a.name);
    if (!Number.isInteger(a.n) || a.n < 0) add(at("n"), "must be a whole number of people, 0 or more");
    if (a.n === 0 && a.sum !== 0) add(at("sum"), "an arm of 0 people has a sum of 0");
    if (metric === "proportion") {
      if (a.sum < 0) add(at("sum"), "conversions cannot be negative");
      else if (a.sum > a.n) add(at("sum"), `${a.sum} conversions out of ${a.n} people: more than one each`);
    } else if (a.sum_squares === undefined) {
      add(at("sum_squares"), `required for a ${metric} metric`);
    } else if (a.sum_squares < 0) {
      add(at("sum_squares"), "a sum of squares cannot be negative");
    } else if (impossibleSquares(a.sum_squares, a.sum, a.n)) {
      add(at("sum_squares"), "less than sum²/n: a negative variance, which no data gives");
    }
    const c = a.covariate;
    if (c) {
      if (metric === "ratio") add(at("covariate"), "CUPED is not supported on a ratio metric");
      if (c.sum_squares < 0 || impossibleSquares(c.sum_squares, c.sum, a.n))
        add(at("covariate", "sum_squares"), "less than sum²/n: a negative variance, which no data gives");
    } else if (withCovariate > 0) {
      add(at("covariate"), "every arm needs the covariate's sums when one has them");
    }
    const d = a.denominator;
    if (metric === "ratio") {
      if (!d) add(at("denominator"), "required for a ratio metric");
      else if (d.sum_squares < 0 || impossibleSquares(d.sum_squares, d.sum, a.n))
        add(at("denominator", "sum_squares"), "less than sum²/n: a negative variance, which no data gives");
    } else if (d) {
      add(at("denominator"), 'only a "ratio" metric has a denominator');
    }
  });
  const w = input.weights;
  if (w) {
    if (w.length !== arms.length)
      add(["weights"], `${w.length} weights for ${arms.length} arms: give one per arm, in the arms' order`);
    w.forEach((x, i) => {
      if (!(x > 0)) add(["weights", i], "a planned share must be above 0");
    });
  }
  if (!(input.alpha > 0 && input.alpha < 1)) add(["alpha"], "must be between 0 and 1");
  if (input.sequential && input.engine === "bayesian")
    add(["sequential"], "sequential testing applies to the frequentist engine");
  if (input.sequential && input.alternative !== "two-sided" && input.alpha >= 0.5)
    add(["alpha"], "a one-sided sequential test needs alpha below 0.5");
  if (input.sequential_tuning !== undefined && !(input.sequential_tuning > 0))
    add(["sequential_tuning"], "must be above 0");
  if (input.prior && !(input.prior.sd > 0)) add(["prior", "sd"], "must be above 0");
  return issues;
}

/** A JSON path as people write it: `arms[1].sum_squares`. */
export function pathText(path: readonly PropertyKey[]): string {
  let text = "";
  for (const p of path) text += typeof p === "number" ? `[${p}]` : `${text ? "." : ""}${String(p)}`;
  return text || "input";
}

/** Throws the first issue as a UserError naming its path (after `where`, when given). */
export function assertSummaries(input: StatsInput, where?: string): void {
  const issue = summaryIssues(input)[0];
  if (issue) {
    const path = pathText(issue.path);
    throw new UserError("bad-input", issue.message, where ? `${where}: ${path}` : path);
  }
}
