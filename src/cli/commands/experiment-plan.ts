import type { Command } from "commander";
import { holdoutText, parseHoldout } from "../../activation/holdout.js";
import { UserError } from "../../errors.js";
import { type ExperimentPlan, experimentPlanOperation } from "../../operations/experiment-plan-operations.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";
import { table } from "../table.js";
import { choiceOption, gatedText, parseMinGroup } from "./value-options.js";

/** A number, or a percentage (`10%` → 0.1), naming the option when it is neither. */
function numberOrPercent(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e-?\d+)?)\s*(%?)\s*$/i.exec(value);
  if (!m) throw new UserError("bad-option", `expected a number or a percentage, got "${value}"`, option);
  return m[2] === "%" ? Number(`${m[1]}e-2`) : Number(m[1]);
}

/** `tessera experiment plan`: the people an A/B test needs per arm, and how long a segment's traffic takes. */
export function registerExperimentPlan(experiment: Command, cli: Cli): void {
  experiment
    .command("plan")
    .description(experimentPlanOperation.summary)
    .option("--baseline-rate <p>", "the control's conversion rate, e.g. 0.04 or 4%")
    .option("--baseline-mean <m>", "or the control's mean (revenue per person…), with --baseline-sd")
    .option("--baseline-sd <s>", "the standard deviation per person of that mean")
    .option(
      "--mde <d>",
      "the smallest effect worth detecting, e.g. 10% (relative, the default) or 0.01 --absolute",
    )
    .option("--relative", "the effect is relative to the baseline (default)")
    .option("--absolute", "the effect is an absolute difference")
    .option("--alpha <a>", "the false-positive rate (default 0.05)")
    .option("--power <p>", "the chance to detect the effect when it is there (default 0.8)")
    .option("--variants <n>", "arms, the control included (default 2); more split alpha (Bonferroni)")
    .option("--alternative <alt>", "two-sided (default) or greater")
    .option("--holdout <share>", "a share held out of the experiment, e.g. 5%")
    .option("--segment <id>", "a saved segment: its size and recent traffic give the duration")
    .option("--as-of <time>", "the end of the recent data the traffic is read over (default: the data's end)")
    .option("--min-group <k>", "suppress counts of fewer than k people (default: the min_group setting)")
    .action(async (opts, cmd: Command) => {
      if (opts.mde === undefined)
        throw new UserError("bad-option", "required: the smallest effect worth detecting, e.g. 10%", "--mde");
      if (opts.relative && opts.absolute)
        throw new UserError("bad-option", "either --relative or --absolute, not both", "--absolute");
      const rate = numberOrPercent(opts.baselineRate, "--baseline-rate");
      const mean = numberOrPercent(opts.baselineMean, "--baseline-mean");
      const sd = numberOrPercent(opts.baselineSd, "--baseline-sd");
      const alpha = numberOrPercent(opts.alpha, "--alpha");
      const power = numberOrPercent(opts.power, "--power");
      const variants = intOption(opts.variants, "--variants", 2);
      if (opts.holdout !== undefined) parseHoldout(opts.holdout, "--holdout");
      const asOf = dateOption(opts.asOf, "--as-of");
      const r = await cli.run(cmd, experimentPlanOperation, {
        mde: numberOrPercent(opts.mde, "--mde") as number,
        effect: opts.absolute ? "absolute" : "relative",
        alternative: choiceOption(
          opts.alternative,
          "--alternative",
          ["two-sided", "greater"] as const,
          "two-sided",
        ),
        ...(rate !== undefined ? { baselineRate: rate } : {}),
        ...(mean !== undefined ? { baselineMean: mean } : {}),
        ...(sd !== undefined ? { baselineSd: sd } : {}),
        ...(alpha !== undefined ? { alpha } : {}),
        ...(power !== undefined ? { power } : {}),
        ...(variants !== undefined ? { variants } : {}),
        ...(opts.holdout !== undefined ? { holdout: opts.holdout } : {}),
        ...(opts.segment !== undefined ? { segment: opts.segment } : {}),
        ...(asOf !== undefined ? { asOf } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, r, () => planText(r));
    });
}

const n = (x: number) => x.toLocaleString("en-US");
const fig = (x: number) => `${Math.round(x * 1e6) / 1e6}`;

function planText(r: ExperimentPlan): string {
  const what = r.metric === "proportion" ? "rate" : "mean";
  const lines = [
    `baseline ${what} ${fig(r.baseline_value)} -> ${fig(r.treatment_value)} (effect ${fig(r.absolute_effect)})`,
    `alpha ${r.alpha}${r.adjustment === "bonferroni" ? ` (${fig(r.alpha_per_comparison)} per comparison with the control, Bonferroni)` : ""}, ` +
      `power ${r.power}, ${r.alternative}`,
    `people per arm: ${n(r.per_arm)} x ${r.variants} arms = ${n(r.total)}` +
      (r.holdout > 0 ? `; with a ${holdoutText(r.holdout)} holdout: ${n(r.needed)}` : ""),
    `method: ${r.method}`,
  ];
  const d = r.duration;
  if (d) {
    lines.push(
      `segment ${d.segment}: ${gatedText(d.size, r.minGroup)} members; active in the last days before ${d.as_of.slice(0, 10)}:`,
    );
    lines.push(
      table(
        ["days", ...d.reach.map((p) => String(p.days))],
        [["members active", ...d.reach.map((p) => gatedText(p.people, r.minGroup))]],
      ).trimEnd(),
    );
    if (d.new_per_day !== null) lines.push(`newly seen per day at the end of that curve: ${d.new_per_day}`);
    lines.push(d.days === null ? "duration: not estimated" : `duration: about ${d.days} days`, `  ${d.note}`);
  }
  return `${lines.join("\n")}\n`;
}
