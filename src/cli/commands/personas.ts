import type { Command } from "commander";
import type { PersonaReport } from "../../clustering/personas.js";
import { UserError } from "../../errors.js";
import { type AsOfContext, personasOperation } from "../../operations/discovery-operations.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";
import { minGroupOption, num, parseMinGroup, pct } from "./value-options.js";

export function registerPersonas(program: Command, cli: Cli): void {
  minGroupOption(
    program
      .command("personas")
      .description(
        "explain the clusters of a saved clustering, or a segment: what sets each group apart, in plain words",
      )
      .option("--clustering <name>", "a clustering saved with tessera cluster --save-as")
      .option("--segment <id>", "a saved segment (its members at the last refresh)")
      .option("--top <n>", "distinguishing features per persona", "5")
      .option(
        "--as-of <date>",
        "compute behaviour as of this date (default: the end of the data's last day, at most now)",
      ),
  ).action(async (opts, cmd: Command) => {
    if ((opts.clustering === undefined) === (opts.segment === undefined))
      throw new UserError(
        "bad-option",
        "give exactly one of --clustering NAME or --segment ID",
        "--clustering",
      );
    const report = await cli.run(cmd, personasOperation, {
      clustering: opts.clustering as string | undefined,
      segment: opts.segment as string | undefined,
      asOf: dateOption(opts.asOf, "--as-of"),
      top: intOption(opts.top, "--top", 1),
      ...parseMinGroup(opts.minGroup),
    });
    cli.print(cmd, report, () => formatPersonas(report));
  });
}

function formatPersonas(r: PersonaReport & AsOfContext): string {
  let s = `${r.personas.length} persona${r.personas.length === 1 ? "" : "s"} of ${r.source.kind} ${r.source.name ?? ""} (${num(r.customers, 0)} customers in the base)\n${r.asOfChoice.note}\n`;
  for (const p of r.personas) {
    if (p.suppressed) {
      s += `\n${p.group}. ${p.name}: fewer customers than the minimum group (or what would give such a group away): not described\n`;
      continue;
    }
    s += `\n${p.group}. ${p.name}: ${num(p.size, 0)} customers (${pct(p.share)})\n`;
    for (const d of p.distinguishing) {
      s += `   ${d.label}: ${num(d.group)} vs ${num(d.base)} overall (${d.difference > 0 ? "+" : ""}${num(d.difference)} sd)\n`;
    }
    if (p.traits.length)
      s += `   over-represented: ${p.traits.map((t) => `${t.value} ${pct(t.share)} (×${num(t.lift)})`).join(", ")}\n`;
    if (p.categories.length)
      s += `   top categories: ${p.categories.map((c) => `${c.value} ${pct(c.share)} (×${num(c.lift)})`).join(", ")}\n`;
    const prefs = [
      p.channel ? `channel ${p.channel.value} (×${num(p.channel.lift)})` : "",
      p.device ? `device ${p.device.value} ${pct(p.device.share)}` : "",
      p.hours.typical !== null ? `around ${num(p.hours.typical, 1)}h UTC (${p.hours.daypart})` : "",
    ].filter((x) => x !== "");
    if (prefs.length) s += `   prefers ${prefs.join(", ")}\n`;
    const v = p.value;
    // Without orders there is no average order: say so rather than print nothing after its name.
    const avg = v.averageOrderValue !== null ? num(v.averageOrderValue) : "none (no orders)";
    s += `   value per customer: revenue ${num(v.revenuePerCustomer)}, orders ${num(v.ordersPerCustomer)}, average order ${avg}${v.clv !== null ? `, CLV ${num(v.clv)}` : ""}\n`;
    const predicted = Object.entries(v.predictions ?? {}).filter(([, mean]) => mean !== null);
    // A mean probability is the share of the group expected to act: said as such.
    if (predicted.length)
      s += `   predicted: ${predicted.map(([name, mean]) => `${name} ${pct(mean)}`).join(", ")} (mean per person)\n`;
  }
  return s;
}
