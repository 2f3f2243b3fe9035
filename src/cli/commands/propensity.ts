import type { Command } from "commander";
import { UserError } from "../../errors.js";
import type { AsOfChoice } from "../../operations/as-of.js";
import { propensityEvaluateOperation, propensityFitOperation } from "../../operations/predict-operations.js";
import type { PropensityEvaluation, PropensityQuality, PropensityReport } from "../../predict/propensity.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import { calibrationTable } from "./churn.js";
import { minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

/** `--price-band LOW-HIGH` (unit prices, inclusive). */
function priceBandOption(value: string | undefined): [number, number] | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*([0-9.]+)\s*[-–:]\s*([0-9.]+)\s*$/.exec(value);
  const lo = Number(m?.[1]);
  const hi = Number(m?.[2]);
  if (!m || !Number.isFinite(lo) || !Number.isFinite(hi) || lo > hi)
    throw new UserError(
      "bad-option",
      `expected a price band LOW-HIGH such as 20-50, got "${value}"`,
      "--price-band",
    );
  return [lo, hi];
}

function targetOptions(cmd: Command): Command {
  return minGroupOption(cmd)
    .option("--category <name>", "the category (order_items.category) customers have not bought yet")
    .option("--keyword <word>", "or a word of the item description (for data without categories)")
    .option(
      "--price-band <low-high>",
      "only items in this unit-price band (a new product's category and price)",
    )
    .option("--horizon <n>", "the horizon: days (90d) or weeks (12w)", "90d");
}

function targetInput(opts: Record<string, string | undefined>) {
  return {
    ...(opts.category !== undefined ? { category: opts.category } : {}),
    ...(opts.keyword !== undefined ? { keyword: opts.keyword } : {}),
    ...(opts.priceBand !== undefined ? { priceBand: priceBandOption(opts.priceBand) } : {}),
    horizon: opts.horizon as string,
    ...parseMinGroup(opts.minGroup),
  };
}

export function registerPropensity(program: Command, cli: Cli): void {
  const propensity = program
    .command("propensity")
    .description(
      "who will buy a category they have not bought yet (a launch): calibrated logistic regression",
    );

  targetOptions(propensity.command("fit"))
    .description(propensityFitOperation.summary)
    .option(
      "--as-of <time>",
      "fit on the horizon before this moment and score as of it (default: the end of the data)",
    )
    .action(async (opts, cmd: Command) => {
      const r = await cli.run(cmd, propensityFitOperation, {
        ...targetInput(opts),
        asOf: dateOption(opts.asOf, "--as-of"),
      });
      cli.print(cmd, r, () => formatFit(r));
    });

  targetOptions(propensity.command("evaluate"))
    .description(propensityEvaluateOperation.summary)
    .requiredOption("--as-of <time>", "fit before this moment, measure on the horizon after it")
    .action(async (opts, cmd: Command) => {
      const r = await cli.run(cmd, propensityEvaluateOperation, {
        ...targetInput(opts),
        asOf: dateOption(opts.asOf, "--as-of") as Date,
      });
      cli.print(cmd, r, () => formatEvaluation(r));
    });
}

const auc = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));
const lift = (v: number | null) => (v === null ? "n/a" : `${v.toFixed(2)}×`);

function qualityLines(q: PropensityQuality): string[] {
  return [
    table(
      ["scorer", "AUC", "lift, top decile"],
      [
        ["propensity model", auc(q.model.auc), lift(q.model.liftTopDecile)],
        ["bought the most in the past", auc(q.baseline.auc), lift(q.baseline.liftTopDecile)],
      ],
    ).trimEnd(),
    "",
    calibrationTable(q.calibration, 10).trimEnd(),
  ];
}

function formatFit(r: PropensityReport & { asOfChoice: AsOfChoice }): string {
  const lines = [
    `Propensity ${r.computed}: P(buying within ${r.horizonDays} days), ${num(r.scored, 0)} customers who have not bought it yet, mean ${pct(r.meanPropensity)}`,
    `Fitted on features at ${r.training.featuresAt.slice(0, 10)}, buyers until ${r.training.labelWindow.to.slice(0, 10)}: ${num(r.training.customers, 0)} customers; measured on the held-out 20%:`,
    ...qualityLines(r.heldOut),
    "",
    `Stored per customer; segments can use {"computed": "${r.computed}", "gt": 0.1}.`,
    r.asOfChoice.note,
  ];
  return `${lines.join("\n")}\n`;
}

function formatEvaluation(r: PropensityEvaluation): string {
  const t = r.test;
  const lines = [
    `Fit on features at ${r.training.featuresAt.slice(0, 10)}; test: features at ${t.featuresAt.slice(0, 10)}, buyers ${t.labelWindow.from.slice(0, 10)} … ${t.labelWindow.to.slice(0, 10)}: ${num(t.customers, 0)} customers`,
    ...qualityLines(t),
  ];
  return `${lines.join("\n")}\n`;
}
