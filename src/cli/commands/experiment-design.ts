import type { Command } from "commander";
import { holdoutText, parseHoldout } from "../../activation/holdout.js";
import { UserError } from "../../errors.js";
import type { AssignResult } from "../../experiments/assignment.js";
import { parseInterval, parseMinShare } from "../../experiments/bandit-settings.js";
import { parseCost } from "../../experiments/experiments.js";
import { parseMetrics } from "../../experiments/metric-spec.js";
import type { Split } from "../../experiments/split.js";
import { parseVariants, variantsText } from "../../experiments/variants.js";
import {
  type ExperimentView,
  experimentAssignOperation,
  experimentCreateOperation,
  experimentHoldoutOperation,
  experimentHoldoutSetOperation,
  experimentListOperation,
  experimentRemoveOperation,
  experimentShowOperation,
} from "../../operations/experiment-design-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import { gatedText } from "./value-options.js";

/**
 * `tessera experiment create|list|show|remove|assign|holdout` (issue 20, item 1): an experiment's design, who is in
 * which variant (by hash, or from a website's exposure events), and the global holdout. Options are read here
 * first (errors name the option); the operations check everything again.
 */
export function registerExperimentDesign(experiment: Command, cli: Cli): void {
  const collect = (v: string, all: string[] = []) => [...all, v];
  experiment
    .command("create <id>")
    .description(experimentCreateOperation.summary)
    .option("--segment <id>", "who is in it: the segment's current members")
    .option(
      "--audience <id>",
      "or an audience's members (its segments; nobody is contacted by an assignment)",
    )
    .option(
      "--exposures [event]",
      'or the people a website shows variants to: their first exposure event (default "Experiment Viewed", with experiment_id and variation_id)',
    )
    .option("--variants <list>", "names and weights in percent, the first the control: control:50,offer-a:50")
    .option("--holdout <share>", "a share held out of the experiment (variant holdout), e.g. 5%")
    .option("--metric <metric>", "a metric it is read by (repeat): conversion:7d, revenue+cuped, …", collect)
    .option("--start <time>", "when it starts (ISO 8601; default now)")
    .option("--end <time>", "when it ends (ISO 8601; default open)")
    .option("--seed <text>", "the assignment hash's seed (default the id)")
    .option(
      "--cost <variant:amount>",
      "a variant's cost per person, for acquisition cost and ROI (repeat)",
      collect,
    )
    .option("--name <name>", "a name to show (default the id)")
    .option("--description <text>", "what it tests")
    .option("--bandit", "a Thompson-sampling bandit over the variants instead of a fixed split")
    .option("--min-share <share>", "with --bandit: each variant keeps at least this share (default 10%)")
    .option("--update-every <interval>", "with --bandit: at most one update per interval (default 1d)")
    .action(async (id: string, opts, cmd: Command) => {
      const given = ["segment", "audience", "exposures"].filter((k) => opts[k] !== undefined);
      if (given.length !== 1)
        throw new UserError(
          "bad-option",
          given.length === 0
            ? "who is in the experiment: --segment ID, --audience ID or --exposures [EVENT]"
            : `one of --segment, --audience, --exposures: ${given.map((g) => `--${g}`).join(" and ")} given`,
          given.length ? `--${given[1]}` : "--segment",
        );
      if (opts.variants === undefined)
        throw new UserError(
          "bad-option",
          "required: the variants and their weights, e.g. control:50,offer-a:50",
          "--variants",
        );
      const variants = parseVariants(opts.variants, "--variants");
      if (opts.holdout !== undefined) parseHoldout(opts.holdout, "--holdout");
      const metrics: string[] = opts.metric ?? [];
      parseMetrics(metrics, "--metric");
      const costs: string[] = opts.cost ?? [];
      for (const c of costs) parseCost(c, "--cost");
      const start = dateOption(opts.start, "--start");
      const end = dateOption(opts.end, "--end");
      if (!opts.bandit)
        for (const o of ["minShare", "updateEvery"] as const)
          if (opts[o] !== undefined)
            throw new UserError(
              "bad-option",
              "only a bandit has this setting: add --bandit",
              o === "minShare" ? "--min-share" : "--update-every",
            );
      if (opts.minShare !== undefined) parseMinShare(opts.minShare, "--min-share", variants.length);
      if (opts.updateEvery !== undefined) parseInterval(opts.updateEvery, "--update-every");
      const r = await cli.run(cmd, experimentCreateOperation, {
        id,
        variants: opts.variants,
        ...(opts.segment !== undefined ? { segment: opts.segment } : {}),
        ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
        ...(opts.exposures !== undefined
          ? { exposures: opts.exposures === true ? "Experiment Viewed" : opts.exposures }
          : {}),
        ...(opts.holdout !== undefined ? { holdout: opts.holdout } : {}),
        ...(metrics.length ? { metrics } : {}),
        ...(start !== undefined ? { start } : {}),
        ...(end !== undefined ? { end } : {}),
        ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
        ...(costs.length ? { costs } : {}),
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
        ...(opts.bandit
          ? {
              bandit: {
                ...(opts.minShare !== undefined ? { minShare: opts.minShare } : {}),
                ...(opts.updateEvery !== undefined ? { updateEvery: opts.updateEvery } : {}),
              },
            }
          : {}),
      });
      const e = r.experiment;
      cli.print(cmd, r, () => `created experiment ${e.id}: ${designLine(e)}\n`);
    });
  experiment
    .command("list")
    .description(experimentListOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, experimentListOperation, {});
      cli.print(cmd, r, () =>
        r.experiments.length
          ? table(
              ["experiment", "population", "variants", "holdout", "metrics", "phase", "start", "end"],
              r.experiments.map((e) => [
                e.id,
                populationText(e),
                variantsText(e.variants),
                holdoutText(e.holdout),
                e.metrics.join("; "),
                e.bandit ? `${e.phase} (bandit)` : e.phase,
                e.start.slice(0, 16).replace("T", " "),
                e.end?.slice(0, 16).replace("T", " ") ?? "",
              ]),
            )
          : "no experiments (tessera experiment create ID --segment S --variants control:50,treatment:50)\n",
      );
    });
  experiment
    .command("show <id>")
    .description(experimentShowOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, experimentShowOperation, { id });
      cli.print(cmd, r, () => showText(r.experiment, r.split, r.globalHoldout));
    });
  experiment
    .command("remove <id>")
    .description(experimentRemoveOperation.summary)
    .option("--force", "remove it even though it assigned people (who was in which variant is deleted)")
    .action(async (id: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, experimentRemoveOperation, { id, force: Boolean(opts.force) });
      cli.print(
        cmd,
        r,
        () =>
          `removed experiment ${r.removed}${r.assignments ? ` and its ${r.assignments.toLocaleString("en-US")} assignments` : ""}${r.allocations ? ` and ${r.allocations} bandit allocations` : ""}\n`,
      );
    });
  experiment
    .command("assign <id>")
    .description(experimentAssignOperation.summary)
    .option(
      "--at <time>",
      "when the assignment took effect (default now, never later): people another system assigned then, or a rehearsal on past data",
    )
    .action(async (id: string, opts, cmd: Command) => {
      const at = dateOption(opts.at, "--at");
      const r = await cli.run(cmd, experimentAssignOperation, { id, ...(at ? { at } : {}) });
      cli.print(cmd, r, () => assignText(r));
    });
  experiment
    .command("holdout")
    .description(experimentHoldoutOperation.summary)
    .option("--set <share>", "set the share of all customers held out, e.g. 5% (recorded in the audit log)")
    .action(async (opts, cmd: Command) => {
      if (opts.set !== undefined) {
        parseHoldout(opts.set, "--set");
        const r = await cli.run(cmd, experimentHoldoutSetOperation, { share: opts.set });
        cli.print(
          cmd,
          r,
          () => `global holdout ${holdoutText(r.previous)} -> ${holdoutText(r.share)}: ${holdoutLine(r)}\n`,
        );
        return;
      }
      const r = await cli.run(cmd, experimentHoldoutOperation, {});
      cli.print(cmd, r, () =>
        r.share > 0
          ? `global holdout ${holdoutText(r.share)}: ${holdoutLine(r)}${r.updatedAt ? ` (set ${r.updatedAt.slice(0, 16).replace("T", " ")} by ${r.updatedBy})` : ""}\n`
          : "no global holdout (tessera experiment holdout --set 5% keeps a share of all customers out of every campaign and experiment)\n",
      );
    });
}

