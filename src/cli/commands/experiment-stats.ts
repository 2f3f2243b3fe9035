import type { Command } from "commander";
import { parseStatsFile } from "../../experiments/stats/input.js";
import type { Comparison, NotComputable, StatsResult } from "../../experiments/stats/types.js";
import { verdictSentence } from "../../experiments/verdict-words.js";
import { experimentStatsOperation } from "../../operations/experiment-stats-operations.js";
import type { Cli } from "../context.js";
import { optionFile } from "../parse.js";
import { table } from "../table.js";

/**
 * `tessera experiment stats --input FILE [--json]`: the statistics engine on numbers an analyst brings (the stats
 * file, src/experiments/stats/input.ts). The file is read and checked here (errors name the file and the JSON
 * path), then the operation checks it again and analyses it.
 */
export function registerExperimentStats(experiment: Command, cli: Cli): void {
  experiment
    .command("stats")
    .description(experimentStatsOperation.summary)
    .requiredOption(
      "--input <file>",
      "the stats file (JSON): metric, arms [{name, n, sum, sum_squares}], weights…",
    )
    .action(async (opts: { input: string }, cmd: Command) => {
      const input = parseStatsFile(optionFile(opts.input, "--input"), opts.input);
      const r = await cli.run(cmd, experimentStatsOperation, input);
      cli.print(cmd, r, () => statsText(r));
    });
}

/** A number for people: 4 significant digits, no exponent for ordinary sizes. */
function num(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e-4 && a < 1e9) return String(Number(x.toPrecision(4)));
  return x.toExponential(2);
}

const pct = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(2)}%`;

function pText(p: number): string {
  return p < 0.0001 ? "<0.0001" : p.toFixed(4);
}

/** The results as a table per variant, a verdict line each, the SRM check and the notes. */
export function statsText(r: StatsResult): string {
  const rel = r.effect === "relative";
  const eff = (x: number | null, open: string) => (x === null ? open : rel ? pct(x) : num(x));
  // An expected loss: a size, no sign.
  const loss = (x: number) => (rel ? `${(100 * x).toFixed(2)}%` : num(x));
  const level = `${Number(((1 - r.alpha) * 100).toFixed(2))}%`;
  const bayes = r.engine === "bayesian";
  const heads = [
    "arm",
    "n",
    "value",
    `effect (${r.effect})`,
    `${level} ${bayes ? "credible" : r.sequential ? "sequence" : "interval"}`,
    ...(bayes
      ? ["chance to win", "risk (control / variant)"]
      : ["p", ...(r.adjustment !== "none" ? ["p adj."] : [])]),
    "verdict",
  ];
  const arms = r.arms ?? [];
  const control = arms[0];
  const rows: unknown[][] = [];
  if (control)
    rows.push([
      control.name === "control" ? control.name : `${control.name} (control)`,
      control.n,
      control.value === null ? "–" : num(control.value),
      "",
      "",
      ...(bayes ? ["", ""] : ["", ...(r.adjustment !== "none" ? [""] : [])]),
      "",
    ]);
  for (const c of r.comparisons) {
    const arm = arms.find((a) => a.name === c.variant);
    if (!c.computable) {
      rows.push([
        c.variant,
        arm?.n ?? "",
        arm?.value == null ? "–" : num(arm.value),
        "–",
        "–",
        ...(bayes ? ["–", "–"] : ["–", ...(r.adjustment !== "none" ? ["–"] : [])]),
        "not computable",
      ]);
      continue;
    }
    rows.push([
      c.variant,
      c.n,
      num(c.value),
      eff(c.effect, ""),
      `[${eff(c.ci[0], "-∞")}, ${eff(c.ci[1], "+∞")}]`,
      ...(bayes
        ? [
            `${(100 * (c.chance_to_win ?? 0)).toFixed(1)}%`,
            `${loss(c.risk?.[0] ?? 0)} / ${loss(c.risk?.[1] ?? 0)}`,
          ]
        : [pText(c.p ?? 1), ...(r.adjustment !== "none" ? [pText(c.p_adjusted ?? c.p ?? 1)] : [])]),
      c.verdict ?? "",
    ]);
  }
  const how = [
    `${r.metric} metric`,
    r.engine,
    r.sequential ? `sequential (N* = ${r.sequential_tuning})` : "",
    r.alternative,
    `alpha ${r.alpha}`,
    bayes
      ? r.prior?.proper
        ? `prior N(${r.prior.mean}, ${r.prior.sd}²) on the relative effect`
        : "flat prior"
      : `adjustment ${r.adjustment}`,
  ].filter(Boolean);
  const lines = [how.join(", "), table(heads, rows).trimEnd(), ""];
  for (const c of r.comparisons) lines.push(verdictLine(c, r));
  if (r.srm)
    lines.push(
      `sample-ratio check: χ² = ${num(r.srm.chi2)}, p = ${r.srm.p < 0.0001 ? r.srm.p.toExponential(2) : r.srm.p.toFixed(4)}: ${r.srm.mismatch ? "MISMATCH — the people per arm are not the planned split; the results cannot be trusted" : "the split matches the plan"}`,
    );
  else lines.push("sample-ratio check: no planned weights given");
  for (const note of r.notes ?? []) lines.push(`note: ${note}`);
  return `${lines.join("\n")}\n`;
}

/** One variant's verdict in plain words (the sentence `experiment analyze` says too). */
function verdictLine(c: Comparison | NotComputable, r: StatsResult): string {
  return verdictSentence(c, c.computable ? (c.verdict ?? "inconclusive") : "not-computable", {
    engine: r.engine,
    sequential: r.sequential,
    alpha: r.alpha,
    adjusted: r.adjustment !== "none",
    what: `against ${r.arms?.[0]?.name ?? "the control"}`,
    size: (x) =>
      x === null ? "unbounded" : r.effect === "relative" ? pct(x) : `${x >= 0 ? "+" : ""}${num(x)}`,
  });
}
