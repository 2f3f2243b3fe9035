import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { parseMetrics } from "../../experiments/metric-spec.js";
import { experimentAnalyzeOperation } from "../../operations/experiment-analysis-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { analysisText } from "./experiment-results-table.js";
import { choiceOption, parseMinGroup } from "./value-options.js";

/**
 * `tessera experiment analyze ID`: an experiment read from the data, a table per metric (src/experiments/
 * results-table.ts), or the JSON of the API with `--json`.
 */
export function registerExperimentAnalysis(experiment: Command, cli: Cli): void {
  experiment
    .command("analyze <id>")
    .description(experimentAnalyzeOperation.summary)
    .option("--engine <engine>", "frequentist (default) or bayesian")
    .option("--sequential", "always-valid p-values and confidence sequences: safe to look every day")
    .option("--alpha <a>", "the false-positive rate (default 0.05)")
    .option("--adjust <method>", "holm (default with several tests), bh (Benjamini–Hochberg) or none")
    .option("--by-segment <ids>", "the same analysis within each of these segments (comma-separated)")
    .option(
      "--metric <metric>",
      "a metric instead of the experiment's own (repeat): conversion:7d, revenue+cuped, …",
      (v: string, all: string[] = []) => [...all, v],
    )
    .option("--as-of <time>", "read the data up to this time (default: the experiment's end, or now)")
    .option("--min-group <k>", "suppress arms of fewer than k people (default: the min_group setting)")
    .action(async (id: string, opts, cmd: Command) => {
      const alpha = opts.alpha === undefined ? undefined : Number(opts.alpha);
      if (alpha !== undefined && !(alpha > 0 && alpha < 1))
        throw new UserError(
          "bad-option",
          `expected a number between 0 and 1, got "${opts.alpha}"`,
          "--alpha",
        );
      const segments =
        opts.bySegment === undefined
          ? []
          : String(opts.bySegment)
              .split(",")
              .map((s: string) => s.trim());
      if (segments.some((s) => s === ""))
        throw new UserError("bad-option", "a segment id is empty (two commas in a row?)", "--by-segment");
      const asOf = dateOption(opts.asOf, "--as-of");
      const r = await cli.run(cmd, experimentAnalyzeOperation, {
        id,
        engine: choiceOption(opts.engine, "--engine", ["frequentist", "bayesian"] as const, "frequentist"),
        sequential: opts.sequential === true,
        ...(alpha !== undefined ? { alpha } : {}),
        ...(opts.adjust !== undefined
          ? { adjust: choiceOption(opts.adjust, "--adjust", ["holm", "bh", "none"] as const, "holm") }
          : {}),
        segments,
        ...(opts.metric
          ? { metrics: parseMetrics(opts.metric as string[], "--metric").map((m) => m.text) }
          : {}),
        ...(asOf !== undefined ? { asOf } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, r, () => analysisText(r));
    });
}
