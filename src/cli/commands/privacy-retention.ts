import type { Command } from "commander";
import {
  privacyApplyRetentionOperation,
  privacyRetentionOperation,
  privacyRetentionSetOperation,
} from "../../operations/privacy-retention-operations.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

/** `tessera privacy retention [list | set KIND PERIOD]` and `tessera privacy apply-retention`. */
export function registerPrivacyRetention(privacy: Command, cli: Cli): void {
  const retention = privacy.command("retention").description(privacyRetentionOperation.summary);
  retention
    .command("list", { isDefault: true })
    .description(privacyRetentionOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyRetentionOperation, {});
      cli.print(cmd, r, () =>
        table(
          ["kind", "kept for", "set", "by"],
          r.periods.map((p) => [
            p.kind,
            p.period ?? "forever",
            p.updatedAt?.slice(0, 19) ?? "",
            p.updatedBy ?? "",
          ]),
        ),
      );
    });
  retention
    .command("set <kind> <period>")
    .description(`${privacyRetentionSetOperation.summary}; <period> like 400d, 18m, 2y, or forever`)
    .action(async (kind: string, period: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyRetentionSetOperation, { kind, period });
      cli.print(cmd, r, () => `${r.kind} kept for ${r.period ?? "ever"} (was ${r.previous ?? "forever"})\n`);
    });
  privacy
    .command("apply-retention")
    .description(privacyApplyRetentionOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyApplyRetentionOperation, {});
      cli.print(cmd, r, () =>
        [
          table(
            ["kind", "kept for", "expired at or before", "rows removed", "people"],
            r.kinds.map((k) => [
              k.kind,
              k.period,
              k.cutoff.slice(0, 19),
              String(Object.values(k.removed).reduce((a, b) => a + b, 0)),
              String(k.people),
            ]),
          ),
          r.kinds.length === 0 ? "No kind of data has a retention period: nothing expires.\n" : "",
          r.refreshedAsOf ? `Derived data recomputed (refresh as of ${r.refreshedAsOf.slice(0, 19)}).\n` : "",
        ].join(""),
      );
    });
}
