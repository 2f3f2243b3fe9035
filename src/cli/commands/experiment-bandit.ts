import type { Command } from "commander";
import type { BanditUpdate } from "../../experiments/bandit.js";
import { experimentBanditOperation } from "../../operations/experiment-bandit-operations.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";
import { table } from "../table.js";
import { gatedCount, parseMinGroup } from "./value-options.js";

/** `tessera experiment bandit ID`: a Thompson-sampling bandit's update (new weights, and why). */
export function registerExperimentBandit(experiment: Command, cli: Cli): void {
  experiment
    .command("bandit <id>")
    .description(experimentBanditOperation.summary)
    .option(
      "--seed <seed>",
      "the Monte Carlo's seed (default: the experiment's seed and the update's number)",
    )
    .option("--at <time>", "the update's time, when the new weights apply from (default now)")
    .option("--draws <n>", "draws from each arm's posterior (default 20000)")
    .option("--min-group <k>", "suppress counts of fewer than k people (default: the min_group setting)")
    .action(async (id: string, opts, cmd: Command) => {
      const at = dateOption(opts.at, "--at");
      const draws = intOption(opts.draws, "--draws", 100);
      const r = await cli.run(cmd, experimentBanditOperation, {
        id,
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(at !== undefined ? { at } : {}),
        ...(draws !== undefined ? { draws } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, r, () => banditText(r));
    });
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function banditText(r: BanditUpdate): string {
  const value = (v: number | null) =>
    v === null
      ? ""
      : r.statistic === "proportion"
        ? pct(v)
        : v.toLocaleString("en-US", { maximumFractionDigits: 2 });
  return [
    `experiment ${r.experiment}: update ${r.update}, effective ${r.effective_at} (metric ${r.metric})`,
    table(
      ["variant", "n", r.statistic === "proportion" ? "rate" : "mean", "P(best)", "before", "weight"],
      r.arms.map((a) => [
        a.name,
        gatedCount(a.n, r.minGroup),
        value(a.value),
        pct(a.probability_best),
        pct(a.previous_weight),
        `${pct(a.weight)}${a.at_minimum ? " (minimum)" : ""}`,
      ]),
    ).trimEnd(),
    `why: ${r.reason}`,
    `next update from ${r.next_update_at} (every ${r.update_every}); seed ${JSON.stringify(r.seed)}`,
    `bias: ${r.bias.caveat}`,
    `what Tessera does: ${r.bias.remedy}`,
    "",
  ].join("\n");
}
