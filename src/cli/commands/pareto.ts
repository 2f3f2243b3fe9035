import type { Command } from "commander";
import type { ConcentrationReport } from "../../analytics/concentration.js";
import { parseGroupBy } from "../../analytics/grouping.js";
import { paretoOperation, type ValueContext } from "../../operations/value-operations.js";
import type { Cli } from "../context.js";
import { dateOption, numberOption } from "../parse.js";
import { table } from "../table.js";
import { contextLines, gatedCount, minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

export function registerPareto(program: Command, cli: Cli): void {
  minGroupOption(
    program
      .command("pareto")
      .description(paretoOperation.summary)
      .option(
        "--as-of <date>",
        "evaluate as of this moment (default: the end of the data's last day, at most now)",
      )
      .option("--top <share>", "the top share of customers, from 0 to 1", "0.2")
      .option("--by <grouping>", "also per group: rfm_segment, segment, trait:<name> or computed:<name>"),
  ).action(async (opts, cmd: Command) => {
    const report = await cli.run(cmd, paretoOperation, {
      asOf: dateOption(opts.asOf, "--as-of"),
      top: numberOption(opts.top, "--top", 0, 1),
      by: parseGroupBy(opts.by),
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, report, () => formatPareto(report));
  });
}

function formatPareto(r: ConcentrationReport & ValueContext): string {
  const topPct = `${Math.round(r.top * 1000) / 10}%`;
  // A figure that is missing says why in words: never a blank in a sentence.
  const figures = r.suppressed
    ? [
        `As of ${r.asOf}: fewer customers with a purchase than the minimum group (${r.minGroup}), or a group that would give such a group away: figures suppressed`,
      ]
    : r.revenue === 0
      ? [
          `As of ${r.asOf}: ${num(r.customers)} customers with a purchase, revenue ${num(r.revenue)}`,
          "No revenue: the top share, the Lorenz curve and the Gini coefficient are undefined",
        ]
      : [
          `As of ${r.asOf}: ${num(r.customers)} customers with a purchase, revenue ${num(r.revenue)}`,
          r.topShare === null
            ? `The top ${topPct} (${num(r.topCustomers)} customers) is within ${r.minGroup} customers of the whole or of nobody: its share is suppressed; Gini`
            : `The top ${topPct} (${num(r.topCustomers)} customers) bring ${pct(r.topShare)} of revenue; Gini ${r.gini === null ? "undefined" : num(r.gini, 3)}`,
          `Lorenz curve (share of revenue of the bottom share of customers): ${(r.lorenz ?? []).map((p) => `${pct(p.customerShare)} → ${p.revenueShare === null ? `<${r.minGroup}` : pct(p.revenueShare)}`).join(", ")}${(r.lorenz ?? []).some((p) => p.revenueShare === null) ? ` (<${r.minGroup}: a point within ${r.minGroup} customers of another is suppressed)` : ""}`,
        ];
  const lines = [...figures, ...contextLines(r)];
  let out = `${lines.join("\n")}\n`;
  if (r.groups.length > 0) {
    out += `\nBy ${r.by}\n${table(
      ["group", "customers", "revenue", `top ${topPct} share`, "Gini"],
      r.groups.map((g) => [
        g.group,
        gatedCount(g.customers, r.minGroup),
        g.revenue,
        pct(g.topShare),
        num(g.gini, 3),
      ]),
    )}`;
  }
  return out;
}