function populationText(e: ExperimentView): string {
  const p = e.population;
  return "segment" in p
    ? `segment ${p.segment}`
    : "audience" in p
      ? `audience ${p.audience}`
      : `exposures (${p.exposures.event})`;
}

function designLine(e: ExperimentView): string {
  return `${populationText(e)}, ${variantsText(e.variants)}${e.holdout ? `, holdout ${holdoutText(e.holdout)}` : ""}, ${e.phase} from ${e.start.slice(0, 16).replace("T", " ")}${e.end ? ` to ${e.end.slice(0, 16).replace("T", " ")}` : ""}`;
}

function holdoutLine(r: { customers: number; heldOut: number | null }): string {
  return `${r.heldOut === null ? "a few" : r.heldOut.toLocaleString("en-US")} of ${r.customers.toLocaleString("en-US")} customers kept out of every campaign and experiment`;
}

function showText(e: ExperimentView, s: Split, global: number): string {
  const lines = [
    `experiment ${e.id}${e.name !== e.id ? ` (${e.name})` : ""}: ${e.phase}${e.bandit ? ` bandit (min share ${holdoutText(e.bandit.min_share)}, update every ${e.bandit.update_every})` : ""}`,
    ...(e.description ? [`  ${e.description}`] : []),
    `  who:      ${populationText(e)}`,
    `  variants: ${variantsText(e.variants)} (${e.variants[0]?.name} is the control)${e.holdout ? `, holdout ${holdoutText(e.holdout)}` : ""}`,
    `  metrics:  ${e.metrics.length ? e.metrics.join("; ") : "none yet"}`,
    `  runs:     ${e.start.slice(0, 16).replace("T", " ")} to ${e.end ? e.end.slice(0, 16).replace("T", " ") : "open"}; seed ${e.seed}`,
    ...(Object.keys(e.costs).length
      ? [
          `  costs:    ${Object.entries(e.costs)
            .map(([v, c]) => `${v} ${c}`)
            .join(", ")} per person`,
        ]
      : []),
    ...(global > 0 ? [`  global holdout ${holdoutText(global)}: those people are in holdout`] : []),
    "",
  ];
  if (s.total === 0) return `${lines.join("\n")}nobody assigned yet (tessera experiment assign ${e.id})\n`;
  const pct = (x: number | null) => (x === null ? "" : `${(100 * x).toFixed(1)}%`);
  return `${lines.join("\n")}${table(
    ["variant", "planned", "people", "actual"],
    s.rows
      .filter((r) => r.planned > 0 || r.people !== 0)
      .map((r) => [r.variant, pct(r.planned), gatedText(r.people, s.minGroup), pct(r.actual)]),
  )}assigned: ${gatedText(s.total, s.minGroup)}${s.firstAssigned ? ` from ${s.firstAssigned.slice(0, 16).replace("T", " ")} to ${s.lastAssigned?.slice(0, 16).replace("T", " ")}` : ""}\n`;
}

