import type { Command } from "commander";
import { auditOperation } from "../../operations/quality-operations.js";
import { formatAuditReport } from "../../quality/format.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";

export function registerAudit(program: Command, cli: Cli): void {
  program
    .command("audit")
    .description(
      "audit data quality: completeness, invalid values, duplicates, stale contacts, orphans, outliers, returns; score 0–100",
    )
    .option("--as-of <date>", "judge as of this date (ISO 8601; default now)")
    .option("--stale-days <n>", "no activity for this many days makes a contact stale", "365")
    .option("--examples <n>", "example ids per finding", "5")
    .action(async (opts, cmd: Command) => {
      const report = await cli.run(cmd, auditOperation, {
        asOf: dateOption(opts.asOf, "--as-of"),
        staleDays: intOption(opts.staleDays, "--stale-days", 1),
        examples: intOption(opts.examples, "--examples", 0),
      });
      cli.print(cmd, report, () => formatAuditReport(report));
    });
}
