import type { Command } from "commander";
import {
  privacySuppressionsOperation,
  privacySuppressOperation,
  privacyUnsuppressOperation,
} from "../../operations/consent-operations.js";
import type { Suppression } from "../../privacy/suppression.js";
import type { Cli } from "../context.js";
import { table } from "../table.js";

const scope = (s: Suppression) => s.channel ?? "every channel";

/** `tessera privacy suppress|unsuppress|suppressions`: the list of people never to be reached. */
export function registerPrivacySuppression(privacy: Command, cli: Cli): void {
  privacy
    .command("suppress <person>")
    .description(privacySuppressOperation.summary)
    .option("--reason <reason>", "unsubscribed or do-not-contact (required)")
    .option("--channel <channel>", "only this channel (default: every channel)")
    .action(async (person: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, privacySuppressOperation, {
        person,
        reason: opts.reason,
        ...(opts.channel !== undefined ? { channel: opts.channel } : {}),
      });
      cli.print(
        cmd,
        r,
        () =>
          `${r.customerId} is suppressed on ${r.suppressions.map((s) => `${scope(s)} (${s.reason})`).join(", ")}\n`,
      );
    });
  privacy
    .command("unsuppress <person>")
    .description(privacyUnsuppressOperation.summary)
    .option("--channel <channel>", "only this channel's suppression (default: all of them)")
    .action(async (person: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, privacyUnsuppressOperation, {
        person,
        ...(opts.channel !== undefined ? { channel: opts.channel } : {}),
      });
      cli.print(cmd, r, () => {
        const lifted = r.lifted.length
          ? `lifted for ${r.customerId}: ${r.lifted.map(scope).join(", ")}`
          : `${r.customerId} had no suppression${opts.channel ? ` on ${opts.channel}` : ""} to lift`;
        const left = r.suppressions.length
          ? `; still suppressed on ${r.suppressions.map(scope).join(", ")}`
          : "";
        return `${lifted}${left}\n`;
      });
    });
  privacy
    .command("suppressions")
    .description(privacySuppressionsOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, privacySuppressionsOperation, {});
      cli.print(cmd, r, () =>
        r.suppressions.length
          ? table(
              ["person", "channel", "reason", "since", "by"],
              r.suppressions.map((s) => [s.customerId, scope(s), s.reason, s.since, s.by]),
            )
          : "nobody is suppressed\n",
      );
    });
}
