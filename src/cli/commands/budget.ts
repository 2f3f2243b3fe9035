import type { Command } from "commander";
import { CAMPAIGN_CHANNELS } from "../../activation/campaigns.js";
import { UserError } from "../../errors.js";
import {
  type BudgetPlanResult,
  budgetPlanOperation,
  budgetShowOperation,
} from "../../operations/budget-operations.js";
import { parseBounds, parseChannelCosts } from "../../predict/budget-inputs.js";
import { BUDGET_BY } from "../../predict/budget-plan.js";
import type { StoredPlan } from "../../predict/budget-store.js";
import type { Cli } from "../context.js";
import { optionFile } from "../parse.js";
import { table } from "../table.js";
import { choiceOption, minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

export function registerBudget(program: Command, cli: Cli): void {
  const budget = program.command("budget").description("plan a marketing budget across segments");

  minGroupOption(budget.command("plan"))
    .description(budgetPlanOperation.summary)
    .requiredOption("--total <amount>", "the total budget, in the currency of the orders")
    .requiredOption("--by <kind>", `plan per ${BUDGET_BY.join(" or ")}`)
    .option(
      "--channel-costs <file>",
      "CSV of channel,cost (cost of one contact; default: built-in placeholders)",
    )
    .option("--bounds <file>", "CSV of segment,min,max: spend bounds per segment (or audience) id")
    .option(
      "--channel <name>",
      `the channel segments are reached on: ${CAMPAIGN_CHANNELS.join(", ")}`,
      "email",
    )
    .option(
      "--window <days>",
      "conversion window in days (30d or 30): buyers before, conversions after a send",
      "30",
    )
    .action(async (opts, cmd: Command) => {
      const total = Number(opts.total);
      if (String(opts.total).trim() === "" || !Number.isFinite(total) || total <= 0)
        throw new UserError("bad-option", `expected a positive amount, got "${opts.total}"`, "--total");
      const window = /^(\d+)d?$/.exec(String(opts.window).trim());
      if (!window || Number(window[1]) < 1 || Number(window[1]) > 3660)
        throw new UserError(
          "bad-option",
          `expected a number of days from 1 to 3660 (30 or 30d), got "${opts.window}"`,
          "--window",
        );
      const result = await cli.run(cmd, budgetPlanOperation, {
        total,
        by: choiceOption(opts.by, "--by", BUDGET_BY, "segment"),
        channel: choiceOption(opts.channel, "--channel", CAMPAIGN_CHANNELS, "email"),
        windowDays: Number(window[1]),
        ...(opts.channelCosts
          ? {
              channelCosts: parseChannelCosts(
                optionFile(opts.channelCosts, "--channel-costs"),
                opts.channelCosts,
              ),
            }
          : {}),
        ...(opts.bounds ? { bounds: parseBounds(optionFile(opts.bounds, "--bounds"), opts.bounds) } : {}),
        ...parseMinGroup(opts.minGroup),
      });
      cli.print(cmd, result, () => formatPlan(result));
    });

  budget
    .command("show")
    .description(budgetShowOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, budgetShowOperation, {});
      cli.print(cmd, r, () => formatStored(r.plan));
    });
}

const hidden = (k: number) => `<${k}`;

function formatPlan(p: BudgetPlanResult): string {
  const k = p.minGroup;
  const show = (v: number | null, digits = 2) => (v === null ? hidden(k) : num(v, digits));
  const rows = p.segments.map((s) => [
    s.key,
    s.channel,
    s.suppressed ? hidden(k) : num(s.size, 0),
    s.suppressed ? hidden(k) : pct(s.conversionRate),
    s.source === "campaigns" ? `campaigns (${s.campaignSends})` : "prior",
    num(s.spend),
    pct(s.share),
    show(s.expectedConversions, 1),
    show(s.expectedRevenue),
    s.roi === null ? (s.suppressed ? hidden(k) : "") : pct(s.roi),
    s.marginalReturn === null ? (s.suppressed ? hidden(k) : "") : num(s.marginalReturn, 3),
  ]);
  const t = p.totals;
  const lines = [
    `Budget ${num(p.total)} by ${p.by}, ${p.segments.length} to plan; window ${p.windowDays} days; ${p.asOfChoice.note}`,
    "",
    table(
      [
        "id",
        "channel",
        "size",
        "bought",
        "curve",
        "spend",
        "share",
        "conversions",
        "revenue",
        "ROI",
        "marginal",
      ],
      rows,
    ).trimEnd(),
    "",
    `Allocated ${num(p.allocated)}${p.unallocated > 0 ? `, unallocated ${num(p.unallocated)}` : ""}; expected conversions ${show(t.expectedConversions, 1)}, revenue ${show(t.expectedRevenue)}, ROI ${t.roi === null ? hidden(k) : pct(t.roi)}`,
    p.marginalReturn === null
      ? "No segment is inside its bounds: every one is held at a bound."
      : `At the optimum one more unit of spend returns ${num(p.marginalReturn, 4)} in every segment inside its bounds; break-even total ${num(p.breakEvenTotal)}.`,
    "",
    "Why:",
    ...p.segments.map((s) => `  ${s.key}: ${s.reason}`),
    ...p.notes.map((n) => `note: ${n}`),
  ];
  return `${lines.join("\n")}\n`;
}

function formatStored(p: StoredPlan | null): string {
  if (p === null) return "No budget plan yet: tessera budget plan --total AMOUNT --by segment\n";
  return `Plan of ${p.plannedAt}: ${num(p.total)} by ${p.by}\n\n${table(
    ["id", "channel", "spend", "conversions", "revenue", "ROI", "status"],
    p.segments.map((s) => [
      s.key,
      s.channel,
      num(s.spend),
      s.expectedConversions === null ? "hidden" : num(s.expectedConversions, 1),
      s.expectedRevenue === null ? "hidden" : num(s.expectedRevenue),
      s.roi === null ? "" : pct(s.roi),
      s.status,
    ]),
  )}`;
}
