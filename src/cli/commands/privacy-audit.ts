import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { privacyAuditLogOperation } from "../../operations/privacy-audit-operations.js";
import type { Cli } from "../context.js";
import { intOption } from "../parse.js";
import { table } from "../table.js";

/** `tessera privacy audit-log [--limit N] [--verify]`: the log of sensitive actions and the check of its chain. */
export function registerPrivacyAudit(privacy: Command, cli: Cli): void {
  privacy
    .command("audit-log")
    .description(privacyAuditLogOperation.summary)
    .option("--limit <n>", "at most this many entries, newest first (default 50)")
    .option("--verify", "recompute the hash chain; exit 1 naming the first entry that does not match")
    .action(async (opts: { limit?: string; verify?: boolean }, cmd: Command) => {
      const limit = intOption(opts.limit, "--limit", 1);
      const r = await cli.run(cmd, privacyAuditLogOperation, {
        ...(limit === undefined ? {} : { limit }),
        verify: opts.verify === true,
      });
      cli.print(cmd, r, () => {
        const entries =
          r.entries.length === 0
            ? "The audit log is empty: no sensitive action has been recorded.\n"
            : table(
                ["#", "at", "who", "what", "people"],
                r.entries.map((e) => [
                  e.seq === null ? "-" : String(e.seq),
                  e.at.slice(0, 19),
                  e.who,
                  e.what,
                  e.people,
                ]),
              );
        const v = r.verification;
        if (v === undefined) return entries;
        const sealed =
          v.legacy === 0
            ? ""
            : ` ${v.legacy} entries from before the chain${v.checked > 0 ? ", sealed by entry 1" : " (not sealed yet)"};`;
        const verdict = v.ok
          ? `Chain intact: ${v.checked} entries checked;${sealed} head #${v.head?.seq ?? 0} ${v.head?.hash ?? "-"}\n`
          : `Chain BROKEN at entry ${v.firstBroken?.seq}: ${v.firstBroken?.reason} (${v.checked} entries before it match)\n`;
        return `${entries}\n${verdict}`;
      });
      const broken = r.verification?.firstBroken;
      if (broken)
        throw new UserError(
          "audit-log-broken",
          `the audit log's hash chain is broken at entry ${broken.seq}: ${broken.reason}`,
          "privacy audit-log --verify",
        );
    });
}
