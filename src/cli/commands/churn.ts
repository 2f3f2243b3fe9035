import type { Command } from "commander";
import { UserError } from "../../errors.js";
import type { AsOfChoice } from "../../operations/as-of.js";
import { churnEvaluateOperation, churnOperation } from "../../operations/predict-operations.js";
import type { ChurnEvaluation, ChurnReport } from "../../predict/churn.js";
import type { CalibrationBin } from "../../predict/evaluation.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import { gatedCount, minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

const auc = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));

/** A decile calibration curve as a table (k-gated bins shown as <k). */
export function calibrationTable(bins: readonly CalibrationBin[], k: number): string {
  return table(
    ["decile", "customers", "mean predicted", "observed"],
    bins.map((b) => [
      b.bin,
      gatedCount(b.customers, k),
      b.meanPredicted === null ? "" : pct(b.meanPredicted),
      b.observedRate === null ? "" : pct(b.observedRate),
    ]),
  );
}

export function registerChurn(program: Command, cli: Cli): void {
  const churn = minGroupOption(program.command("churn"))
    .description(churnOperation.summary)
    .option("--as-of <time>", "score as of this moment (default: the end of the data)")
    .option("--horizon <n>", "the horizon: days (90d) or weeks (12w); default 90d")
    .action(async (opts, cmd: Command) => {
      const r = await cli.run(cmd, churnOperation, {
        asOf: dateOption(opts.asOf, "--as-of"),
        ...(opts.horizon !== undefined ? { horizon: opts.horizon as string } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, r, () => formatChurn(r));
    });

  // `churn` takes the same options: commander gives them to it when they are written after `evaluate`, so they are
  // read with the parent's (`optsWithGlobals`), and have no defaults here (a default would hide the parent's value).
  minGroupOption(churn.command("evaluate"))
    .description(churnEvaluateOperation.summary)
    .option("--as-of <time>", "fit before this moment, measure on the horizon after it (required)")
    .option("--horizon <n>", "the horizon: days (90d) or weeks (12w); default 90d")
    .action(async (_opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals();
      if (opts.asOf === undefined)
        throw new UserError("bad-option", "required: the time that splits fit from test", "--as-of");
      const r = await cli.run(cmd, churnEvaluateOperation, {
        asOf: dateOption(opts.asOf, "--as-of") as Date,
        ...(opts.horizon !== undefined ? { horizon: opts.horizon as string } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, r, () => formatEvaluation(r));
    });
}

function formatChurn(r: ChurnReport & { asOfChoice: AsOfChoice }): string {
  const f = r.fit;
  const lines = [
    `Churn risk = P(no purchase in the next ${r.horizonDays} days), scored to ${r.scoredDay}: ${num(r.customers, 0)} customers, mean ${pct(r.meanChurnRisk)}`,
    `Fitted on features at ${f.featuresDay}, labels ${f.labelWindow.from} … ${f.labelWindow.to} (${num(f.trainingCustomers, 0)} customers, ${pct(f.churnRate)} churned); held-out AUC ${auc(f.heldOut.auc)}`,
    "",
    table(
      ["churn risk", "customers"],
      r.bands.map((b) => [b.band, gatedCount(b.customers, 10)]),
    ).trimEnd(),
    "",
    "Calibration on the held-out 20%:",
    calibrationTable(f.heldOut.calibration, 10).trimEnd(),
    "",
    'Stored per customer in customer_churn; segments can use {"computed": "churn_risk", "gt": 0.7}.',
    r.asOfChoice.note,
  ];
  return `${lines.join("\n")}\n`;
}

function formatEvaluation(r: ChurnEvaluation): string {
  const lines = [
    `Fit: features at ${r.training.featuresDay}, labels ${r.training.labelWindow.from} … ${r.training.labelWindow.to} (${num(r.training.customers, 0)} customers)`,
    `Test: features at ${r.test.featuresDay}, labels ${r.test.labelWindow.from} … ${r.test.labelWindow.to} (${num(r.test.customers, 0)} customers, ${pct(r.test.churnRate)} made no purchase)`,
    "",
    table(
      ["scorer", "AUC", "lift, top decile"],
      [
        ["churn model", auc(r.model.auc), num(r.model.liftTopDecile ?? 0, 2)],
        ["recency alone", auc(r.baselines.recency.auc), num(r.baselines.recency.liftTopDecile ?? 0, 2)],
        ["1 − P(alive) alone", auc(r.baselines.pAlive.auc), num(r.baselines.pAlive.liftTopDecile ?? 0, 2)],
        [
          "BG/NBD P(no purchase)",
          auc(r.baselines.bgnbdNoPurchase.auc),
          num(r.baselines.bgnbdNoPurchase.liftTopDecile ?? 0, 2),
        ],
      ],
    ).trimEnd(),
    "",
    calibrationTable(r.calibration, 10).trimEnd(),
  ];
  return `${lines.join("\n")}\n`;
}
