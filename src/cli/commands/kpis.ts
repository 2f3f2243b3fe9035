import type { Command } from "commander";
import { parseGroupBy } from "../../analytics/grouping.js";
import type { KpiReport } from "../../analytics/kpis.js";
import { kpisOperation, type ValueContext } from "../../operations/value-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import {
  contextLines,
  gatedCount,
  gatedText,
  minGroupOption,
  num,
  parseMinGroup,
  pct,
} from "./value-options.js";

export function registerKpis(program: Command, cli: Cli): void {
  minGroupOption(
    program
      .command("kpis")
      .description(kpisOperation.summary)
      .option(
        "--as-of <date>",
        "evaluate as of this moment (default: the end of the data's last day, at most now)",
      )
      .option("--by <grouping>", "rfm_segment, segment, trait:<name> or computed:<name> (default: everyone)"),
  ).action(async (opts, cmd: Command) => {
    const report = await cli.run(cmd, kpisOperation, {
      asOf: dateOption(opts.asOf, "--as-of"),
      by: parseGroupBy(opts.by),
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, report, () => formatKpis(report));
  });
}

function formatKpis(r: KpiReport & ValueContext): string {
  const planned = r.plannedAt !== null;
  const t = table(
    [
      "group",
      "customers",
      "of base",
      "buyers",
      "orders",
      "revenue",
      "AOV",
      "orders/buyer",
      "avg CLV",
      "sessions",
      "conversion",
      // The average of a probability per person is the share of the group expected to leave (or to buy).
      ...r.predictions.map((name) => `avg ${name}`),
      ...(planned ? ["planned spend", "planned ROI"] : []),
    ],
    r.groups.map((g) => [
      g.group,
      gatedCount(g.customers, r.minGroup),
      pct(g.shareOfBase),
      gatedCount(g.buyers, r.minGroup),
      g.orders,
      g.revenue,
      num(g.averageOrderValue),
      num(g.purchaseFrequency),
      num(g.averageClv),
      g.sessions,
      pct(g.conversionRate),
      ...r.predictions.map((name) => pct(g.predictions?.[name] ?? null)),
      ...(planned ? [num(g.plannedSpend), num(g.plannedRoi)] : []),
    ]),
  );
  const note = r.clvAvailable
    ? ""
    : "avg CLV is empty until `tessera clv fit` and `tessera clv predict` have run.\n";
  const context = contextLines(r)
    .map((l) => `${l}\n`)
    .join("");
  const plannedNote = planned ? `planned spend and ROI: the budget plan of ${r.plannedAt}.\n` : "";
  return `KPIs as of ${r.asOf} by ${r.by} (base: ${gatedText(r.base, r.minGroup)} customers)\n${context}${t}${note}${plannedNote}${
    r.groups.some((g) => g.suppressed)
      ? `<${r.minGroup}: suppressed (fewer than ${r.minGroup} people, or figures that would give such a group away)\n`
      : ""
  }`;
}
