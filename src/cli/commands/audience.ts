import type { Command } from "commander";
import {
  audienceCreateOperation,
  audienceListOperation,
  audienceMembersOperation,
  audienceRemoveOperation,
  audienceShowOperation,
  type SizedAudience,
} from "../../operations/audience-operations.js";
import type { Cli } from "../context.js";
import { intOption } from "../parse.js";
import { table } from "../table.js";
import { registerAudienceExport } from "./audience-export.js";
import { leftOutLine } from "./consent-text.js";
import { gatedCount, gatedText } from "./value-options.js";

/**
 * `tessera audience create|list|show|remove|members`: segments for a purpose on a channel. Sizes are the consented
 * members now (k-gated); `members` lists their ids, as `segment members` does, on stdout, with who the consent
 * gate left out on stderr.
 */
export function registerAudience(program: Command, cli: Cli): void {
  const audience = program
    .command("audience")
    .description(
      "audiences: segments for a purpose on a channel (create, list, show, remove, members, export)",
    );
  audience
    .command("create <id>")
    .description(audienceCreateOperation.summary)
    .option(
      "--segment <segments>",
      'a segment id, or a combination: \'segment("vip") and not segment("churned")\'',
    )
    .option("--purpose <purpose>", "what its people are wanted for: marketing… (required)")
    .option("--channel <channel>", "how they are reached: email, sms, push, ads… (required)")
    .option("--name <name>", "a readable name (default the id)")
    .option("--description <text>", "what it is for")
    .action(async (id: string, opts, cmd: Command) => {
      const r = await cli.run(cmd, audienceCreateOperation, {
        id,
        segments: opts.segment,
        purpose: opts.purpose,
        channel: opts.channel,
        ...(opts.name !== undefined ? { name: opts.name } : {}),
        ...(opts.description !== undefined ? { description: opts.description } : {}),
      });
      const a = r.audience;
      cli.print(cmd, r, () => `created audience ${a.id}: ${a.where}, for ${a.purpose} by ${a.channel}\n`);
    });
  audience
    .command("list")
    .description(audienceListOperation.summary)
    .action(async (_opts, cmd: Command) => {
      const r = await cli.run(cmd, audienceListOperation, {});
      cli.print(cmd, r, () =>
        r.audiences.length
          ? table(
              ["audience", "segments", "purpose", "channel", "size"],
              r.audiences.map((a) => [a.id, a.where, a.purpose, a.channel, gatedCount(a.size, r.minGroup)]),
            )
          : "no audiences (tessera audience create ID --segment … --purpose … --channel …)\n",
      );
    });
  audience
    .command("show <id>")
    .description(audienceShowOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, audienceShowOperation, { id });
      cli.print(cmd, r, () => showText(r.audience, r.minGroup));
    });
  audience
    .command("remove <id>")
    .description(audienceRemoveOperation.summary)
    .action(async (id: string, _opts, cmd: Command) => {
      const r = await cli.run(cmd, audienceRemoveOperation, { id });
      cli.print(cmd, r, () => `removed audience ${r.removed}\n`);
    });
  audience
    .command("members <id>")
    .description(audienceMembersOperation.summary)
    .option("--limit <n>", "at most this many customers")
    .action(async (id: string, opts, cmd: Command) => {
      const limit = intOption(opts.limit, "--limit", 1);
      const r = await cli.run(cmd, audienceMembersOperation, { id, ...(limit ? { limit } : {}) });
      cli.print(cmd, r, () => {
        // The ids alone on stdout (for scripts); who was left out on stderr.
        cli.io.err(`${leftOutLine(r)}\n`);
        return r.customers.map((c) => `${c}\n`).join("");
      });
    });
  // activation subcommands: export
  registerAudienceExport(audience, cli);
}

function showText(a: SizedAudience, k: number): string {
  return `${[
    `audience ${a.id}${a.name !== a.id ? ` (${a.name})` : ""}`,
    `segments: ${a.where}`,
    `for: ${a.purpose} by ${a.channel}`,
    `size now: ${gatedText(a.size, k)} (consented, not suppressed)`,
    leftOutLine(a),
    ...(a.description ? [`description: ${a.description}`] : []),
    `created ${a.createdAt} by ${a.createdBy}`,
  ].join("\n")}\n`;
}