function assignText(r: AssignResult): string {
  const parts = r.byVariant
    .filter((v) => v.added !== 0)
    .map((v) => `${v.variant} ${v.added === null ? "a few" : v.added.toLocaleString("en-US")}`);
  const head =
    r.added === 0
      ? `experiment ${r.experiment}: nobody new to assign`
      : `experiment ${r.experiment}: assigned ${r.added === null ? "a few" : r.added.toLocaleString("en-US")} new ${r.added === 1 ? "person" : "people"} (${parts.join(", ")})`;
  const lines = [
    `${head}; ${r.before === null ? "a few" : (r.before ?? 0).toLocaleString("en-US")} assigned before stay where they are`,
  ];
  if (r.source === "hash")
    lines.push(
      `  split by ${r.weightsFrom === "bandit" ? "the bandit's latest allocation" : "the planned weights"}: ${variantsText(r.weights)}${r.globalHoldout ? `; global holdout ${holdoutText(r.globalHoldout)}` : ""}`,
    );
  const x = r.exposures;
  if (x) {
    lines.push(`  from "${x.event}" events (first exposure per person)`);
    if (x.unknownPeople !== 0)
      lines.push(
        `  not assigned: ${x.unknownPeople === null ? "a few" : x.unknownPeople} people first exposed to a variation that is not a variant (${x.unknownVariations.map((u) => `"${u.variation}"`).join(", ")})`,
      );
    if (x.crossedOver !== 0)
      lines.push(
        `  ${x.crossedOver === null ? "a few" : x.crossedOver} assigned people were exposed to another variant later too`,
      );
  }
  return `${lines.join("\n")}\n`;
}
