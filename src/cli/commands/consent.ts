import type { Command } from "commander";
import { consentHistoryOperation, consentRecordOperation } from "../../operations/consent-operations.js";
import type { Cli } from "../context.js";
import { dateOption } from "../parse.js";
import { table } from "../table.js";

/**
 * `tessera consent record|history`: one person's consent ledger. Recording appends (a change of mind is a new
 * record); the history lists the records and what they amount to now, as the consent gate reads them.
 */
export function registerConsent(program: Command, cli: Cli): void {
  const consent = program.command("consent").description("one person's consent records: record, history");
  consent
    .command("record <person>")
    .description(consentRecordOperation.summary)
    .option("--purpose <purpose>", "what the consent is for: marketing, analytics… (required)")
    .option("--channel <channel>", "the channel it is for: email, sms, push… (default: every channel)")
    .option("--status <status>", "granted, denied or withdrawn (required)")
    .option("--source <source>", "where it was given: a form, a call, a letter")
    .option("--at <time>", "when it was given, ISO 8601 (default now)")
    .action(async (person: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, consentRecordOperation, {
        person,
        purpose: opts.purpose,
        status: opts.status,
        ...(opts.channel !== undefined ? { channel: opts.channel } : {}),
        ...(opts.source !== undefined ? { source: opts.source } : {}),
        ...(opts.at !== undefined ? { at: dateOption(opts.at, "--at") } : {}),
      });
      const x = r.record;
      cli.print(
        cmd,
        r,
        () =>
          `recorded for ${r.customerId}: ${x.status} for ${x.purpose} on ${x.channel ?? "every channel"} at ${x.at}${x.source ? ` (${x.source})` : ""}\n`,
      );
    });
  consent
    .command("history <person>")
    .description(consentHistoryOperation.summary)
    .action(async (person: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, consentHistoryOperation, { person });
      cli.print(cmd, r, () => {
        if (r.records.length === 0) return `no consent recorded for ${r.customerId}\n`;
        const records = table(
          ["at", "purpose", "channel", "status", "source"],
          r.records.map((x) => [x.at, x.purpose, x.channel ?? "(every channel)", x.status, x.source ?? ""]),
        );
        const now = table(
          ["purpose", "channel", "now"],
          r.current.map((c) => [c.purpose, c.channel ?? "(any)", c.granted ? "granted" : "not granted"]),
        );
        return `consent records of ${r.customerId}, oldest first:\n${records}\nwhat they amount to now:\n${now}`;
      });
    });
}
