import type { Command } from "commander";
import { auditOperation, auditRecordOperation } from "../../operations/quality-operations.js";
import type { GatedAudit } from "../../quality/audit-run-report.js";
import { formatAuditReport } from "../../quality/format.js";
import type { Cli } from "../context.js";
import { dateOption, intOption } from "../parse.js";
import { formatCount, table } from "../table.js";

export function registerAudit(program: Command, cli: Cli): void {
  program
    .command("audit")
    .description(
      "audit data quality: completeness, invalid values, duplicates, stale contacts, orphans, outliers, returns; score 0–100",
    )
    .option("--as-of <date>", "judge as of this date (ISO 8601; default now)")
    .option("--stale-days <n>", "no activity for this many days makes a contact stale", "365")
    .option("--examples <n>", "example ids per finding", "5")
    .option(
      "--record",
      "record the score and the findings' counts (no example ids) for the dashboard, and print what was recorded",
    )
    .action(async (opts, cmd: Command) => {
      if (opts.record) {
        const recorded = await cli.run(cmd, auditRecordOperation, {
          asOf: dateOption(opts.asOf, "--as-of"),
          staleDays: intOption(opts.staleDays, "--stale-days", 1),
        });
        cli.print(cmd, recorded, () => formatRecordedAudit(recorded));
        return;
      }
      const report = await cli.run(cmd, auditOperation, {
        asOf: dateOption(opts.asOf, "--as-of"),
        staleDays: intOption(opts.staleDays, "--stale-days", 1),
        examples: intOption(opts.examples, "--examples", 0),
      });
      cli.print(cmd, report, () => formatAuditReport(report));
    });
}

/** What `--record` recorded: the score, and each finding with cases (suppressed counts as `<k`). */
function formatRecordedAudit(r: GatedAudit & { minGroup: number }): string {
  const found = r.findings.filter((f) => f.suppressed || (f.count ?? 0) > 0);
  return (
    `Recorded the audit as of ${r.asOf}: score ${r.score.toFixed(1)}\n\n` +
    table(
      ["finding", "table", "severity", "cases"],
      found.map((f) => [
        f.title,
        f.table,
        f.severity,
        f.count === null ? `<${r.minGroup}` : formatCount(f.count),
      ]),
    )
  );
}
