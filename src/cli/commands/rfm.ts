import type { Command } from "commander";
import type { RfmReport } from "../../analytics/rfm.js";
import {
  RFM_FREQUENCIES,
  RFM_MONETARY,
  rfmOperation,
  type ValueContext,
} from "../../operations/value-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";
import {
  choiceOption,
  contextLines,
  gatedCount,
  gatedText,
  minGroupOption,
  num,
  numberListOption,
  parseMinGroup,
  pct,
} from "./value-options.js";

export function registerRfm(program: Command, cli: Cli): void {
  minGroupOption(
    program
      .command("rfm")
      .description(rfmOperation.summary)
      .option(
        "--as-of <date>",
        "evaluate as of this moment (default: the end of the data's last day, at most now)",
      )
      .option("--frequency <mode>", "orders, or days (distinct purchase days)", "orders")
      .option("--monetary <mode>", "total spend, or average spend per order", "total")
      .option(
        "--r-thresholds <t1,t2,t3,t4>",
        "recency cut points in days instead of quintiles (≤ t1 scores 5)",
      )
      .option("--f-thresholds <t1,t2,t3,t4>", "frequency cut points instead of quintiles (≥ t4 scores 5)")
      .option("--m-thresholds <t1,t2,t3,t4>", "monetary cut points instead of quintiles (≥ t4 scores 5)"),
  ).action(async (opts, cmd: Command) => {
    const report = await cli.run(cmd, rfmOperation, {
      asOf: dateOption(opts.asOf, "--as-of"),
      frequency: choiceOption(opts.frequency, "--frequency", RFM_FREQUENCIES, "orders"),
      monetary: choiceOption(opts.monetary, "--monetary", RFM_MONETARY, "total"),
      thresholds: {
        r: numberListOption(opts.rThresholds, "--r-thresholds"),
        f: numberListOption(opts.fThresholds, "--f-thresholds"),
        m: numberListOption(opts.mThresholds, "--m-thresholds"),
      },
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, report, () => formatRfm(report));
  });
}

function formatRfm(r: RfmReport & ValueContext): string {
  const context = contextLines(r)
    .map((l) => `${l}\n`)
    .join("");
  const head = `RFM as of ${r.asOf}: ${gatedText(r.customers, r.minGroup)} customers with a purchase, revenue ${r.revenue === null ? gatedText(null, r.minGroup) : num(r.revenue)} (frequency: ${r.frequency}, monetary: ${r.monetary}, scores: R ${r.scoring.r}, F ${r.scoring.f}, M ${r.scoring.m})\n${context}\n`;
  const segments = table(
    [
      "segment",
      "customers",
      "customers %",
      "revenue",
      "revenue %",
      "recency (days)",
      "frequency",
      "monetary",
    ],
    r.segments.map((s) => [
      s.name,
      gatedCount(s.customers, r.minGroup),
      pct(s.customerShare),
      s.revenue,
      pct(s.revenueShare),
      num(s.meanRecencyDays, 0),
      num(s.meanFrequency, 1),
      num(s.meanMonetary),
    ]),
  );
  const rows = [5, 4, 3, 2, 1].map((rs) => [
    `R ${rs}`,
    ...[1, 2, 3, 4, 5].map((f) => {
      const c = r.grid.find((g) => g.r === rs && g.f === f);
      return c?.suppressed ? gatedCount(null, r.minGroup) : (c?.customers ?? 0);
    }),
  ]);
  const grid = table(["customers", "F 1", "F 2", "F 3", "F 4", "F 5"], rows);
  return `${head}${segments}\nR × F grid (customers; <${r.minGroup}: suppressed, fewer than ${r.minGroup} people or what would give such a group away)\n${grid}Stored per customer in customer_rfm; segments can use {"computed": "rfm_segment", "eq": "At Risk"}.\n`;
}
