import type { Command } from "commander";
import type { ClvFit } from "../../analytics/clv.js";
import type { ClvValidation } from "../../analytics/clv-validate.js";
import { parseUnit } from "../../analytics/summaries.js";
import { UserError } from "../../errors.js";
import {
  CLV_PREDICT_RANGES,
  type ClvPredictResult,
  clvFitOperation,
  clvPredictOperation,
  clvValidateOperation,
  type ValueContext,
} from "../../operations/value-operations.js";
import type { Cli } from "../context.js";
import { dateOption, numberOption } from "../parse.js";
import { table } from "../table.js";
import { contextLines, minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

export function registerClv(program: Command, cli: Cli): void {
  const clv = program
    .command("clv")
    .description("predictive lifetime value: BG/NBD purchases and Gamma-Gamma spend");

  clv
    .command("fit")
    .description(clvFitOperation.summary)
    .option("--calibration-end <date>", "last day of the calibration period (default: the last purchase day)")
    .option("--unit <unit>", "time unit of the model: week or day", "week")
    .action(async (opts, cmd: Command) => {
      const fit = await cli.run(cmd, clvFitOperation, {
        calibrationEnd: dateOption(opts.calibrationEnd, "--calibration-end"),
        unit: parseUnit(opts.unit),
      });
      cli.print(cmd, fit, () => formatFit(fit));
    });

  clv
    .command("predict")
    .description(clvPredictOperation.summary)
    .option("--period <n>", "period for expected purchases, in the model's unit (default: a year)")
    .option("--months <n>", "CLV horizon in months", "12")
    .option("--discount <rate>", "monthly discount rate", "0.01")
    .option("--margin <share>", "profit margin applied to revenue (1 = CLV in revenue)", "1")
    .option("--customer <id>", "also show one customer's figures and P(n purchases in the period)")
    .action(async (opts, cmd: Command) => {
      const r = CLV_PREDICT_RANGES;
      const options = {
        period: numberOption(opts.period, "--period", ...r.period),
        months: numberOption(opts.months, "--months", ...r.months),
        discount: numberOption(opts.discount, "--discount", ...r.discount),
        margin: numberOption(opts.margin, "--margin", ...r.margin),
        customer: opts.customer as string | undefined,
      };
      // The operation refuses a fraction too, but under its field's name: the option is named here.
      if (options.months !== undefined && !Number.isInteger(options.months))
        throw new UserError(
          "bad-option",
          `expected a whole number of months, got "${opts.months}"`,
          "--months",
        );
      const result = await cli.run(cmd, clvPredictOperation, options);
      cli.print(cmd, result, () => formatPrediction(result));
    });

  minGroupOption(clv.command("validate"))
    .description(clvValidateOperation.summary)
    .requiredOption("--calibration-end <date>", "last day of the calibration period")
    .option("--holdout-end <date>", "last day of the holdout (default: the last purchase day)")
    .option("--unit <unit>", "time unit of the model: week or day", "week")
    .action(async (opts, cmd: Command) => {
      const v = await cli.run(cmd, clvValidateOperation, {
        // A required option: commander has refused the command without it.
        calibrationEnd: dateOption(opts.calibrationEnd, "--calibration-end") as Date,
        holdoutEnd: dateOption(opts.holdoutEnd, "--holdout-end"),
        unit: parseUnit(opts.unit),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, v, () => formatValidation(v));
    });
}

function formatFit(f: ClvFit & ValueContext): string {
  const b = f.bgnbd;
  const g = f.gammaGamma;
  const lines = [
    `Calibration to ${f.calibrationEnd} (unit: ${f.unit}): ${num(f.customers, 0)} customers, ${num(f.repeatCustomers, 0)} with a repeat purchase, ${num(f.tuples, 0)} distinct (x, t_x, T)`,
    `BG/NBD       r = ${b.r.toFixed(4)}, alpha = ${b.alpha.toFixed(4)}, a = ${b.a.toFixed(4)}, b = ${b.b.toFixed(4)}  (log-likelihood ${b.logLikelihood.toFixed(2)})`,
    g === null
      ? "Gamma-Gamma  not fitted"
      : `Gamma-Gamma  p = ${g.p.toFixed(4)}, q = ${g.q.toFixed(4)}, v = ${g.v.toFixed(4)}  (${num(f.gammaGammaFit?.customers ?? 0, 0)} repeat customers; mean spend p·v/(q−1) = ${g.q > 1 ? num((g.p * g.v) / (g.q - 1)) : "∞"})`,
    `Frequency–spend correlation ${f.frequencySpendCorrelation === null ? "n/a" : f.frequencySpendCorrelation.toFixed(3)} (Gamma-Gamma assumes ≈ 0)`,
    `Summary ${f.seconds.summary.toFixed(2)} s, fit ${f.seconds.fit.toFixed(2)} s. Saved; next: tessera clv predict`,
    ...f.warnings.map((w) => `warning: ${w}`),
    ...contextLines(f),
  ];
  return `${lines.join("\n")}\n`;
}

function formatPrediction(p: ClvPredictResult): string {
  const lines = [
    `From ${p.calibrationEnd}: ${num(p.customers, 0)} customers; next ${num(p.period)} ${p.unit}s: ${num(p.expectedPurchases, 0)} purchases expected; mean P(alive) ${pct(p.meanPAlive)}`,
    `CLV over ${p.months} months (discount ${pct(p.discount)} a month, margin ${pct(p.margin)}): total ${num(p.totalClv)}, mean ${num(p.meanClv)}, median ${num(p.clvQuantiles.p50)}, p90 ${num(p.clvQuantiles.p90)}, p99 ${num(p.clvQuantiles.p99)}`,
    "",
    table(
      ["purchases in the period", "expected customers"],
      p.purchaseDistribution.map((d) => [d.purchases, Math.round(d.customers)]),
    ).trimEnd(),
    "",
    'Stored per customer in customer_clv; segments can use {"computed": "p_alive", "lt": 0.3}.',
  ];
  lines.push(...contextLines(p));
  if (p.customer) lines.push("", JSON.stringify(p.customer, null, 2));
  return `${lines.join("\n")}\n`;
}

function formatValidation(v: ClvValidation & ValueContext): string {
  const o = v.overall;
  const head = [
    `Calibration to ${v.calibrationEnd}, holdout to ${v.holdoutEnd} (${num(v.holdoutLength)} ${v.unit}s)`,
    `BG/NBD r = ${v.fit.bgnbd.r.toFixed(4)}, alpha = ${v.fit.bgnbd.alpha.toFixed(4)}, a = ${v.fit.bgnbd.a.toFixed(4)}, b = ${v.fit.bgnbd.b.toFixed(4)}`,
    `Holdout repeat purchases: actual ${num(o.actual, 0)}, predicted ${num(o.predicted, 1)}, error ${num(o.error, 1)} (${pct(o.relativeError)}), mean absolute error per customer ${num(o.meanAbsoluteError, 3)}`,
    ...contextLines(v),
  ];
  const t = table(
    [
      "calibration repeat purchases",
      "customers",
      "actual",
      "predicted",
      "mean actual",
      "mean predicted",
      "error",
    ],
    v.byFrequency.map((g) => [
      g.suppressed ? `${g.frequency} (suppressed)` : g.frequency,
      g.customers,
      g.actual,
      num(g.predicted, 1),
      g.customers ? num((g.actual ?? 0) / g.customers, 3) : "",
      g.customers ? num((g.predicted ?? 0) / g.customers, 3) : "",
      pct(g.relativeError),
    ]),
  );
  return `${head.join("\n")}\n\n${t}`;
}
